// Reads one string from a GGUF file's metadata (e.g. `tokenizer.chat_template`) without loading the
// model: the header, then key/value pairs, skipping the values it does not need (the token list of a
// 150k-token vocabulary is a few MB of strings). Format: github.com/ggml-org/ggml docs/gguf.md.
import type { FileHandle } from 'node:fs/promises';
import { MAX_FILE_BYTES, openRegularHandle } from '../files/read';

const MAGIC = 0x46554747; // "GGUF" little-endian
/** Value type ids and the byte size of the fixed-size ones. */
const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

export type GgufRead = { ok: true; value: string | undefined } | { ok: false; error: string };

class Reader {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private filePos = 0;
  read = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly limit: number,
  ) {}

  private async need(n: number): Promise<void> {
    if (this.buf.length - this.pos >= n) return;
    const rest = this.buf.subarray(this.pos);
    const chunk = Buffer.alloc(Math.max(n - rest.length, 1 << 20));
    const { bytesRead } = await this.fh.read(chunk, 0, chunk.length, this.filePos);
    this.filePos += bytesRead;
    this.buf = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
    this.pos = 0;
    if (this.buf.length < n) throw new Error('the file ends inside its metadata');
    if (this.filePos > this.limit) throw new Error(`no such key in the first ${this.limit >> 20} MB of metadata`);
  }
  async u32(): Promise<number> {
    await this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  async u64(): Promise<number> {
    await this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('a length in the metadata is out of range');
    return Number(v);
  }
  async skip(n: number): Promise<void> {
    while (n > 0) {
      const have = this.buf.length - this.pos;
      if (have >= n) {
        this.pos += n;
        return;
      }
      n -= have;
      this.pos = this.buf.length;
      await this.need(Math.min(n, 1 << 20));
    }
  }
  async string(max = Number.MAX_SAFE_INTEGER): Promise<string> {
    const len = await this.u64();
    if (len > max) throw new Error(`a metadata string of ${len} bytes is longer than any chat template (${max} at most)`);
    await this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

async function skipValue(r: Reader, type: number): Promise<void> {
  if (type in FIXED) return r.skip(FIXED[type]);
  if (type === STRING) return r.skip(await r.u64());
  if (type === ARRAY) {
    const itemType = await r.u32();
    const count = await r.u64();
    if (itemType in FIXED) return r.skip(FIXED[itemType] * count);
    for (let i = 0; i < count; i++) await skipValue(r, itemType);
    return;
  }
  throw new Error(`unknown metadata value type ${type}`);
}

/** The string value of `key` in a GGUF file's metadata; undefined when the file has no such key. */
export async function readGgufString(path: string, key: string, limitBytes = 256 * 1024 * 1024): Promise<GgufRead> {
  let fh: FileHandle | undefined;
  try {
    // A model path may name a FIFO or a device: opened without blocking, regular files only.
    fh = await openRegularHandle(path);
    const r = new Reader(fh, limitBytes);
    if ((await r.u32()) !== MAGIC) return { ok: false, error: `${path} is not a GGUF file` };
    const version = await r.u32();
    if (version < 2) return { ok: false, error: `${path} is GGUF version ${version}; only 2 and later are read` };
    await r.u64(); // tensor count
    const kvCount = await r.u64();
    for (let i = 0; i < kvCount; i++) {
      const k = await r.string(64 * 1024);
      const type = await r.u32();
      if (k === key && type === STRING) return { ok: true, value: await r.string(MAX_FILE_BYTES.template) };
      await skipValue(r, type);
    }
    return { ok: true, value: undefined };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: code ? `${path}: ${code}` : (e as Error).message.startsWith(path) ? (e as Error).message : `${path}: ${(e as Error).message}`,
    };
  } finally {
    await fh?.close();
  }
}
