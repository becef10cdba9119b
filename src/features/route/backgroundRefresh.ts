// Background probing only while this window is focused: no timers or sockets while idle.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';

export function register(ctx: Ctx): void {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const sync = () => {
    stop();
    const seconds = ctx.settings().values['discovery.refreshIntervalSeconds'];
    if (!vscode.window.state.focused || seconds <= 0) return;
    timer = setInterval(() => void ctx.discovery.refresh('background'), seconds * 1000);
  };
  ctx.extension.subscriptions.push(
    vscode.window.onDidChangeWindowState(s => {
      // Coming back to the window is when a person looks at the status bar: refresh then.
      if (s.focused && !timer) void ctx.discovery.refresh('window-focus');
      sync();
    }),
    // Fired after the settings cache is renewed, so the refresh reads the new values.
    ctx.onDidChangeSettings(e => {
      if (e.trust) return void ctx.discovery.refresh('trust-granted');
      if (e.affects('discovery.refreshIntervalSeconds')) sync();
      // Base URLs, ports and endpoints all live under our section; a changed one means new targets.
      else if (!e.affects('terminal')) void ctx.discovery.refresh('settings-changed');
    }),
    { dispose: stop },
  );
  // One probe after start-up, so a restored route shows its real health; it and the timer (which
  // reads the settings) start after activation, not during it.
  setTimeout(() => {
    sync();
    void ctx.discovery.refresh('startup');
  }, 0);
}
