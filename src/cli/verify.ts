// `local-model-router verify`: the tool-call verifier on the command line.
import { resolveSettings } from '../core/settings/resolve';
import { planServerChange } from '../core/serverChanges';
import type { ServerChange } from '../core/verify/types';
import { UsageError, intFlag, parseFlags, type Subcommand } from './io';
import { normalizeBaseUrl } from '../core/endpoints';
import { STAGE_IDS, type StageId, type VerifyReport } from '../core/verify/types';

const HELP = `Usage: local-model-router verify --base-url URL --model ID [options]

Checks that a local server and model can carry a Codex session: the model is listed, the Responses
API answers (plain and streamed, judged the way Codex reads streams), the model makes a real tool
call (the verifier answers it itself; nothing the model proposes is ever executed), and a
Codex-sized request fits. Each failure gets a stable diagnosis code and a fix.

Options:
  --base-url URL        The server's OpenAI base URL, e.g. http://127.0.0.1:8080/v1
  --model ID            The model id to verify
  --api-key-env VAR     Send the key held in environment variable VAR (never pass keys as arguments)
  --timeout-ms N        Upper bound for each request (default 120000)
  --skip STAGE          Leave a stage out; repeatable. Stages: ${STAGE_IDS.join(', ')}.
                        Default: chat-completions (use --skip none to run every stage)
  --no-non-function-tools
                        Leave Codex's namespace and web_search tools out of the codex-shape stage
                        (for profiles that turn them off)
  --serial              One stage at a time (clean timings on a single-slot server)
  --json                Print the report as JSON:
                        {ok, baseUrl, model, serverKind?, startedAt, ms, cancelled,
                         stages:[{id, title, status: pass|warn|fail|skip, ms, summary, evidence[],
                                  metrics?, diagnosis?: {code, message, fix}}]}

Exit codes: 0 every required stage passed (warnings allowed), 1 a stage failed, 2 usage error.`;

export const verifyCommand: Subcommand = {
  summary: 'Check that a server + model can carry a Codex session (tool calls included)',
  help: HELP,
  async run(args, io) {
    const { values } = parseFlags(args, {
      'base-url': { type: 'string' },
      model: { type: 'string' },
      'api-key-env': { type: 'string' },
      'timeout-ms': { type: 'string' },
      skip: { type: 'string', multiple: true },
      'no-non-function-tools': { type: 'boolean' },
      serial: { type: 'boolean' },
      json: { type: 'boolean' },
      // Lets tests keep a hung stream short; not advertised.
      'idle-ms': { type: 'string' },
    });
    if (!values['base-url']) throw new UsageError('--base-url is required');
    if (!values.model) throw new UsageError('--model is required');
    const n = normalizeBaseUrl(values['base-url']);
    if (!n.ok) throw new UsageError(n.error);
    let apiKey: string | undefined;
    const keyVar = values['api-key-env'];
    if (keyVar !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyVar)) throw new UsageError(`--api-key-env takes a variable name, got "${keyVar}"`);
      apiKey = io.env[keyVar];
      if (!apiKey) throw new UsageError(`--api-key-env ${keyVar}: the variable is not set`);
    }
    const skip = parseSkip(values.skip);
    const timeoutMs = intFlag('timeout-ms', values['timeout-ms'], 100);
    const idleMs = intFlag('idle-ms', values['idle-ms'], 10);
    const { verifyRoute, renderText } = await import('../core/verify/index');
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    let report: VerifyReport;
    try {
      report = await verifyRoute({
        baseUrl: n.url, model: values.model, apiKey, timeoutMs, idleMs, skip,
        nonFunctionTools: !values['no-non-function-tools'], concurrent: !values.serial, signal: ac.signal, skipNote: 'skipped with --skip',
        onProgress: values.json ? undefined : p => { if (p.kind === 'stage-start') io.err(`… ${p.id}`); },
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    // A server the CLI did not start: fixes are the flag or command for that kind of server.
    const settings = resolveSettings(() => undefined, io.env, true).values;
    const resolve = (c: ServerChange) => planServerChange(c, { kind: report.serverKind ?? 'openai-compatible', settings, model: report.model });
    io.out(values.json ? JSON.stringify(report, null, 2) : renderText(report, resolve));
    return report.ok ? 0 : 1;
  },
};

function parseSkip(raw: string[] | undefined): StageId[] | undefined {
  if (!raw) return undefined;
  const out: StageId[] = [];
  for (const item of raw.flatMap(s => s.split(','))) {
    const s = item.trim();
    if (!s || s === 'none') continue;
    if (!(STAGE_IDS as readonly string[]).includes(s)) throw new UsageError(`--skip: unknown stage "${s}". Stages: ${STAGE_IDS.join(', ')}`);
    out.push(s as StageId);
  }
  return out;
}
