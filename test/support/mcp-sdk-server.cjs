/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script Codex runs with node */
// A stdio MCP server written with the official SDK (@modelcontextprotocol/sdk) with one tool,
// lookup_ticket. Codex starts it from `[mcp_servers.<name>]` in config.toml and offers its tool to the
// model as the namespace tool `mcp__<name>`. Each call is appended as a JSON line to the file in
// MCP_CALL_LOG (set through the server's `env = { … }` table: Codex passes MCP servers no other
// environment), so a test sees the calls that reached the server.
const { appendFileSync } = require('node:fs');
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { z } = require('zod');

const server = new McpServer({ name: 'lmr-sdk-tickets', version: '1.0.0' });
server.registerTool(
  'lookup_ticket',
  {
    description: 'Looks up a ticket in the team tracker by its id and returns its title and state.',
    inputSchema: { id: z.string().describe('Ticket id, digits only.') },
  },
  async ({ id }) => {
    if (process.env.MCP_CALL_LOG) appendFileSync(process.env.MCP_CALL_LOG, `${JSON.stringify({ tool: 'lookup_ticket', id })}\n`);
    return { content: [{ type: 'text', text: `Ticket ${id}: "Printer on fire", state open.` }] };
  },
);
void server.connect(new StdioServerTransport());
