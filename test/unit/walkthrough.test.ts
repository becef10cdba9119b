// The walkthrough tells people what to click; what it quotes must be what the status bar shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_ROUTE_TEXT, renderStatus } from '../../src/core/route/statusView';

const md = (step: string) => readFileSync(join(__dirname, '../../media/walkthrough', `${step}.md`), 'utf8');

test('"Pick a model" quotes the status-bar texts a person will actually see', () => {
  const text = md('pickModel');
  for (const quoted of [NO_ROUTE_TEXT.pick, NO_ROUTE_TEXT.none])
    assert.ok(text.includes(`**${quoted}**`), `the walkthrough quotes "${quoted}"`);
  const base = { route: undefined, health: { kind: 'unknown' as const }, verifications: {}, terminalsRouted: false, trusted: true };
  for (const [endpointsUp, want] of [
    [2, NO_ROUTE_TEXT.pick],
    [0, NO_ROUTE_TEXT.none],
  ] as const) {
    assert.ok(renderStatus({ ...base, discovery: { ran: true, busy: false, endpointsUp, models: endpointsUp } }).text.endsWith(want));
  }
  assert.doesNotMatch(text, /Click \*\*Local Model Router\*\*/, 'the item never shows that text');
});
