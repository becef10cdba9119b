// Command ids, defined once. package.json's contributes.commands is checked against this table
// by a unit test and by the extension-host suite (every contributed command is registered).
export const COMMANDS = {
  pickRoute: { id: 'localModelRouter.pickRoute', title: 'Pick Local Model…', icon: '$(server-process)' },
  refresh: { id: 'localModelRouter.refresh', title: 'Refresh Servers', icon: '$(refresh)' },
  addEndpoint: { id: 'localModelRouter.addEndpoint', title: 'Add an OpenAI-Compatible Endpoint…', icon: '$(add)' },
  setApiKey: { id: 'localModelRouter.setApiKey', title: 'Set API Key…', icon: '$(key)' },
  clearRoute: { id: 'localModelRouter.clearRoute', title: 'Clear Active Route', icon: '$(circle-slash)' },
  openCodex: { id: 'localModelRouter.openCodex', title: 'Open Codex on This Route', icon: '$(terminal)' },
  verifyRoute: { id: 'localModelRouter.verifyRoute', title: 'Verify Route', icon: '$(check-all)' },
  startServer: { id: 'localModelRouter.startServer', title: 'Start Server…', icon: '$(play)', trusted: true },
  stopServer: { id: 'localModelRouter.stopServer', title: 'Stop Server', icon: '$(debug-stop)' },
  startBridge: { id: 'localModelRouter.startBridge', title: 'Start Route Bridge', icon: '$(arrow-swap)', trusted: true },
  stopBridge: { id: 'localModelRouter.stopBridge', title: 'Stop Route Bridge', icon: '$(debug-stop)' },
  restartServer: { id: 'localModelRouter.restartServer', title: 'Restart Server', icon: '$(debug-restart)', trusted: true },
  showServerTerminal: { id: 'localModelRouter.showServerTerminal', title: 'Show Server Terminal', icon: '$(terminal-view-icon)' },
  chooseLlamaModel: { id: 'localModelRouter.chooseLlamaModel', title: 'Choose the llama.cpp Model File…', icon: '$(file)', trusted: true },
  pullOllamaModel: { id: 'localModelRouter.pullOllamaModel', title: 'Pull an Ollama Model…', icon: '$(cloud-download)' },
  connectSshTunnel: {
    id: 'localModelRouter.connectSshTunnel',
    title: 'Connect to a Remote Server over SSH…',
    icon: '$(remote)',
    trusted: true,
  },
  disconnectSshTunnel: { id: 'localModelRouter.disconnectSshTunnel', title: 'Disconnect SSH Tunnel', icon: '$(debug-disconnect)' },
  exportWrapperScripts: { id: 'localModelRouter.exportWrapperScripts', title: 'Export Server Wrapper Scripts…', icon: '$(export)' },
  writeCodexProfile: { id: 'localModelRouter.writeCodexProfile', title: 'Write Codex Profile…', icon: '$(file-code)' },
  openClaudeCode: { id: 'localModelRouter.openClaudeCode', title: 'Open Claude Code on This Route', icon: '$(terminal)' },
  writeClaudeSettings: { id: 'localModelRouter.writeClaudeSettings', title: 'Write Claude Code Settings…', icon: '$(file-code)' },
  restoreClaudeBackup: {
    id: 'localModelRouter.restoreClaudeBackup',
    title: 'Restore Last Claude Code Settings Backup',
    icon: '$(history)',
  },
  checkCodexConfig: { id: 'localModelRouter.checkCodexConfig', title: 'Check Codex Config', icon: '$(checklist)' },
  trustFolderInCodex: { id: 'localModelRouter.trustFolderInCodex', title: 'Trust This Folder in Codex', icon: '$(shield)', trusted: true },
  restoreCodexBackup: { id: 'localModelRouter.restoreCodexBackup', title: 'Restore Last Codex Config Backup', icon: '$(history)' },
  migrateLegacyProfiles: {
    id: 'localModelRouter.migrateLegacyProfiles',
    title: 'Move Legacy Codex Profiles into Profile Files',
    icon: '$(arrow-swap)',
  },
  openSettings: { id: 'localModelRouter.openSettings', title: 'Open Settings', icon: '$(gear)' },
  showLog: { id: 'localModelRouter.showLog', title: 'Show Log', icon: '$(output)' },
  // Run from buttons (reports, notifications), with arguments; hidden from the Command Palette.
  applyFix: { id: 'localModelRouter.applyFix', title: 'Apply a Suggested Fix', icon: '$(wrench)', hidden: true },
  // The title bar of the diffs shown before a write (and the palette while one is open).
  applyPreviewed: { id: 'localModelRouter.applyPreviewed', title: 'Apply These Changes', icon: '$(check)', previewTitle: true },
  cancelPreviewed: { id: 'localModelRouter.cancelPreviewed', title: 'Cancel These Changes', icon: '$(close)', previewTitle: true },
  // Run once after start-up when servers of earlier windows are recorded.
  adoptServers: {
    id: 'localModelRouter.adoptServers',
    title: 'Take Over Servers of Earlier Windows',
    icon: '$(server-process)',
    hidden: true,
  },
} as const satisfies Record<
  string,
  { id: string; title: string; icon: string; trusted?: boolean; hidden?: boolean; previewTitle?: boolean }
>;

export type CommandKey = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandKey]['id'];
export const CATEGORY = 'Local Model Router';
/** The URI scheme of the documents the diffs before a write show (ui/diffPreview.ts); the title-bar actions appear on them. */
export const PREVIEW_SCHEME = 'local-model-router-codex';
/** The walkthrough's id in package.json (contributes.walkthroughs). */
export const WALKTHROUGH_ID = 'gettingStarted';

/** Which lazily loaded bundle (dist/lazy/<name>.js) implements a command; absent = the always-loaded shell. */
export const LAZY_COMMANDS = {
  pickRoute: 'route',
  addEndpoint: 'endpoints',
  setApiKey: 'endpoints',
  verifyRoute: 'verify',
  startServer: 'launch',
  stopServer: 'launch',
  restartServer: 'launch',
  showServerTerminal: 'launch',
  exportWrapperScripts: 'launch',
  chooseLlamaModel: 'launch',
  pullOllamaModel: 'launch',
  adoptServers: 'launch',
  applyFix: 'verify',
  writeCodexProfile: 'codex',
  openCodex: 'codex',
  openClaudeCode: 'claude',
  writeClaudeSettings: 'claude',
  restoreClaudeBackup: 'claude',
  checkCodexConfig: 'codex',
  trustFolderInCodex: 'codex',
  restoreCodexBackup: 'codex',
  migrateLegacyProfiles: 'codex',
  connectSshTunnel: 'tunnel',
  disconnectSshTunnel: 'tunnel',
  startBridge: 'bridge',
  stopBridge: 'bridge',
} as const satisfies Partial<Record<CommandKey, 'route' | 'endpoints' | 'verify' | 'launch' | 'codex' | 'claude' | 'tunnel' | 'bridge'>>;
export type LazyModuleName = (typeof LAZY_COMMANDS)[keyof typeof LAZY_COMMANDS];
