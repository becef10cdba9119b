// The tool-call stage's fake tools. The verifier NEVER runs what the model proposes: it recognizes
// a read of its own token file (cat, head, tail, sed -n, type, more, Get-Content, or read_file) and
// answers with the file's content itself; every other call gets "unsupported call".
import { parseJson } from '../net/http';

/** Shaped like Codex 0.169's exec_command (the fields a model sees first), so models call it as they would in Codex. */
export const EXEC_COMMAND_TOOL = {
  type: 'function',
  name: 'exec_command',
  description: 'Runs a command in a PTY, returning output or a session ID for ongoing interaction.',
  strict: false,
  parameters: {
    type: 'object',
    properties: {
      cmd: { type: 'string', description: 'Shell command to execute.' },
      workdir: { type: 'string', description: 'Working directory for the command. Defaults to the turn cwd.' },
      yield_time_ms: { type: 'number', description: 'Wait before yielding output. Defaults to 10000 ms.' },
      max_output_tokens: { type: 'number', description: 'Output token budget. Defaults to 10000 tokens.' },
    },
    required: ['cmd'],
    additionalProperties: false,
  },
} as const;

export const READ_FILE_TOOL = {
  type: 'function',
  name: 'read_file',
  description: 'Reads a text file and returns its content.',
  strict: false,
  parameters: {
    type: 'object',
    properties: { path: { type: 'string', description: 'Absolute path of the file to read.' } },
    required: ['path'],
    additionalProperties: false,
  },
} as const;

export interface ProposedCall {
  name: string;
  arguments: string;
}

export type CallVerdict = { kind: 'reads-token-file'; how: string } | { kind: 'other'; reason: string };

const READERS = /^(cat|head|tail|more|less|nl|type|get-content|gc|bat|sed)$/i;

/** Does this proposed call read `file`? Pure: looks at the call, never runs it. */
export function judgeCall(call: ProposedCall, file: string): CallVerdict {
  const parsed = parseJson(call.arguments || '{}');
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null)
    return { kind: 'other', reason: `arguments are not a JSON object: ${call.arguments.slice(0, 200)}` };
  const args = parsed.value as Record<string, unknown>;
  if (call.name === 'read_file') {
    const p = args.path ?? args.file_path ?? args.filename ?? args.file;
    if (typeof p === 'string' && samePath(p, file, undefined)) return { kind: 'reads-token-file', how: `read_file ${p}` };
    return { kind: 'other', reason: `read_file of ${JSON.stringify(p)}, not the token file` };
  }
  if (call.name === 'exec_command' || call.name === 'shell' || call.name === 'bash') {
    const raw = args.cmd ?? args.command;
    const cmd = Array.isArray(raw) ? shellFromArgv(raw.map(String)) : typeof raw === 'string' ? raw : undefined;
    if (cmd === undefined) return { kind: 'other', reason: 'no `cmd` string in the arguments' };
    const workdir = typeof args.workdir === 'string' ? args.workdir : undefined;
    return judgeCommand(cmd, file, workdir);
  }
  return { kind: 'other', reason: `unknown tool "${call.name}"` };
}

/** `["bash","-lc","cat x"]` → "cat x"; other argv → joined. */
function shellFromArgv(argv: string[]): string {
  if (argv.length >= 3 && /(^|\/)(ba|z|da)?sh$|pwsh|powershell/i.test(argv[0]) && /^-\w*c$|^-Command$/i.test(argv[1]))
    return argv.slice(2).join(' ');
  return argv.map(a => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
}

export function judgeCommand(cmd: string, file: string, workdir?: string): CallVerdict {
  let dir = workdir;
  // Allow `cd DIR && cat FILE`; refuse pipes, redirections, substitutions and sequences: not a plain read.
  const parts = cmd.trim().split(/\s*&&\s*/);
  let verdict: CallVerdict | undefined;
  for (const part of parts) {
    if (/[|;<>`]|\$\(/.test(part)) return { kind: 'other', reason: `not a plain read: ${cmd.slice(0, 200)}` };
    const words = splitWords(part);
    if (!words.length) continue;
    if (words[0] === 'cd' && words.length === 2) {
      dir = words[1];
      continue;
    }
    if (verdict || !READERS.test(words[0])) return { kind: 'other', reason: `not a read of the token file: ${cmd.slice(0, 200)}` };
    const operands = readerOperands(words);
    if (operands.length === 1 && samePath(operands[0], file, dir)) verdict = { kind: 'reads-token-file', how: part };
    else return { kind: 'other', reason: `reads ${operands.join(' ') || 'nothing'}, not the token file` };
  }
  return verdict ?? { kind: 'other', reason: `not a read of the token file: ${cmd.slice(0, 200)}` };
}

function readerOperands(words: string[]): string[] {
  const name = words[0].toLowerCase();
  const out: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (name === 'sed') {
      // sed -n '1,5p' FILE  |  sed -n 1p FILE
      if (w === '-n' || w === '--quiet') continue;
      if (/^(\d+(,\d+|,\$)?|\$)?p$/.test(w) || /^-e$/.test(w)) continue;
    }
    if ((name === 'head' || name === 'tail') && /^-(n|c)$/.test(w)) {
      i++;
      continue;
    }
    if (name === 'get-content' || name === 'gc' || name === 'type') {
      if (/^-(path|literalpath|raw|encoding)$/i.test(w)) {
        if (/^-(encoding)$/i.test(w)) i++;
        continue;
      }
    }
    if (w.startsWith('-') && w.length > 1) continue;
    out.push(w);
  }
  return out;
}

/** Splits on whitespace honouring single and double quotes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (/\s/.test(c)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (cur || any) out.push(cur);
  return out;
}

function norm(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/\/+/g, '/')
    .replace(/\/\.\//g, '/');
}

function samePath(candidate: string, file: string, dir: string | undefined): boolean {
  const c = norm(candidate);
  const f = norm(file);
  const ci = /^[a-z]:\//i.test(f); // Windows paths compare case-insensitively
  const eq = (a: string, b: string) => (ci ? a.toLowerCase() === b.toLowerCase() : a === b);
  if (eq(c, f)) return true;
  if (dir && !c.startsWith('/') && !/^[a-z]:\//i.test(c)) return eq(`${norm(dir).replace(/\/$/, '')}/${c.replace(/^\.\//, '')}`, f);
  return false;
}

/** What Codex 0.169 sends back after running exec_command (observed on the wire). */
export function execOutput(stdout: string, exitCode = 0): string {
  const tokens = Math.max(1, Math.ceil(stdout.length / 4));
  return `Chunk ID: ${Math.random().toString(16).slice(2, 8)}\nWall time: 0.0000 seconds\nProcess exited with code ${exitCode}\nOriginal token count: ${tokens}\nOutput:\n${stdout}${stdout.endsWith('\n') ? '' : '\n'}`;
}

/** The output for a call the verifier will not answer. */
export function unsupportedOutput(call: ProposedCall, reason: string): string {
  if (call.name === 'exec_command') return execOutput(`unsupported call: this check only answers reads of its token file (${reason})`, 1);
  return `unsupported call: ${call.name}`;
}

/** Text that looks like a tool call written out instead of called (JSON, XML-ish markup, a shell line). */
export function looksLikeToolCallText(text: string, file: string): boolean {
  const t = text;
  if (/<tool_call>|<function=|<\|tool_call|\[TOOL_CALLS\]|<\|python_tag\|>/i.test(t)) return true;
  if (/\{\s*"name"\s*:\s*"[\w.-]+"\s*,\s*"(arguments|parameters)"\s*:/.test(t)) return true;
  if (/"(cmd|command)"\s*:\s*"/.test(t)) return true;
  const base = file.replace(/\\/g, '/').split('/').pop() ?? file;
  if (t.includes(base) && /\b(cat|head|sed|type|Get-Content|read_file|exec_command)\b/.test(t)) return true;
  return false;
}
