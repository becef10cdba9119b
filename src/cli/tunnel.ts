// `local-model-router tunnel`: an SSH tunnel to a model server on another machine, kept up until Ctrl+C.
import { parseArgs } from 'node:util';
import { resolve as resolvePath } from 'node:path';
import { intFlag, UsageError, type Subcommand } from './io';
import { toJson, toText } from './discover';
import { discover } from '../core/route/discovery';
import { tunnelLabel } from '../core/route/targets';
import { createAgent } from '../core/net/http';
import { PROVIDER_IDS, providerBaseUrlVar } from '../core/providers';
import { shQuote } from '../core/launch/wrapper';
import {
  buildTunnelCommand,
  checkTunnelRequest,
  chooseLocalPort,
  providerDefaultPort,
  superviseTunnel,
  trustedSshConfigFile,
  type TunnelState,
} from '../core/tunnel';

const PORTS = PROVIDER_IDS.flatMap(p => {
  const port = providerDefaultPort(p);
  return port ? [`${p} ${port}`] : [];
}).join(', ');

const HELP = `Usage: local-model-router tunnel <host> (--remote-port N | --provider P) [--local-port N] [--user U]
         [--ssh-port N] [--ssh-config FILE] [--timeout-ms N] [--json]

Forwards a port on 127.0.0.1 here to a model server on another machine over SSH
(ssh -N -L 127.0.0.1:<local>:localhost:<remote> -- <host>), waits until the server answers through
it, prints the local base URL and what discovery finds there, and keeps the tunnel up — restarting
ssh when it drops — until Ctrl+C.

<host> is an alias from ~/.ssh/config, a host name or an IP address. ssh runs without a terminal
(BatchMode=yes): it needs a key it can use without asking (ssh-agent or an unencrypted key) and a
known host key (connect once with plain ssh first).

Options:
  --remote-port N     the server's port on the far machine
  --provider P        ${PROVIDER_IDS.join(', ')}: what runs there; its default port when
                      --remote-port is not given (${PORTS})
  --local-port N      port on 127.0.0.1 here (default: the remote port, or a free one when that is taken)
  --user U            log in as U (default: ~/.ssh/config's User, else your user name)
  --ssh-port N        the ssh server's port (default: ~/.ssh/config's Port, else 22)
  --ssh-config FILE   read this ssh config file instead of ~/.ssh/config (ssh -F)
  --timeout-ms N      how long to wait for the first answer through the tunnel (default 30000)
  --json              one JSON object per line: {"event":"command",…}, {"event":"state","state":{"kind":
                      "starting"|"up"|"restarting"|"failed"|"stopped",…}}, {"event":"discovered","endpoint":{…}}

Exit codes: 0 stopped with Ctrl+C (or SIGTERM), 1 the tunnel failed, 2 usage error.`;

const FLAGS = {
  'remote-port': { type: 'string' },
  provider: { type: 'string' },
  'local-port': { type: 'string' },
  user: { type: 'string' },
  'ssh-port': { type: 'string' },
  'ssh-config': { type: 'string' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const tunnelCommand: Subcommand = {
  summary: 'Forward a model server on another machine over SSH and keep the tunnel up',
  help: HELP,
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values: f, positionals } = parsed;
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? `one host expected, got ${positionals.length}: ${positionals.map(p => JSON.stringify(p)).join(' ')}`
          : 'the host is required',
      );
    if (f['remote-port'] === undefined && f.provider === undefined) throw new UsageError('give --remote-port N or --provider P');
    const checked = checkTunnelRequest({
      host: positionals[0] as string,
      user: f.user,
      remotePort: f['remote-port'],
      provider: f.provider,
      localPort: f['local-port'],
      sshPort: f['ssh-port'],
    });
    if (!checked.ok) throw new UsageError(checked.problems.map(p => `--${flagOf(p.field)}: ${p.message}`).join('\n'));
    const timeoutMs = intFlag('timeout-ms', f['timeout-ms'], 100) ?? 30_000;
    let configFile;
    try {
      // The person running this command chose the file: it is as trusted as their own ~/.ssh/config.
      configFile = f['ssh-config'] ? trustedSshConfigFile(resolvePath(io.cwd, f['ssh-config'])) : undefined;
    } catch (e) {
      throw new UsageError(`--ssh-config: ${(e as Error).message}`);
    }

    const emit = (event: Record<string, unknown>) => io.out(JSON.stringify(event));
    const port = await chooseLocalPort(checked.spec);
    if (port.kind === 'taken') {
      const state: TunnelState = {
        kind: 'failed',
        reason: 'port-taken',
        message: `Port ${port.port} on 127.0.0.1 is already in use by another program.`,
        lastLines: [],
      };
      if (f.json) emit({ event: 'state', state });
      else io.err(`local-model-router tunnel: ${state.message} Choose another --local-port.`);
      return 1;
    }
    if (port.kind === 'moved' && !f.json) io.err(`Port ${port.taken} is taken here; the tunnel listens on ${port.spec.localPort} instead.`);
    const cmd = buildTunnelCommand(port.spec, { configFile, interactive: false });
    const label = tunnelLabel(cmd.destination);
    if (f.json)
      emit({
        event: 'command',
        command: cmd.command.command,
        args: cmd.command.args,
        localBaseUrl: cmd.localBaseUrl,
        ...(port.kind === 'moved' ? { portTaken: port.taken } : {}),
      });
    else io.err(`$ ${[cmd.command.command, ...cmd.command.args].map(shQuote).join(' ')}`);

    const ac = new AbortController();
    const onSignal = () => ac.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let ups = 0;
    const sup = superviseTunnel(cmd, {
      readyTimeoutMs: timeoutMs,
      baseEnv: { ...process.env, ...io.env } as NodeJS.ProcessEnv,
      onState: s => {
        if (f.json) return emit({ event: 'state', state: s });
        const text = describeState(s, cmd.destination);
        if (text) io.err(text);
        if (s.kind === 'up' && ++ups === 1) io.out(cmd.localBaseUrl);
      },
    });
    try {
      const first = await Promise.race([sup.firstSettled, aborted(ac.signal)]);
      if (first?.kind === 'up') {
        const dispatcher = createAgent(1_000);
        const t0 = performance.now();
        const probes = await discover(
          [
            {
              provider: cmd.spec.provider,
              baseUrl: cmd.localBaseUrl,
              source: 'tunnel',
              label,
              via: { kind: 'ssh', host: cmd.destination, remotePort: cmd.spec.remotePort },
            },
          ],
          { timeoutMs: 5_000, dispatcher },
        ).finally(() => void dispatcher.close());
        const ms = Math.round(performance.now() - t0);
        if (f.json) emit({ event: 'discovered', endpoint: toJson(probes, ms).endpoints[0] });
        else
          io.err(`${toText(probes, ms)}\nThe tunnel stays up until Ctrl+C. Use it with ${envHint(cmd.spec.provider)}=${cmd.localBaseUrl}`);
      }
      // Runs until Ctrl+C, or until the supervisor gives up.
      await Promise.race([aborted(ac.signal), sup.ended]);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await sup.stop();
    }
    const end = sup.state;
    if (end.kind === 'failed') {
      if (!f.json)
        io.err(`local-model-router tunnel: ${end.message}${end.lastLines.length ? `\nssh said:\n  ${end.lastLines.join('\n  ')}` : ''}`);
      return 1;
    }
    return 0;
  },
};

function flagOf(field: string): string {
  return field.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`).replace(/^host$/, 'host (argument)');
}

function envHint(provider: (typeof PROVIDER_IDS)[number]): string {
  return providerBaseUrlVar(provider) ?? 'LOCAL_LLM_BASE_URL';
}

function describeState(s: TunnelState, destination: string): string | undefined {
  switch (s.kind) {
    case 'starting':
      return s.phase === 'connecting'
        ? `${s.attempt > 1 ? `attempt ${s.attempt}: ` : ''}connecting to ${destination}…`
        : `connected; waiting for the server behind the tunnel…`;
    case 'up':
      return `up: ${s.localBaseUrl} → ${destination} (ssh pid ${s.pid}, ${s.ms} ms)`;
    case 'restarting':
      return `ssh ended (${s.exit.signal ?? `code ${s.exit.code}`}); restarting in ${s.delayMs} ms${s.lastLines.length ? `\n  ${s.lastLines.slice(-3).join('\n  ')}` : ''}`;
    case 'failed':
      return undefined;
    case 'stopped':
      return 'tunnel stopped';
  }
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve(undefined);
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}
