// The model to propose for each Ollama endpoint while no route is chosen (core/route/defaultModel.ts
// decides): installed models with their sizes from /api/tags, and this machine's memory only when
// the server runs on it — behind a tunnel or at a remote URL the far host's memory is unknown.
import { freemem, totalmem } from 'node:os';
import type { Ctx } from '../../ctx';
import type { EndpointProbe } from '../../core/route/discovery';
import { serverRoot } from '../../core/endpoints';
import { endpointReach } from '../../core/route/endpointReach';
import { chooseDefaultModel, type DefaultModelChoice, type InstalledModel } from '../../core/route/defaultModel';
import { fetchOllamaTags } from '../../core/route/ollamaTags';

export async function recommendationsFor(
  ctx: Pick<Ctx, 'settings'>,
  probes: readonly EndpointProbe[],
): Promise<Map<string, DefaultModelChoice>> {
  const out = new Map<string, DefaultModelChoice>();
  // The setting Start Server pulls and serves: the person's own choice, so it is what is proposed.
  const explicit = ctx.settings().values['ollama.model'];
  await Promise.all(
    probes.map(async p => {
      const r = p.result;
      if (r.kind !== 'up' || r.server.kind !== 'ollama') return;
      // /api/tags carries no key and no prompt: asking it needs no plain-http consent.
      const tags = await fetchOllamaTags(serverRoot(p.baseUrl), { timeoutMs: 3_000 });
      const installed: InstalledModel[] = tags.kind === 'ok' ? tags.models : r.models.map(m => ({ name: m.id, sizeBytes: 0 }));
      const memory = endpointReach(p).kind === 'local' ? { totalBytes: totalmem(), freeBytes: freemem() } : undefined;
      out.set(p.baseUrl, chooseDefaultModel({ explicit, installed, ...(memory ? { memory } : {}) }));
    }),
  );
  return out;
}
