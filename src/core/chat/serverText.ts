// The one function that makes a server's words fit to show in VS Code's chat: control characters,
// terminal escapes and bidirectional overrides out, whitespace collapsed, length bounded. Text from a
// server is untrusted; when the shared sanitizer for server text lands (src/core/text), this
// function becomes a call to it.
export function presentServerText(text: string, max = 600): string {
  const clean = text
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
