/**
 * The server side of agent forwarding (OpenSSH PROTOCOL, auth-agent-req@openssh.com): a
 * listening UNIX socket per session in a fresh directory only the server's user can enter; each
 * connection on it becomes an auth-agent@openssh.com channel back to the client's agent. The
 * socket and its directory go away with the session.
 * @module
 */

import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SSHChannel, type ChannelConnection, type ConnectionMux, type SSHServerChannel } from '@ssh/connection';
import { SSHForwarder } from './bridge.ts';

type ServerChannel = SSHServerChannel<Uint8Array> | SSHServerChannel<string>;

/**
 * Agent sockets being set up, per session: a client repeating auth-agent-req before the first
 * is answered (up to 256 requests may wait on a channel) shares that one socket instead of
 * getting a directory and a listening socket each.
 */
const starting = new WeakMap<ServerChannel, Promise<boolean>>();

/** Starts the per-session agent socket; answers false when it cannot be set up. */
export function startAgentForwarding(channel: ServerChannel, mux: ConnectionMux, connection: ChannelConnection, flush: () => void): Promise<boolean> {
  if (channel.getAgentPath() !== undefined) return Promise.resolve(true);
  let started = starting.get(channel);
  if (started === undefined) {
    started = listenForAgent(channel, mux, connection, flush).finally(() => starting.delete(channel));
    starting.set(channel, started);
  }
  return started;
}

async function listenForAgent(channel: ServerChannel, mux: ConnectionMux, connection: ChannelConnection, flush: () => void): Promise<boolean> {
  let dir: string;
  try {
    // mkdtemp creates the directory with mode 0700: nobody else can reach the socket.
    dir = await mkdtemp(path.join(os.tmpdir(), 'ssh-agent-'));
  } catch {
    return false;
  }
  const socketPath = path.join(dir, `agent.${process.pid}`);
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const agentChannel = new SSHChannel<Uint8Array>(connection, { encoding: null });
    const bridge = new SSHForwarder(socket);
    agentChannel.setSession(bridge);
    socket.pause();
    const base = agentChannel.handler;
    mux.openChannel('auth-agent@openssh.com', { type: 'auth-agent@openssh.com' }, {
      ...base,
      onOpen: (c) => {
        agentChannel.attach(c);
        bridge.start(agentChannel);
        socket.resume();
      },
      onOpenFailed: () => socket.destroy(),
    });
    flush();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } catch {
    await rm(dir, { recursive: true, force: true });
    return false;
  }
  channel.setAgentPath(socketPath);
  void channel.waitClosed().then(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return true;
}
