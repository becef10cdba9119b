// Server-sent events, parsed incrementally (WHATWG rules: CR/LF/CRLF line ends, `:` comments,
// multi-line `data:`): the verifier's stream readers, the chat models and the bridge read streams with it.

export interface SseEvent {
  event?: string;
  data: string;
  /** Fields other than event/data/id/retry (very old llama.cpp sent `error: {...}`). */
  other?: Record<string, string>;
}

export class SseParser {
  private buf = '';
  private event: string | undefined;
  private data: string[] = [];
  private other: Record<string, string> | undefined;
  private sawCr = false;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    // A CRLF split across chunks: the LF belongs to the CR already handled.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = false;
    const buf = this.buf + text;
    // Line ends found with indexOf (native), not a character at a time: the bridge reads a long
    // answer's thousands of events through here.
    let start = 0;
    let lf = buf.indexOf('\n');
    let cr = buf.indexOf('\r');
    while (lf >= 0 || cr >= 0) {
      const i = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      this.line(buf.slice(start, i), out);
      start = i + 1;
      if (i === cr) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) start = i + 2;
        } else this.sawCr = true;
      }
      if (lf >= 0 && lf < start) lf = buf.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = buf.indexOf('\r', start);
    }
    this.buf = buf.slice(start);
    return out;
  }

  /** The event left without its blank line when the stream ended, if any. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buf) this.line(this.buf, out);
    this.buf = '';
    this.line('', out);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length || this.other)
        out.push({ event: this.event, data: this.data.join('\n'), ...(this.other ? { other: this.other } : {}) });
      this.event = undefined;
      this.data = [];
      this.other = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field !== 'id' && field !== 'retry') (this.other ??= {})[field] = value;
  }
}
