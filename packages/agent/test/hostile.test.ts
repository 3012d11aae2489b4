/** The client against a scripted, misbehaving agent: typed errors, never a hang. */
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '@ssh/keys';
import {
  AGENT,
  AgentClosedError,
  AgentConnectError,
  AgentFailureError,
  AgentProtocolError,
  AgentServerCodec,
  AgentTimeoutError,
  decodeAgentRequest,
  encodeExtensionNames,
  type SSHAgentClient,
} from '../src/index.ts';
import { connectAgent } from '../src/node/index.ts';
import { type FakeAgent, type Script, frame, startFakeAgent } from './helpers/fake-agent.ts';

let agent: FakeAgent | undefined;
let client: SSHAgentClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await agent?.close();
  agent = undefined;
});

async function against(script: Script, options: { timeoutMs?: number; maxReplyLength?: number } = {}): Promise<SSHAgentClient> {
  agent = await startFakeAgent(script);
  client = await connectAgent(agent.path, { timeoutMs: 5_000, ...options });
  return client;
}

async function protocolReason(p: Promise<unknown>): Promise<string> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentProtocolError);
  return (error as AgentProtocolError).reason;
}

describe('hostile agent', () => {
  it('truncated reply: AgentProtocolError truncated, and queued requests fail too', async () => {
    const c = await against((_p, s) => s.end(frame(AGENT.IDENTITIES_ANSWER, 0, 0).subarray(0, 6)));
    const first = c.getKeys();
    const second = c.getKeys();
    expect(await protocolReason(first)).toBe('truncated');
    await expect(second).rejects.toBeInstanceOf(AgentClosedError);
    await expect(c.removeAll()).rejects.toBeInstanceOf(AgentClosedError);
  });

  it('oversized reply is refused from its length prefix, while the agent keeps the connection open', async () => {
    const c = await against((_p, s) => s.write(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, AGENT.IDENTITIES_ANSWER)));
    expect(await protocolReason(c.getKeys())).toBe('oversized');
  });

  it('the reply limit is configurable', async () => {
    const big = new Array<number>(100).fill(0);
    const c = await against((_p, s) => s.write(frame(AGENT.SIGN_RESPONSE, 0, 0, 0, 100, ...big)), { maxReplyLength: 64 });
    expect(await protocolReason(c.signBlob(new Uint8Array(4), new Uint8Array(1)))).toBe('oversized');
  });

  it('wrong reply type', async () => {
    const c = await against((_p, s) => s.write(frame(AGENT.SIGN_RESPONSE, 0, 0, 0, 0)));
    expect(await protocolReason(c.getKeys())).toBe('unexpected-message');
  });

  it('SUCCESS with trailing bytes to a plain request', async () => {
    const c = await against((_p, s) => s.write(frame(AGENT.SUCCESS, 1)));
    expect(await protocolReason(c.removeAll())).toBe('unexpected-message');
  });

  it('malformed body: a key count the message cannot hold', async () => {
    const c = await against((_p, s) => s.write(frame(AGENT.IDENTITIES_ANSWER, 0x7f, 0xff, 0xff, 0xff)));
    expect(await protocolReason(c.getKeys())).toBe('malformed');
  });

  it('empty message', async () => {
    const c = await against((_p, s) => s.write(Uint8Array.of(0, 0, 0, 0)));
    expect(await protocolReason(c.getKeys())).toBe('empty');
  });

  it('an unsolicited reply poisons the connection', async () => {
    const c = await against((_p, s) => s.write(Uint8Array.from([...frame(AGENT.SUCCESS), ...frame(AGENT.SUCCESS)])));
    await expect(c.removeAll()).resolves.toBeUndefined();
    await c.waitClosed();
    const error = await c.removeAll().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentClosedError);
    expect((error as AgentClosedError).cause).toBeInstanceOf(AgentProtocolError);
  });

  it('agent closes without replying: AgentClosedError', async () => {
    const c = await against((_p, s) => s.end());
    await expect(c.getKeys()).rejects.toBeInstanceOf(AgentClosedError);
  });

  it('agent never replies: AgentTimeoutError from the Node adapter', async () => {
    const c = await against(() => undefined, { timeoutMs: 200 });
    await expect(c.getKeys()).rejects.toBeInstanceOf(AgentTimeoutError);
    await expect(c.getKeys()).rejects.toBeInstanceOf(AgentClosedError);
  });

  it('FAILURE is an AgentFailureError and the connection stays usable', async () => {
    const c = await against((p, s) => s.write(frame(p[0] === AGENT.LOCK ? AGENT.FAILURE : AGENT.SUCCESS)));
    const error = await c.lock('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentFailureError);
    expect((error as AgentFailureError).request).toBe('SSH_AGENTC_LOCK');
    await expect(c.unlock('x')).resolves.toBeUndefined();
  });

  it('close() rejects the pending request', async () => {
    const c = await against(() => undefined);
    const pending = c.getKeys();
    c.close();
    await expect(pending).rejects.toBeInstanceOf(AgentClosedError);
  });
});

describe('well-behaved scripted agent', () => {
  it('requests go out one at a time, in call order', async () => {
    const codec = new AgentServerCodec();
    const c = await against((p, s, i) => {
      // Answer late, so that a client that pipelines would have several requests out.
      setTimeout(() => s.write(codec.reply(p[0] === AGENT.SIGN_REQUEST ? { type: 'signature', signature: Uint8Array.of(0, 0, 0, 1, i) } : { type: 'success' })), 5);
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map(async (n) => c.signBlob(Uint8Array.of(n), Uint8Array.of(n))));
    expect(agent?.maxOutstanding).toBe(1);
    expect(results.map((r) => r[4])).toEqual([0, 1, 2, 3, 4]);
    expect(agent?.requests.map((r) => r[5])).toEqual([1, 2, 3, 4, 5]);
  });

  it('getKeys lists keys and keeps comments that are not UTF-8; unknown key types are listed without a key', async () => {
    const key = generatePrivateKey('ssh-ed25519');
    const odd = Uint8Array.of(0, 0, 0, 7, ...new TextEncoder().encode('x-weird'), 0, 0, 0, 0);
    const codec = new AgentServerCodec();
    const c = await against((_p, s) =>
      s.write(codec.reply({ type: 'identities', keys: [{ publicKey: key.publicData, comment: Uint8Array.of(0xff, 0x41) }, { publicKey: odd, comment: new Uint8Array(0) }] })),
    );
    const [a, b] = await c.getKeys();
    expect(a?.algorithm).toBe('ssh-ed25519');
    expect(a?.getCommentBytes()).toEqual(Uint8Array.of(0xff, 0x41));
    expect(a?.getComment()).toBe('\ufffdA');
    expect(a?.key?.equals(key)).toBe(true);
    expect(b?.algorithm).toBe('x-weird');
    expect(b?.key).toBeUndefined();
  });
});

describe('query extension forms', () => {
  it('SUCCESS followed by names, and EXTENSION_RESPONSE "query" followed by names', async () => {
    const codec = new AgentServerCodec();
    const names = encodeExtensionNames(['query', 'session-bind@openssh.com']);
    const c = await against((_p, s, i) =>
      s.write(codec.reply(i === 0 ? { type: 'success', contents: names } : i === 1 ? { type: 'extension-response', extensionType: 'query', contents: names } : { type: 'extension-failure' })),
    );
    expect(await c.queryExtensions()).toEqual(['query', 'session-bind@openssh.com']);
    expect(await c.queryExtensions()).toEqual(['query', 'session-bind@openssh.com']);
    expect(await c.queryExtensions()).toEqual([]);
    const req = agent?.requests[0];
    expect(req && decodeAgentRequest(req)).toEqual({ type: 'extension', extensionType: 'query', contents: new Uint8Array(0) });
  });

  it('a query reply that does not decode is malformed', async () => {
    const c = await against((_p, s) => s.write(frame(AGENT.SUCCESS, 0, 0, 0, 9, 0x71)));
    expect(await protocolReason(c.queryExtensions())).toBe('malformed');
  });
});

describe('connectAgent', () => {
  it('without SSH_AUTH_SOCK or at a missing path: AgentConnectError', async () => {
    await expect(connectAgent('')).rejects.toBeInstanceOf(AgentConnectError);
    await expect(connectAgent('/nonexistent/agent.sock')).rejects.toBeInstanceOf(AgentConnectError);
  });
});
