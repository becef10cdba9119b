// A chat template's name for comparisons: servers report the template's whole text (tens of
// kilobytes); what a kept verdict needs to know is only whether it is the same one (core/route/verdictBasis.ts).
import { createHash } from 'node:crypto';

/** A short, stable name for a chat template's text. */
export function templateId(template: string): string {
  return createHash('sha256').update(template).digest('hex').slice(0, 12);
}
