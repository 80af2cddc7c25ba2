// Interoperability client: drives codebase-mcp or workflow-mcp with the
// official MCP TypeScript SDK and prints what it saw as one JSON object on
// stdout. It asserts nothing itself: test/interop (Go, -tags interop)
// decides what is right, so a failure message names the server's fault.
//
//   node client.mjs '<plan JSON>'
//
// plan: {transport: "http" | "sse" | "stdio",
//        url, token,                 // http, sse
//        command, args, env,         // stdio
//        calls: [{name, arguments, until}], // tools to call when the server lists them;
//                                    // a string "$N.path.to.field" in arguments is
//                                    // replaced by that field of call N's structuredContent;
//                                    // until: {field, values, timeoutMs} repeats the call
//        versions: ["2025-06-18", ...]} // protocol versions to negotiate one by one
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';

const plan = JSON.parse(process.argv[2]);
// The SDK's exports map hides its package.json; this script runs from the
// directory npm installed into, so read it from there.
const sdkVersion = JSON.parse(readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url))).version;
const clientInfo = { name: 'interop-ts-sdk', version: sdkVersion };

function headers() {
  return plan.token ? { Authorization: `Bearer ${plan.token}` } : {};
}

function newTransport() {
  switch (plan.transport) {
    case 'http':
      return new StreamableHTTPClientTransport(new URL(plan.url), { requestInit: { headers: headers() } });
    case 'sse':
      return new SSEClientTransport(new URL(plan.url), { requestInit: { headers: headers() } });
    case 'stdio':
      return new StdioClientTransport({ command: plan.command, args: plan.args ?? [], env: plan.env ?? {}, stderr: 'pipe' });
    default:
      throw new Error(`unknown transport ${plan.transport}`);
  }
}

function errorText(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

// resolve replaces "$N.a.b" strings with call N's structuredContent.a.b.
function resolve(value, calls) {
  if (typeof value === 'string' && /^\$\d+\./.test(value)) {
    const [idx, ...path] = value.slice(1).split('.');
    let v = calls[Number(idx)]?.structuredContent;
    for (const p of path) v = v?.[p];
    return v;
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, calls));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, calls)]));
  }
  return value;
}

// session runs initialize, ping, tools/list and the planned calls with the
// SDK's Client, which validates structured content against output schemas.
async function session(report) {
  const client = new Client(clientInfo, { capabilities: {} });
  const transport = newTransport();
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const started = performance.now();
  try {
    await client.connect(transport);
  } catch (e) {
    report.connectError = errorText(e);
    report.connectErrorCode = e?.code ?? null; // the HTTP status for StreamableHTTPError
    report.serverStderr = stderr;
    return;
  }
  report.connectMs = performance.now() - started;
  report.server = client.getServerVersion();
  report.capabilities = client.getServerCapabilities();
  report.instructions = client.getInstructions();
  report.negotiated = transport.protocolVersion ?? null;
  report.sessionId = transport.sessionId ?? null;
  try {
    report.ping = await client.ping();
  } catch (e) {
    report.pingError = errorText(e);
  }
  const listed = await client.listTools();
  report.tools = listed.tools;
  const names = new Set(listed.tools.map((t) => t.name));
  report.calls = [];
  for (const c of plan.calls ?? []) {
    const out = { name: c.name, listed: names.has(c.name) };
    report.calls.push(out);
    if (!out.listed) continue;
    try {
      // With until, call again (a job's status) until structuredContent[until.field]
      // is one of until.values or until.timeoutMs passes.
      const deadline = Date.now() + (c.until?.timeoutMs ?? 0);
      for (;;) {
        const res = await client.callTool({ name: c.name, arguments: resolve(c.arguments ?? {}, report.calls) });
        out.isError = res.isError ?? false;
        out.structuredContent = res.structuredContent ?? null;
        out.content = res.content;
        if (!c.until || out.isError || c.until.values.includes(out.structuredContent?.[c.until.field]) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (e) {
      out.error = errorText(e); // includes the SDK's output-schema validation failures
    }
  }
  await client.close();
  report.serverStderr = stderr;
}

// negotiate sends initialize with one protocol version through the SDK's
// own transport (the Client always offers its latest), then lists tools
// with the negotiated version in effect.
async function negotiate(version) {
  const transport = newTransport();
  const pending = new Map();
  transport.onmessage = (msg) => {
    if (msg.id !== undefined && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  const request = (id, method, params) => new Promise((resolve, reject) => {
    pending.set(id, resolve);
    setTimeout(() => reject(new Error(`${method}: no answer in 10 s`)), 10000).unref();
    transport.send({ jsonrpc: '2.0', id, method, params }).catch(reject);
  });
  const out = { requested: version };
  try {
    await transport.start();
    const init = await request(1, 'initialize', { protocolVersion: version, capabilities: {}, clientInfo });
    if (init.error) throw new Error(`initialize: ${JSON.stringify(init.error)}`);
    out.negotiated = init.result.protocolVersion;
    transport.setProtocolVersion?.(out.negotiated);
    await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const list = await request(2, 'tools/list', {});
    if (list.error) throw new Error(`tools/list: ${JSON.stringify(list.error)}`);
    out.toolCount = list.result.tools.length;
  } catch (e) {
    out.error = errorText(e);
  } finally {
    await transport.close().catch(() => {});
  }
  return out;
}

const report = {
  sdkVersion,
  sdkLatestProtocolVersion: LATEST_PROTOCOL_VERSION,
  sdkSupportedProtocolVersions: SUPPORTED_PROTOCOL_VERSIONS,
  transport: plan.transport,
};
try {
  await session(report);
  report.negotiation = [];
  for (const v of plan.versions ?? []) report.negotiation.push(await negotiate(v));
} catch (e) {
  report.fatal = errorText(e);
}
process.stdout.write(JSON.stringify(report) + '\n');
process.exit(0);
