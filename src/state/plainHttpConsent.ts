// The one owner of plain-http approvals: before a key or a prompt goes to another host in clear
// text, the person is asked once per base URL (core/endpoints.ts plainHttpConsent decides), and the
// answer is kept in globalState, so it holds across workspaces and restarts. Asking is the caller's
// UI (features/route/plainHttpQuestion.ts); only a yes is remembered.
import type * as vscode from 'vscode';
import type { ConsentOutcome, PlainHttpAnswer, PlainHttpConsent } from '../ctx';
import { plainHttpConsent } from '../core/endpoints';
import type { ProviderId } from '../core/providers';

const APPROVALS_KEY = 'localModelRouter.plainHttpApprovals';

export interface PlainHttpQuestion {
  /** The normalized base URL (the approval key). */
  baseUrl: string;
  host: string;
  provider?: ProviderId;
}

export interface PlainHttpConsentDeps {
  state: vscode.Memento;
  log: Pick<vscode.LogOutputChannel, 'info'>;
  ask(q: PlainHttpQuestion): Promise<PlainHttpAnswer>;
  /** "Use an SSH Tunnel Instead…": opens the Connect command for that host and port. */
  offerTunnel(q: PlainHttpQuestion): void;
}

export function createPlainHttpConsent(deps: PlainHttpConsentDeps): PlainHttpConsent {
  const approved = (): Set<string> => {
    const v = deps.state.get<unknown>(APPROVALS_KEY);
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  };
  return {
    decide: baseUrl => plainHttpConsent(baseUrl, approved()),
    async confirm(baseUrl, o = {}): Promise<ConsentOutcome> {
      const d = plainHttpConsent(baseUrl, approved());
      if (d.kind === 'send') return { kind: 'send', asked: false };
      if (d.kind === 'invalid') return d;
      const q: PlainHttpQuestion = { baseUrl: d.approvalKey, host: d.host, ...(o.provider ? { provider: o.provider } : {}) };
      const answer = o.answer ?? (await deps.ask(q));
      deps.log.info(`plain http to ${d.approvalKey}: ${answer}${o.answer ? ' (answered in advance)' : ''}`);
      switch (answer) {
        case 'send':
          await deps.state.update(APPROVALS_KEY, [...approved(), d.approvalKey]);
          return { kind: 'send', asked: true };
        case 'tunnel':
          deps.offerTunnel(q);
          return { kind: 'tunnel' };
        case 'cancel':
          return { kind: 'declined' };
      }
    },
  };
}
