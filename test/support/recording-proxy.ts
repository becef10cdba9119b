// A pass-through in front of a real server that records the method and path of every request it
// forwards (and, when asked, its body). The pinned llama-server logs no request paths or bodies (its
// request logger is commented out in tools/server/server-http.cpp), so this is how a test sees which
// endpoints the server was asked for, and what reached it.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  /** The proxy's base URL with the target's path (e.g. `/v1`). */
  readonly baseUrl: string;
  /** `METHOD /path` of each request, in arrival order (query strings kept). */
  readonly requests: string[];
  /** Each request's body, in the order of `requests` (empty unless `keepBodies`). */
  readonly bodies: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(targetBaseUrl: string, o: { keepBodies?: boolean } = {}): Promise<RecordingProxy> {
  const target = new URL(targetBaseUrl);
  const requests: string[] = [];
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (o.keepBodies) {
      const at = bodies.push('') - 1;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => (bodies[at] = Buffer.concat(chunks).toString('utf8')));
    }
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      upRes => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    // The client going away ends the upstream request too, as it would without the proxy.
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    requests,
    bodies,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
