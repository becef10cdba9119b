// `local-model-router tunnel` refusals, in-process: none of these may start ssh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  // PATH is empty: were ssh ever started, it would fail as "no such program", not as these exits.
  const io: CliIo = { out: t => out.push(t), err: t => err.push(t), env: { PATH: '' }, cwd: '/' };
  const code = await main(['tunnel', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const usage: [string[], RegExp][] = [
  [[], /the host is required/],
  [['gpu'], /give --remote-port N or --provider P/],
  [['gpu', 'other', '--provider', 'ollama'], /one host expected, got 2/],
  [['root@gpu', '--provider', 'ollama'], /--host \(argument\): the host "root@gpu" contains "@"; give the user separately/],
  [['--provider', 'ollama', '--', '-oProxyCommand=touch /tmp/lmr-x'], /starts with "-", which ssh would read as an option/],
  [['-oProxyCommand=touch /tmp/lmr-x', '--provider', 'ollama'], /Unknown option '-o'/],
  [['gpu', '--provider', 'ollama', '--user', 'a b'], /--user: the user "a b" contains a space/],
  [['gpu', '--remote-port', '80; id'], /--remote-port: the remote port must be a whole number/],
  [['gpu', '--provider', 'openaiCompatible'], /--remote-port: OpenAI-compatible has no default port/],
  [['gpu', '--provider', 'ollama', '--local-port', '0'], /--local-port: the local port must be a whole number from 1 to 65535/],
  [
    ['gpu', '--provider', 'ollama', '--ssh-config', 'cfg\nx'],
    /--ssh-config: ssh config file must be an absolute path without control characters/,
  ],
];
for (const [args, re] of usage) {
  test(`usage error: ${JSON.stringify(args)}`, async () => {
    const r = await run(args);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /^\$ /m, 'no ssh command line was printed');
  });
}

test('an explicit --local-port that is taken: exit 1 before ssh, with a JSON failed state', async () => {
  const holder = createServer();
  await new Promise<void>(r => holder.listen(0, '127.0.0.1', r));
  const port = (holder.address() as { port: number }).port;
  try {
    const r = await run(['gpu', '--provider', 'ollama', '--local-port', String(port), '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.out), {
      event: 'state',
      state: {
        kind: 'failed',
        reason: 'port-taken',
        message: `Port ${port} on 127.0.0.1 is already in use by another program.`,
        lastLines: [],
      },
    });
  } finally {
    await new Promise(r => holder.close(r));
  }
});
