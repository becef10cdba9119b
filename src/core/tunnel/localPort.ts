// Whether a loopback port can take the tunnel's listener. Checked before ssh starts: ssh binds the
// forward only after it has connected and logged in, and until it gives up on the bind, whatever else
// listens there would answer our readiness probe as if it were the remote server.
import { createServer } from 'node:net';
import type { TunnelSpec } from './spec';

export function isLocalPortFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port the OS considers free now (it may be taken again before ssh binds it; ssh then exits). */
export function ephemeralLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export type LocalPortChoice =
  | { kind: 'free'; spec: TunnelSpec }
  /** The default (the remote port) was taken here, e.g. by a local Ollama: another port was picked. */
  | { kind: 'moved'; spec: TunnelSpec; taken: number }
  /** The port the caller asked for is taken. */
  | { kind: 'taken'; port: number };

export async function chooseLocalPort(spec: TunnelSpec): Promise<LocalPortChoice> {
  if (await isLocalPortFree(spec.localPort)) return { kind: 'free', spec };
  if (spec.localPortExplicit) return { kind: 'taken', port: spec.localPort };
  return { kind: 'moved', spec: { ...spec, localPort: await ephemeralLocalPort() }, taken: spec.localPort };
}
