/** Extension replies from a hostile agent: query and session-bind@openssh.com answered wrongly give typed errors. */
import { describe, expect, it } from 'vitest';
import { AGENT, AgentClosedError, AgentFailureError, AgentProtocolError, SSHAgentClient } from '../src/index.ts';
import { scriptedStream } from './helpers/memory-stream.ts';
import { frame } from './helpers/fake-agent.ts';

const bind = { hostKey: new Uint8Array(4), sessionId: new Uint8Array(32), signature: new Uint8Array(8), isForwarding: false };
const latin1 = (s: string): number[] => [0, 0, 0, s.length, ...[...s].map((c) => c.charCodeAt(0))];

/** A client whose agent answers the first request with `reply` (framed bytes). */
function answering(reply: Uint8Array): SSHAgentClient {
  return new SSHAgentClient(scriptedStream(() => [reply]));
}

async function reason(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AgentProtocolError);
  return (e as AgentProtocolError).reason;
}

describe('session-bind@openssh.com', () => {
  it('SUCCESS with data, an EXTENSION_RESPONSE, or EXTENSION_FAILURE with trailing bytes: protocol errors that close the connection', async () => {
    for (const reply of [frame(AGENT.SUCCESS, 1), frame(AGENT.EXTENSION_RESPONSE, ...latin1('session-bind@openssh.com')), frame(AGENT.EXTENSION_FAILURE, 0)]) {
      const client = answering(reply);
      expect(await reason(client.bindSession(bind))).toBe('unexpected-message');
      await expect(client.removeAll()).rejects.toBeInstanceOf(AgentClosedError);
    }
  });

  it('FAILURE and EXTENSION_FAILURE are refusals; the connection stays usable', async () => {
    for (const refusal of [AGENT.FAILURE, AGENT.EXTENSION_FAILURE]) {
      let n = 0;
      const client = new SSHAgentClient(scriptedStream(() => [n++ === 0 ? frame(refusal) : frame(AGENT.SUCCESS)]));
      await expect(client.bindSession(bind)).rejects.toBeInstanceOf(AgentFailureError);
      await expect(client.removeAll()).resolves.toBeUndefined();
      client.close();
    }
  });
});

describe('query', () => {
  it('an EXTENSION_RESPONSE cut inside its type, or for another extension: protocol errors', async () => {
    expect(await reason(answering(frame(AGENT.EXTENSION_RESPONSE, 0, 0, 0, 9, 0x71)).queryExtensions())).toBe('malformed');
    expect(await reason(answering(frame(AGENT.EXTENSION_RESPONSE, ...latin1('other'))).queryExtensions())).toBe('unexpected-message');
  });

  it('names that overrun the reply: malformed', async () => {
    expect(await reason(answering(frame(AGENT.EXTENSION_RESPONSE, ...latin1('query'), 0, 0, 0, 5, 0x61)).queryExtensions())).toBe('malformed');
  });
});
