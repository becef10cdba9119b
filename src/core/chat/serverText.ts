// A server's words as VS Code's chat shows them in an error: one line, bounded, through the one
// sanitizer for untrusted text (core/text/sanitize.ts), so escapes and direction overrides are shown
// escaped, never acted on.
import { displayText } from '../text/sanitize';

export const presentServerText = (text: string, max = 600): string =>
  displayText(text.replace(/\s+/g, ' ').trim(), { max, singleLine: true });
