// Turns layered setting values into one typed Settings object — the one place that decides
// precedence, type guards and what Restricted Mode ignores. Used by the extension (values from
// WorkspaceConfiguration.inspect) and the CLI (values from a settings.json-shaped file).
//
// Precedence, first wins: folder value → workspace value → user value (this machine's or, in a remote
// window, the remote machine's: layers.ts says which applies) → the mirrored PRODEX_LOCAL_*
// variable (only when the user left the setting at its default) → the default.
// In an untrusted workspace, folder and workspace values of restricted settings are ignored.
import { SETTINGS, SETTING_KEYS, fullKey, type SettingDef, type SettingKey, type Settings } from './catalog';
import type { Env } from '../endpoints';
import type { AppliedLayers, SettingOrigin } from './layers';

/** The layers VS Code applies for one setting (layers.ts appliedLayers), or a settings.json's values. */
export type Layered = AppliedLayers;
export type { SettingOrigin };

export interface ResolvedSettings {
  values: Settings;
  origin: Record<SettingKey, SettingOrigin>;
  /** Human-readable problems: wrong types, unparsable mirrored variables. */
  problems: string[];
  /** Restricted keys whose workspace value was ignored because the workspace is not trusted. */
  ignoredUntrusted: SettingKey[];
}

export function resolveSettings(lookup: (key: SettingKey) => Layered | undefined, env: Env, trusted: boolean): ResolvedSettings {
  const values: Record<string, unknown> = {};
  const origin = {} as Record<SettingKey, SettingOrigin>;
  const problems: string[] = [];
  const ignoredUntrusted: SettingKey[] = [];
  for (const key of SETTING_KEYS) {
    const def = SETTINGS[key] as SettingDef;
    const l = lookup(key) ?? {};
    const layers: [SettingOrigin, unknown][] = [];
    const workspaceLayers: [SettingOrigin, unknown][] = [
      ['folder', l.workspaceFolderValue],
      ['workspace', l.workspaceValue],
    ];
    if (def.restricted && !trusted) {
      if (workspaceLayers.some(([, v]) => v !== undefined)) ignoredUntrusted.push(key);
    } else {
      layers.push(...workspaceLayers);
    }
    layers.push([l.globalLayer === 'remote' ? 'remote' : 'user', l.globalValue]);
    let chosen: [SettingOrigin, unknown] | undefined;
    for (const [o, v] of layers) {
      if (v === undefined) continue;
      if (isValid(def, v)) {
        chosen = [o, v];
        break;
      }
      problems.push(`${fullKey(key)} (${o}) should be ${describeType(def)}; got ${JSON.stringify(v)}. It was ignored.`);
    }
    if (!chosen && def.env && env[def.env] !== undefined && env[def.env] !== '') {
      const parsed = parseEnvValue(def, env[def.env] as string);
      if (parsed.ok) chosen = ['env', parsed.value];
      else
        problems.push(`${def.env}=${JSON.stringify(env[def.env])} is not ${describeType(def)}; localModelRouter.${key} keeps its default.`);
    }
    values[key] = chosen ? chosen[1] : structuredClone(def.default);
    origin[key] = chosen ? chosen[0] : 'default';
  }
  return { values: values as Settings, origin, problems, ignoredUntrusted };
}

function isValid(def: SettingDef, v: unknown): boolean {
  switch (def.type) {
    case 'string':
      return typeof v === 'string' && (!def.enum || def.enum.includes(v));
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && inRange(def, v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && inRange(def, v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(x => typeof x === 'string');
    case 'array':
      if (!Array.isArray(v)) return false;
      if (def.items.type === 'object') return v.every(x => typeof x === 'object' && x !== null);
      return v.every(x => typeof x === 'string' && (!('enum' in def.items) || !def.items.enum || def.items.enum.includes(x)));
  }
}

function inRange(def: { minimum?: number; maximum?: number }, v: number): boolean {
  return (def.minimum === undefined || v >= def.minimum) && (def.maximum === undefined || v <= def.maximum);
}

function describeType(def: SettingDef): string {
  if (def.type === 'string' && def.enum) return `one of ${def.enum.join(', ')}`;
  if (def.type === 'integer' || def.type === 'number') {
    const range = [def.minimum !== undefined ? `≥ ${def.minimum}` : '', def.maximum !== undefined ? `≤ ${def.maximum}` : '']
      .filter(Boolean)
      .join(' and ');
    return `${def.type === 'integer' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
  }
  return `a ${def.type}`;
}

/** PRODEX_LOCAL_* values are strings; parse them as the wrapper script would. */
export function parseEnvValue(def: SettingDef, raw: string): { ok: true; value: unknown } | { ok: false } {
  const s = raw.trim();
  switch (def.type) {
    case 'string':
      return isValid(def, raw) ? { ok: true, value: raw } : { ok: false };
    case 'integer':
    case 'number': {
      if (!/^-?\d+(\.\d+)?$/.test(s)) return { ok: false };
      const n = Number(s);
      return isValid(def, n) ? { ok: true, value: n } : { ok: false };
    }
    case 'boolean':
      return /^(1|true|on|yes)$/i.test(s)
        ? { ok: true, value: true }
        : /^(0|false|off|no)$/i.test(s)
          ? { ok: true, value: false }
          : { ok: false };
    default:
      return { ok: false };
  }
}

/** Settings from a settings.json-shaped object (the CLI's --settings file): every value is a user value. */
export function lookupFromSettingsJson(json: Record<string, unknown>): (key: SettingKey) => Layered | undefined {
  return key => {
    const full = fullKey(key);
    return full in json ? { globalValue: json[full] } : undefined;
  };
}
