// MCP servers a profile turns off: each table repeats config.toml's transport, because Codex 0.169
// with --strict-config refuses a server table without one ("invalid transport"; the real Codex run
// is in test/process/codex-later-agreement.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { buildProfile } from '../../src/core/codex/profile';
import { enabledMcpServers } from '../../src/core/codex/tomlEdit';
import { main } from '../../src/cli/main';

const S = { 'codex.disableNonFunctionTools': 'auto', 'codex.autoCompactFraction': 0.75, 'llamacpp.autoCompactTokenLimit': 14000 } as const;
const route = { provider: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1', model: 'qwen3-coder', contextWindow: 32768 } as const;
const CONFIG =
  '[mcp_servers.github]\ncommand = "gh-mcp"\nargs = ["--stdio"]\n\n[mcp_servers.docs]\nurl = "http://127.0.0.1:9/mcp"\n\n[mcp_servers.odd]\nenabled = true\n';

test("config.toml: each enabled server's transport (command or url); null for a server without one; none for a config that does not parse", () => {
  assert.deepEqual(enabledMcpServers(CONFIG), { github: { command: 'gh-mcp' }, docs: { url: 'http://127.0.0.1:9/mcp' }, odd: null });
  assert.deepEqual(enabledMcpServers('[mcp_servers\n'), {});
  assert.deepEqual(enabledMcpServers(''), {});
});

test('a server turned off keeps its transport key beside enabled = false; args and the rest stay in config.toml', () => {
  const p = buildProfile(route, S, {
    name: 'local-lmstudio',
    codexHome: '/tmp/ch',
    findings: { toolTypes: { namespace: 'rejected' } },
    mcpServers: { github: enabledMcpServers(CONFIG).github ?? null, docs: enabledMcpServers(CONFIG).docs ?? null },
  });
  assert.deepEqual(JSON.parse(JSON.stringify((parseToml(p.fileText ?? '') as Record<string, unknown>).mcp_servers)), {
    github: { command: 'gh-mcp', enabled: false },
    docs: { url: 'http://127.0.0.1:9/mcp', enabled: false },
  });
});

test('codex-profile --from-verify reads the transports from config.toml', async () => {
  const home = mkdtempSync(join(tmpdir(), 'lmr-mcp-off-'));
  try {
    mkdirSync(join(home, 'ch'));
    writeFileSync(join(home, 'ch', 'config.toml'), CONFIG);
    writeFileSync(
      join(home, 'report.json'),
      JSON.stringify({ agent: 'codex', stages: [], findings: { toolTypes: { namespace: 'rejected' } } }),
    );
    let out = '';
    const code = await main(
      [
        'codex-profile',
        '--name',
        'p',
        '--provider-id',
        'local-lmstudio',
        '--base-url',
        'http://127.0.0.1:1234/v1',
        '--model',
        'm',
        '--codex-home',
        join(home, 'ch'),
        '--codex-version',
        '0.169.0',
        '--from-verify',
        join(home, 'report.json'),
        '--json',
      ],
      {
        out: t => {
          out += t;
        },
        err: t => {
          out += t;
        },
        env: { HOME: home },
        cwd: home,
      },
    );
    assert.equal(code, 0, out);
    const text = readFileSync(join(home, 'ch', 'p.config.toml'), 'utf8');
    assert.match(text, /\[mcp_servers\.github\]\ncommand = "gh-mcp"\nenabled = false\n/);
    assert.match(text, /\[mcp_servers\.docs\]\nurl = "http:\/\/127\.0\.0\.1:9\/mcp"\nenabled = false\n/);
    assert.doesNotMatch(text, /--stdio/, 'args stay in config.toml');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
