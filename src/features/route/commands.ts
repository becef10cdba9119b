// The route feature's on-demand half (bundled as dist/lazy/route.js, loaded on first use): the picker,
// and the one-token probe a switch makes (core/route/probeModel.ts, with the verifier's request and
// diagnosis code it needs). The status bar, terminal routing and context keys stay in the activation bundle.
import type { LazyModule } from '../../ctx';
import { showPicker, type PickRequest } from './picker';

export { probeModelAnswers } from '../../core/route/probeModel';

export const commands: LazyModule['commands'] = {
  pickRoute: (ctx, req) => showPicker(ctx, req as PickRequest | undefined),
};
