/**
 * The server's agent socket per session: a client repeating auth-agent-req@openssh.com before
 * the first is answered gets the one socket, not a directory and a listening socket per request.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ChannelConnection, ConnectionMux, SSHServerChannel } from '@ssh/connection';
import { describe, expect, it } from 'vitest';
import { startAgentForwarding } from '../src/agent-forwarding.ts';

/** The parts of a server session channel agent forwarding uses, recording what it is given. */
function fakeChannel() {
  let agentPath: string | undefined;
  const paths: (string | undefined)[] = [];
  let close: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (close = resolve));
  const channel = {
    getAgentPath: () => agentPath,
    setAgentPath: (p: string | undefined) => {
      paths.push(p);
      agentPath = p;
    },
    waitClosed: () => closed,
  };
  return { channel: channel as unknown as SSHServerChannel<Uint8Array>, paths, close: () => close() };
}

describe('agent forwarding setup', () => {
  it('answers a burst of requests on one session with one socket, removed with the session', async () => {
    const { channel, paths, close } = fakeChannel();
    const mux = {} as ConnectionMux;
    const connection = {} as ChannelConnection;
    const answers = await Promise.all(Array.from({ length: 20 }, () => startAgentForwarding(channel, mux, connection, () => undefined)));
    expect(answers.every((a) => a)).toBe(true);
    expect(paths).toHaveLength(1);
    const socketPath = paths[0] as string;
    expect(existsSync(socketPath)).toBe(true);
    // Asked again once set up: the same socket.
    expect(await startAgentForwarding(channel, mux, connection, () => undefined)).toBe(true);
    expect(paths).toHaveLength(1);
    close();
    for (let i = 0; i < 100 && existsSync(path.dirname(socketPath)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(path.dirname(socketPath))).toBe(false);
  });
});
