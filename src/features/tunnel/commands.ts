// The tunnel feature's commands (bundled as dist/lazy/tunnel.js, loaded on first use).
import type { LazyModule } from '../../ctx';
import { connectCommand } from './connect';
import { disconnectCommand } from './disconnect';

export const commands: LazyModule['commands'] = {
  connectSshTunnel: (ctx, args) => connectCommand(ctx, args),
  disconnectSshTunnel: (ctx, args) => disconnectCommand(ctx, args),
};
