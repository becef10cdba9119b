export interface LaunchedState {
  state: 'starting' | 'ready' | 'exited' | 'stopped';
  exitCode?: number;
}
