/**
 * @ssh/agent/node: connecting to an agent over a UNIX-domain socket (SSH_AUTH_SOCK), and the
 * Node socket as an AgentByteStream. The only place @ssh/agent touches Node I/O and timers.
 * @module
 */

import { type Socket, createConnection } from 'node:net';
import { type AgentClientOptions, SSHAgentClient } from '../client.ts';
import { AgentConnectError } from '../errors.ts';
import type { AgentByteStream, AgentTimer } from '../stream.ts';

export interface ConnectAgentOptions extends Omit<AgentClientOptions, 'timer'> {
  /** Bound on connecting to the socket (default 10 s). */
  readonly connectTimeoutMs?: number;
}

/** Default per-request bound: an agent asking the user to confirm (ssh-add -c) may take a while. */
export const DEFAULT_AGENT_TIMEOUT_MS = 60_000;

/** setTimeout as the client's timer. */
export const nodeTimer: AgentTimer = (ms, onTimeout) => {
  const t = setTimeout(onTimeout, ms);
  t.unref();
  return () => clearTimeout(t);
};

/** A connected socket as an AgentByteStream. */
export function fromNodeSocket(socket: Socket): AgentByteStream {
  return {
    readable: socket,
    write(chunk) {
      if (socket.destroyed) return Promise.reject(new AgentConnectError('agent socket is closed'));
      if (socket.write(chunk)) return undefined;
      return new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    },
    close() {
      socket.destroy();
    },
  };
}

/**
 * Connects to the agent at `path` (default: SSH_AUTH_SOCK) (AsyncSSH connect_agent). Each
 * request is bounded by `timeoutMs` (default 60 s); a timeout closes the connection.
 */
export async function connectAgent(path: string | undefined = process.env['SSH_AUTH_SOCK'], options: ConnectAgentOptions = {}): Promise<SSHAgentClient> {
  if (path === undefined || path === '') throw new AgentConnectError('no agent: SSH_AUTH_SOCK is not set');
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection({ path });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new AgentConnectError(`timed out connecting to the agent at ${path}`));
    }, options.connectTimeoutMs ?? 10_000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.off('error', onError);
      resolve(s);
    });
    const onError = (cause: Error): void => {
      clearTimeout(timer);
      reject(new AgentConnectError(`cannot connect to the agent at ${path}: ${cause.message}`, { cause }));
    };
    s.once('error', onError);
  });
  // Errors after connecting surface through the stream's iteration.
  socket.on('error', () => undefined);
  const { connectTimeoutMs: _ignored, ...clientOptions } = options;
  return new SSHAgentClient(fromNodeSocket(socket), { timeoutMs: DEFAULT_AGENT_TIMEOUT_MS, ...clientOptions, timer: nodeTimer });
}
