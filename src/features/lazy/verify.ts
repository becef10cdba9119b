// Placeholder until the feature lands; replaced by its owner.
import type { LazyModule } from '../../ctx';

export const commands: LazyModule['commands'] = {};
