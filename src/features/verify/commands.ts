// The verify feature's commands (bundled as dist/lazy/verify.js, loaded on first use).
import type { LazyModule } from '../../ctx';
import type { Fix } from '../../core/verify/types';
import { verifyCommand, type VerifyOptions } from './run';
import { applyFix, type FixTarget } from './fixes';

export const commands: LazyModule['commands'] = {
  verifyRoute: (ctx, route, options) => verifyCommand(ctx, route, options as VerifyOptions | undefined),
  // Buttons elsewhere (the picker after a failed switch) apply a diagnosis's fix the same way.
  applyFix: (ctx, fix, target, profileArgs) => applyFix(ctx, fix as Fix, target as FixTarget, { profileArgs }),
};
