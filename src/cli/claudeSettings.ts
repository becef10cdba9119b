// `local-model-router claude-settings`: routes Claude Code to a local server through its own settings
// file (project or user scope), printing the diff; or takes that routing out again, or restores the
// last backup. The key is never written: keyed servers get an apiKeyHelper that prints a variable.
import * as os from 'node:os';
import * as path from 'node:path';
import { intFlag, parseFlags, UsageError, type CliIo, type Subcommand } from './io';
import { normalizeBaseUrl } from '../core/endpoints';
import { claudeSettingsLocation, desiredClaudeSettings, type ClaudeScope, type DesiredClaudeSettings } from '../core/claude/settings';
import { applyClaudeSettingsWrite, planClaudeRestore, planClaudeSettingsWrite, restoreClaudeBackup } from '../core/claude/write';
import { isEnvVarName } from '../core/claude/env';
import { FileRefusal } from '../core/files';

const HELP = `Usage: local-model-router claude-settings --scope project|user [--folder DIR] --base-url URL --model M
         [--context-window N] [--api-key-env VAR] [--no-thinking] [--home DIR] [--dry-run] [--json]
       local-model-router claude-settings --scope project|user [--folder DIR] --remove [--dry-run] [--json]
       local-model-router claude-settings --scope project|user [--folder DIR] --restore [--force] [--json]

Routes Claude Code to a local server by writing the "env" entries of its settings file:
project scope <folder>/.claude/settings.local.json (personal, not checked in), user scope
~/.claude/settings.json ($CLAUDE_CONFIG_DIR/settings.json when set). Written: ANTHROPIC_BASE_URL (the
server root, no /v1), the model for every tier and for subagents, CLAUDE_CODE_MAX_CONTEXT_TOKENS and
CLAUDE_CODE_MAX_OUTPUT_TOKENS from --context-window, CLAUDE_CODE_ATTRIBUTION_HEADER=0,
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, ANTHROPIC_API_KEY="" (a cloud key in your shell is not sent
to the local server), and for a server without a key a placeholder ANTHROPIC_AUTH_TOKEN. With
--api-key-env VAR: "apiKeyHelper": "printenv VAR" instead — the key itself is never written.
Every other byte of the file stays; a file that is not strict JSON (Claude Code refuses comments) is
refused, and so is a file with a key twice in one object (Claude Code would read the last one, an
edit would change the first). The previous file is backed up into Claude Code's folder
(.local-model-router-backups/<time>-claude-user-… or …-claude-project-<folder name>-…).

Options:
  --scope S            project or user
  --folder DIR         the project (project scope; default: the current folder)
  --base-url URL       the server, e.g. http://127.0.0.1:8080/v1 or http://127.0.0.1:8080
  --model M            the model id the server serves
  --context-window N   the server's real context window
  --api-key-env VAR    the server wants a key: Claude Code gets it from this variable through apiKeyHelper
  --no-thinking        also write CLAUDE_CODE_DISABLE_THINKING=1 (for servers that refuse thinking)
  --remove             take out what this command wrote (the keys listed in LOCAL_MODEL_ROUTER_MANAGED);
                       values of your own it replaced are put back
  --restore            put back this scope's file (this project's, for project scope) as it was before
                       the last write; refused when the file changed since that write
  --force              with --restore: restore even so (the current file is kept in a backup first)
  --home DIR           the home folder (default: $HOME)
  --dry-run            print the diff; write nothing
  --json               {"ok","dryRun","scope","path","realPath","action":"create|update|unchanged","set":[],
                        "removed":[],"putBack":[],"notes":[],"diff","backup"|null}; with --restore
                       {"ok","scope","path","restored":[],"from","savedIn"|null}; or {"ok":false,"error"}

Exit codes: 0 written (or nothing to change), 1 refused, 2 usage error.`;

const FLAGS = {
  scope: { type: 'string' },
  folder: { type: 'string' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'context-window': { type: 'string' },
  'api-key-env': { type: 'string' },
  'no-thinking': { type: 'boolean' },
  remove: { type: 'boolean' },
  restore: { type: 'boolean' },
  force: { type: 'boolean' },
  home: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const claudeSettingsCommand: Subcommand = {
  summary: 'Route Claude Code to a local server through its settings file (project or user scope)',
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: f } = parseFlags(args, FLAGS);
    if (f.scope !== 'project' && f.scope !== 'user') throw new UsageError('--scope must be project or user');
    const scope: ClaudeScope = f.scope;
    const home = f.home ? path.resolve(io.cwd, f.home) : io.env.HOME || os.homedir();
    const folder = path.resolve(io.cwd, f.folder ?? '.');
    const loc = claudeSettingsLocation(scope, { home, folder, env: io.env });
    if (!loc.ok) throw new UsageError(loc.error);
    const location = loc.location;
    const report: Record<string, unknown> = { ok: false, dryRun: !!f['dry-run'], scope, path: location.path };
    const done = (ok: boolean, error?: string): number => {
      if (f.json) io.out(JSON.stringify({ ...report, ok, ...(error ? { error } : {}) }, null, 2));
      else if (error) io.err(`local-model-router claude-settings: ${error}`);
      return ok ? 0 : 1;
    };

    if (f.force && !f.restore) throw new UsageError('--force only goes with --restore');
    if (f.restore) {
      let plan;
      try {
        plan = planClaudeRestore(location);
      } catch (e) {
        if (e instanceof FileRefusal) return done(false, e.message);
        throw e;
      }
      if (!plan)
        return done(
          false,
          `No backup of ${location.path} in ${location.claudeDir} (backups are kept per file: this scope${scope === 'project' ? ' and folder' : ''}).`,
        );
      let r;
      try {
        r = restoreClaudeBackup(plan, { force: !!f.force });
      } catch (e) {
        if (e instanceof FileRefusal)
          return done(false, e.reason === 'changed' ? `${e.message} Run again with --force to do that.` : e.message);
        throw e;
      }
      report.restored = plan.files.map(x => x.snapshot.path);
      report.from = plan.set.dir;
      report.savedIn = r.savedIn ?? null;
      if (!f.json) {
        io.out(`Restored ${plan.files.map(x => x.snapshot.path).join(', ')} from ${plan.set.dir}.`);
        if (r.savedIn) io.out(`What the file held before this restore is kept in ${r.savedIn}.`);
      }
      return done(true);
    }

    let desired: DesiredClaudeSettings | null = null;
    if (!f.remove) {
      if (!f['base-url']) throw new UsageError('--base-url is required (or --remove / --restore)');
      if (!f.model) throw new UsageError('--model is required');
      const n = normalizeBaseUrl(f['base-url']);
      if (!n.ok) throw new UsageError(n.error);
      const keyVar = f['api-key-env'];
      if (keyVar !== undefined && !isEnvVarName(keyVar)) throw new UsageError(`--api-key-env takes a variable name, got "${keyVar}"`);
      desired = desiredClaudeSettings({
        baseUrl: n.url,
        model: f.model,
        contextWindow: intFlag('context-window', f['context-window'], 1),
        needsKey: keyVar !== undefined,
        keyVar,
        disableThinking: !!f['no-thinking'],
      });
    }
    const plan = planClaudeSettingsWrite(location, desired);
    if (!plan.ok) return done(false, plan.error);
    const c = plan.change;
    Object.assign(report, {
      realPath: c.snapshot.realPath,
      action: !plan.changed ? 'unchanged' : c.snapshot.exists ? 'update' : 'create',
      set: c.set,
      removed: c.removed,
      putBack: c.putBack,
      notes: c.notes,
      diff: c.diff,
      backup: null,
    });
    if (!f.json) {
      io.out(
        `${report.action} ${location.path}${c.snapshot.realPath !== path.resolve(location.path) ? ` (→ ${c.snapshot.realPath})` : ''}`,
      );
      if (c.diff) io.out(c.diff);
      for (const n of c.notes) io.out(`· ${n}`);
    }
    if (f['dry-run'] || !plan.changed) {
      if (!f.json) io.out(f['dry-run'] ? '\nDry run: nothing was written.' : 'Nothing to change.');
      return done(true);
    }
    const w = applyClaudeSettingsWrite(c, `claude-settings ${scope}${f.remove ? ' --remove' : ''}`);
    if (!w.ok) return done(false, w.error);
    report.backup = w.backup?.files[0]?.backup ?? null;
    if (!f.json && w.backup?.files[0]?.backup) io.out(`The previous file is kept in ${w.backup.files[0].backup}.`);
    if (!f.json) io.out(`\nWritten.${desired ? ' Run `claude` in that folder (project scope) or anywhere (user scope).' : ''}`);
    return done(true);
  },
};
