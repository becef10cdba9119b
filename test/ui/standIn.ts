// The stand-in llama-server (test/support/bin) as a person's settings start it, on a port of its own.
import { join } from 'node:path';
import * as lib from '../host/lib.mjs';

export const STAND_IN = join(lib.ROOT, 'test/support/bin/stand-in-llama-server');

/** Settings for Start Server on `port` (no background probing); the executable only when given. */
export function standInSettings(port: number, o: { executable?: string } = {}): Record<string, unknown> {
  return {
    ...(o.executable ? { 'localModelRouter.llamacpp.executable': o.executable } : {}),
    'localModelRouter.llamacpp.port': port,
    'localModelRouter.llamacpp.modelPath': '/models/stand-in.gguf',
    'localModelRouter.discovery.refreshIntervalSeconds': 0,
    'localModelRouter.discovery.probeLlamaServerDefaultPort': false,
  };
}
