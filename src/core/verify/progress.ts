// What the progress notification says while a verification runs: the stage, how long it has taken,
// what its prompt should take at the rate measured on this server, and the time in all. Pure.
import { formatMs } from './report';

export interface RunningStage {
  /** "Codex: A Codex-sized turn" */
  label: string;
  startedAt: number;
  /** Prompt time expected at the measured rate (VerifyProgress.estimateMs). */
  estimateMs?: number;
}

/** "Codex: A Codex-sized turn — 4 s (prompt ≈2.1 s at the measured rate) · 12 s in all" */
export function runningText(stage: RunningStage, runStartedAt: number, now: number): string {
  const elapsed = Math.max(0, now - stage.startedAt);
  const total = Math.max(0, now - runStartedAt);
  const est = stage.estimateMs !== undefined ? ` (prompt ≈${formatMs(stage.estimateMs)} at the measured rate)` : '';
  return `${stage.label} — ${seconds(elapsed)}${est} · ${seconds(total)} in all`;
}

function seconds(ms: number): string {
  return `${Math.floor(ms / 1000)} s`;
}
