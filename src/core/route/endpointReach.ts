// Where an endpoint's requests go, for the picker and the status bar: this machine, another host
// through an SSH tunnel this window opened, or another host directly (TLS or plain http). A tunnel's
// base URL is loopback, so the URL alone would call it local: the tunnel is what makes it remote.
import { classifyBaseUrl } from '../endpoints';

/** How a target is reached when not directly: set on the targets of SSH tunnels. */
export interface TunnelVia {
  kind: 'ssh';
  /** `user@host` or `host`, as ssh is given it. */
  host: string;
  /** The server's port on that host. */
  remotePort: number;
}

export type EndpointReach =
  { kind: 'local' } | { kind: 'ssh'; host: string } | { kind: 'remote-https'; host: string } | { kind: 'remote-http'; host: string };

export function endpointReach(e: { baseUrl: string; via?: TunnelVia }): EndpointReach {
  if (e.via) return { kind: 'ssh', host: e.via.host };
  const r = classifyBaseUrl(e.baseUrl);
  switch (r.kind) {
    case 'remote-https':
    case 'remote-http':
      return { kind: r.kind, host: r.host };
    // Base URLs are normalized before they reach a probe or a route; one that is not says nothing about reach.
    case 'loopback':
    case 'invalid':
      return { kind: 'local' };
  }
}

export function isRemote(r: EndpointReach): boolean {
  return r.kind !== 'local';
}

/** "over SSH to gpu-box", "remote: gpu-box (https)", "remote: gpu-box over plain http — not encrypted"; undefined when local. */
export function describeReach(r: EndpointReach): string | undefined {
  switch (r.kind) {
    case 'local':
      return undefined;
    case 'ssh':
      return `over SSH to ${r.host}`;
    case 'remote-https':
      return `remote: ${r.host} (https)`;
    case 'remote-http':
      return `remote: ${r.host} over plain http — not encrypted`;
  }
}
