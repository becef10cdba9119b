// Which chat template llama-server gets. Codex sends its instructions as several developer messages
// and llama-server turns each into a system message; strict templates (Qwen3.5 and others) raise
// "System message must be at the beginning." on the second one. chatml accepts the order but has no
// tool support, so llama-server then drops the tools without a word (real-llama-server.md). The fix
// that keeps tools: the model's own template with the system-first check relaxed, written to a file
// for --chat-template-file. A template the user chose (setting or PRODEX_LOCAL_CHAT_TEMPLATE) wins.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileOnce } from '../files/write';
import { readGgufString } from './gguf';

/** The check strict templates make, in the quoting styles templates use. */
const SYSTEM_FIRST_RAISE = /\{\{-?\s*raise_exception\(\s*(['"])System message must be at the beginning\.?\1\s*\)\s*-?\}\}/g;

export function isStrictSystemFirst(template: string): boolean {
  return new RegExp(SYSTEM_FIRST_RAISE.source).test(template);
}

export type Relaxed = { ok: true; text: string } | { ok: false; reason: string };

/**
 * The template with every system-first raise replaced by rendering the message as a system turn.
 * Only templates in the ChatML family (<|im_start|>) are rewritten: their system turn is known.
 */
export function relaxSystemFirst(template: string): Relaxed {
  if (!isStrictSystemFirst(template)) return { ok: false, reason: 'the template has no system-first check' };
  if (!template.includes('<|im_start|>'))
    return { ok: false, reason: 'the template is not in the ChatML family (<|im_start|>), so its system turn is unknown' };
  // The message's rendered text: the loop's `content` when the template computes one, else the raw content.
  const text = /\{%-?\s*set\s+content\s*=/.test(template) ? 'content' : "(message.content if message.content is string else '')";
  const render = `{{- '<|im_start|>system\\n' + ${text} + '<|im_end|>\\n' }}`;
  return { ok: true, text: template.replace(SYSTEM_FIRST_RAISE, render) };
}

export type TemplateChoice =
  /** The user's own choice (`--chat-template <name>`): used as given. */
  | { kind: 'named'; name: string }
  /** The model's own template accepts Codex's order: no flag. */
  | { kind: 'model'; why: string }
  /** A relaxed copy of the model's template, to be written to `fileName` and passed with --chat-template-file. */
  | { kind: 'relaxed'; text: string; fileName: string; why: string };

export function relaxedFileName(text: string): string {
  return `relaxed-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.jinja`;
}

/** Decides the template for a launch from the chatTemplate setting and the model file. */
export async function chooseChatTemplate(chatTemplateSetting: string, modelPath: string): Promise<TemplateChoice> {
  if (chatTemplateSetting) return { kind: 'named', name: chatTemplateSetting };
  if (!modelPath) return { kind: 'model', why: 'no model file to read the template from' };
  const read = await readGgufString(modelPath, 'tokenizer.chat_template');
  if (!read.ok) return { kind: 'model', why: `could not read its template (${read.error})` };
  if (read.value === undefined) return { kind: 'model', why: 'the model file carries no chat template' };
  if (!isStrictSystemFirst(read.value))
    return { kind: 'model', why: "the model's own template accepts system messages after the first one" };
  const relaxed = relaxSystemFirst(read.value);
  if (!relaxed.ok)
    return { kind: 'model', why: `the model's template refuses later system messages and was left as is: ${relaxed.reason}` };
  return {
    kind: 'relaxed',
    text: relaxed.text,
    fileName: relaxedFileName(relaxed.text),
    why: 'the model\'s own template, with its "System message must be at the beginning" check relaxed so Codex\'s developer messages pass and tools stay on',
  };
}

/**
 * The template for a llama.cpp launch (chooseChatTemplate), with the relaxed copy written into `dir`
 * when one is needed (content-addressed: a restart reuses the file). Start Server writes into the
 * extension's storage, the CLI into its --template-dir.
 */
export async function prepareChatTemplate(
  chatTemplateSetting: string,
  modelPath: string,
  dir: string,
): Promise<{ choice: TemplateChoice; file?: string }> {
  const choice = await chooseChatTemplate(chatTemplateSetting, modelPath);
  if (choice.kind !== 'relaxed') return { choice };
  const file = join(dir, choice.fileName);
  writeFileOnce(file, choice.text);
  return { choice, file };
}
