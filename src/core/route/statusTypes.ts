import type { LaunchedState } from '../launch/process';

/** What the status bar shows of a server this window started. */
export interface LaunchedView {
  state: LaunchedState;
  exitCode?: number;
}
