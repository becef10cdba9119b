// Loopback ports for tests: bind to port 0, read what the OS gave, close. Nothing listens there
// afterwards (until something else binds it), so it is also a "closed port" for down-server cases.
import { createServer, type AddressInfo, type Server } from 'node:net';

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map(s => (s.address() as AddressInfo).port);
  await Promise.all(servers.map(s => new Promise(r => s.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
