/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script Codex runs with node */
// A minimal MCP server over stdio (newline-delimited JSON-RPC, as Codex 0.169 speaks it) with one
// tool, lookup_ticket. Codex starts it from `[mcp_servers.<name>] command = "node"` in config.toml
// and offers its tool to the model as the namespace tool `mcp__<name>`. With MCP_IMAGE=1 (set through
// the server's `env = { … }` table: Codex passes MCP servers no other environment) the result also
// carries a 1×1 PNG, as a screenshot tool's would.
const rl = require('node:readline').createInterface({ input: process.stdin });
const send = m => process.stdout.write(`${JSON.stringify(m)}\n`);
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
rl.on('line', line => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.method === 'initialize') {
    send({
      jsonrpc: '2.0',
      id: m.id,
      result: {
        protocolVersion: m.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'lmr-test-tickets', version: '1.0.0' },
      },
    });
  } else if (m.method === 'tools/list') {
    send({
      jsonrpc: '2.0',
      id: m.id,
      result: {
        tools: [
          {
            name: 'lookup_ticket',
            description: 'Looks up a ticket by id.',
            inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
          },
        ],
      },
    });
  } else if (m.method === 'tools/call') {
    const id = String(m.params?.arguments?.id ?? '?');
    const content = [{ type: 'text', text: `TICKET-${id}: open` }];
    if (process.env.MCP_IMAGE) content.push({ type: 'image', mimeType: 'image/png', data: PNG });
    send({ jsonrpc: '2.0', id: m.id, result: { content } });
  } else if (m.id !== undefined) {
    send({ jsonrpc: '2.0', id: m.id, result: {} });
  }
});
