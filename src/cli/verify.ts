// Placeholder until the feature lands; replaced by its owner.
import type { Subcommand } from './io';

export const verifyCommand: Subcommand = {
  summary: '(not built yet)',
  help: 'not built yet',
  run: async (_args, io) => {
    io.err('not built yet');
    return 1;
  },
};
