// Servers earlier windows started, found through their records (state/serverRecords.ts): this
// window takes over those whose window is gone for good (the extension host ended without stopping
// them) and those of this workspace's previous window (a reloaded browser tab: code-server keeps the
// old extension host up to 5 minutes, then ends it), follows their output in a terminal, and stops
// them as its own: with Stop Server, and when it closes. Servers of another open window stay that
// window's; Stop Server still offers to stop them.
import * as vscode from 'vscode';
import { showWarning } from '../../ui/notify';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { attachServer } from '../../core/launch';
import type { ServerRecord } from '../../core/launch/serverRecords';
import { ManagedServer } from './managedServer';
import { isActive, managed } from './ui';

export interface AdoptResult {
  adopted: { name: string; pid: number; why: 'orphan' | 'previous-window' }[];
  /** Records of servers that had ended, forgotten. */
  forgotten: number;
  /** Servers of other open windows, left to them. */
  others: number;
}

/** A ManagedServer following a recorded server, registered as this window's (the record now names this window). */
export async function takeOver(ctx: Ctx, r: ServerRecord, note: string, onUserClose: (s: ManagedServer) => void): Promise<ManagedServer> {
  const self = ctx.serverRecords.self;
  const record: ServerRecord = self ? { ...r, owner: self } : r;
  if (self) ctx.serverRecords.save(record);
  const server = new ManagedServer({
    provider: r.provider,
    baseUrl: r.baseUrl,
    name: r.name,
    commandKey: r.commandKey,
    cwd: undefined,
    onUserClose,
    ownedHere: s => !s.record || ctx.serverRecords.ownedHere(s.record),
  });
  server.record = record;
  managed(ctx, r.provider)?.dispose();
  ctx.servers.add(server);
  const proc = await server.attach(attachServer(r.server, r.logFile), note);
  server.markReady();
  void proc.exited.then(() => {
    if (!server.stopping) server.markExited(null);
    ctx.serverRecords.remove(record);
    void ctx.discovery.refresh('server-stopped');
  });
  return server;
}

export async function adoptServers(ctx: Ctx, onUserClose: (s: ManagedServer) => void): Promise<AdoptResult> {
  const result: AdoptResult = { adopted: [], forgotten: 0, others: 0 };
  for (const r of ctx.serverRecords.all()) {
    const verdict = ctx.serverRecords.judge(r);
    ctx.log.info(`${r.name}: pid ${r.server.pid}, started by pid ${r.owner.pid} at ${r.startedAt}: ${verdict}`);
    if (verdict === 'gone') {
      ctx.serverRecords.remove(r);
      result.forgotten++;
      continue;
    }
    if (verdict === 'other-window') result.others++;
    if (verdict !== 'orphan' && verdict !== 'previous-window') continue;
    if (isActive(managed(ctx, r.provider))) continue;
    const since = new Date(r.startedAt).toLocaleString();
    const server = await takeOver(
      ctx,
      r,
      verdict === 'orphan'
        ? `Started by a window that is gone (pid ${r.server.pid}, since ${since}); this window now owns it.`
        : `Started by this workspace's previous window (pid ${r.server.pid}, since ${since}); this window now owns it.`,
      onUserClose,
    );
    result.adopted.push({ name: r.name, pid: r.server.pid, why: verdict });
    if (verdict === 'orphan')
      void showWarning(
        `${r.name}, started by a window that is gone, is still running (pid ${r.server.pid}, since ${since}). This window now owns it: Stop Server stops it, and so does closing this window.`,
        COMMANDS.stopServer.title,
        'Show Terminal',
      ).then(c => {
        if (c === COMMANDS.stopServer.title) void vscode.commands.executeCommand(COMMANDS.stopServer.id, r.provider);
        else if (c) server.showTerminal();
      });
  }
  if (result.adopted.length) void ctx.discovery.refresh('server-adopted');
  return result;
}
