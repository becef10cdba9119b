// The launch feature's commands (bundled as dist/lazy/launch.js, loaded on first use).
import type { LazyModule } from '../../ctx';
import { startServer, stopServer, restartServer, showServerTerminal, adoptServersCommand, type LaunchOptions } from './start';
import { exportWrapperScripts } from './exportScripts';
import { chooseLlamaModel } from './chooseModel';
import { pullOllamaModelCommand } from './ollama';

export const commands: LazyModule['commands'] = {
  startServer: (ctx, provider, options) => startServer(ctx, provider, options as LaunchOptions | undefined),
  stopServer: (ctx, provider) => stopServer(ctx, provider),
  restartServer: (ctx, provider, options) => restartServer(ctx, provider, options as LaunchOptions | undefined),
  showServerTerminal: (ctx, provider) => showServerTerminal(ctx, provider),
  exportWrapperScripts: (ctx, folder, options) => exportWrapperScripts(ctx, folder, options as LaunchOptions | undefined),
  chooseLlamaModel: (ctx, path) => chooseLlamaModel(ctx, path),
  pullOllamaModel: (ctx, args) => pullOllamaModelCommand(ctx, args),
  adoptServers: ctx => adoptServersCommand(ctx),
};
