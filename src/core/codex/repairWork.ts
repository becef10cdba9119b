// The files a repair plan edits, held in memory: config.toml, the named profile, and the profile
// files a migration creates. Every edit goes through tomlEdit, so a refused edit changes nothing.
import * as path from 'node:path';
import { applyEdit, parseTomlText, type ParsedToml, type TomlEdit } from './tomlEdit';
import type { FileSnapshot } from '../files';
import { CONFIG_FILE } from './files';

export interface WorkFile {
  /** File name inside CODEX_HOME. */
  name: string;
  snapshot: FileSnapshot;
  text: string;
  role: 'config' | 'profile';
}

export class Work {
  readonly files = new Map<string, WorkFile>();
  constructor(readonly codexHome: string) {}
  add(f: WorkFile): void {
    this.files.set(f.name, f);
  }
  /** The file Codex pointed at, when it is one this plan may edit. */
  at(file: string | undefined): WorkFile | undefined {
    if (!file) return undefined;
    const abs = path.resolve(file);
    return [...this.files.values()].find(f => path.join(this.codexHome, f.name) === abs || f.snapshot.realPath === abs);
  }
  get config(): WorkFile {
    return this.files.get(CONFIG_FILE) as WorkFile;
  }
  /** What `restore` puts back: a step that cannot finish must leave no half of itself behind. */
  save(): Map<string, WorkFile> {
    return new Map([...this.files].map(([k, f]) => [k, { ...f }]));
  }
  restore(saved: Map<string, WorkFile>): void {
    this.files.clear();
    for (const [k, f] of saved) this.files.set(k, f);
  }
  texts(): Map<string, string> {
    return new Map([...this.files.values()].map(f => [f.name, f.text]));
  }
}

export function edit(f: WorkFile, e: TomlEdit): string | undefined {
  const r = applyEdit(f.text, e);
  if (!r.ok) return r.error;
  f.text = r.text;
  return undefined;
}

export function parsed(f: WorkFile): ParsedToml {
  const p = parseTomlText(f.text);
  return p.ok ? p.value : {};
}

export function table(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) ? (v as Record<string, unknown>) : undefined;
}

/** Every `model_provider` key (top level and in legacy [profiles.*]) of a file, with its value. */
export function providerSelectors(f: WorkFile): { path: string[]; value: string }[] {
  const doc = parsed(f);
  const out: { path: string[]; value: string }[] = [];
  if (typeof doc.model_provider === 'string') out.push({ path: ['model_provider'], value: doc.model_provider });
  for (const [name, body] of Object.entries(table(doc.profiles) ?? {})) {
    const mp = table(body)?.model_provider;
    if (typeof mp === 'string') out.push({ path: ['profiles', name, 'model_provider'], value: mp });
  }
  return out;
}

export function stringPath(p: (string | number)[] | undefined): string[] | undefined {
  return p && p.every(s => typeof s === 'string') ? (p as string[]) : undefined;
}
