// The chat template files a llama.cpp launch uses when no template is set: the model's own with the
// system-first check relaxed (core/launch/chatTemplate.ts), written once into the extension's
// global storage (content-addressed, so a restart reuses it).
import { writeFileOnce } from '../core/files/write';
import { join } from 'node:path';
import type { Ctx } from '../ctx';
import { prepareChatTemplate as prepareTemplateIn, relaxSystemFirst, relaxedFileName, type TemplateChoice } from '../core/launch';

function templatesDir(ctx: Ctx): string {
  return join(ctx.extension.globalStorageUri.fsPath, 'chat-templates');
}

/** Decides the template for a launch and writes the relaxed file when one is needed. */
export function prepareChatTemplate(ctx: Ctx, chatTemplate: string, modelPath: string): Promise<{ choice: TemplateChoice; file?: string }> {
  return prepareTemplateIn(chatTemplate, modelPath, templatesDir(ctx));
}

/** For a llama-server started elsewhere: a relaxed copy of the template it reported (/props), or undefined. */
export async function writeRelaxedCopy(ctx: Ctx, template: string): Promise<string | undefined> {
  const r = relaxSystemFirst(template);
  if (!r.ok) return undefined;
  try {
    const file = join(templatesDir(ctx), relaxedFileName(r.text));
    writeFileOnce(file, r.text);
    return file;
  } catch (e) {
    ctx.log.warn(`could not write a relaxed chat template: ${(e as Error).message}`);
    return undefined;
  }
}

export function describeChoice(c: TemplateChoice): string {
  switch (c.kind) {
    case 'named':
      return `chat template "${c.name}" (your setting)`;
    case 'model':
      return `the model's own chat template (${c.why})`;
    case 'relaxed':
      return c.why;
  }
}
