/**
 * An application callback that throws while a received message is handled (a session's
 * dataReceived, a channel's connectionMade) closes that connection with the error, as AsyncSSH
 * does; the exception never escapes the socket's read callback, where it would end the process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SSHClient, SSHServer, connect, listen, type SSHClientSession, type SSHServerConnection, type SSHServerConnectionOptions, type SSHServerProcess, type SSHServerSession } from '../src/index.ts';
import { loopbackKeys } from './loopback-keys.ts';

const keys = loopbackKeys();
let uncaught: unknown[] = [];
const record = (error: unknown): void => {
  uncaught.push(error);
};
beforeEach(() => {
  uncaught = [];
  process.on('uncaughtException', record);
});
afterEach(() => {
  process.off('uncaughtException', record);
});

/** A server that records the error each of its connections ended with. */
class LostRecorder extends SSHServer {
  private readonly lost: (Error | undefined)[];
  constructor(lost: (Error | undefined)[]) {
    super();
    this.lost = lost;
  }
  override connectionLost(error: Error | undefined): void {
    this.lost.push(error);
  }
}

/** Runs `body` against a server of ours on 127.0.0.1 (the loopback keys and `options`), then closes it. */
async function withServer(options: SSHServerConnectionOptions, body: (port: number) => Promise<void>): Promise<void> {
  const acceptor = await listen('127.0.0.1', 0, { ...keys.serverOptions, ...options });
  try {
    await body(acceptor.getPort());
  } finally {
    acceptor.close();
    await acceptor.waitClosed();
  }
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms).unref())]);
}

describe('an application callback that throws', () => {
  it("our server: a session's dataReceived throwing closes that connection with the error, and the server goes on", async () => {
    const boom = new Error('server session callback failed');
    const lost: (Error | undefined)[] = [];
    await withServer({
      serverFactory: () => new LostRecorder(lost),
      sessionFactory: (() => ({
        shellRequested: () => true,
        execRequested: () => true,
        dataReceived(data: string): void {
          if (data === 'boom') throw boom;
        },
      })) as unknown as () => SSHServerSession<string>,
    }, async (port) => {
      const conn = await connect(keys.clientOptions(port));
      const proc = await conn.createProcess('');
      proc.stdin.write('boom');
      await within(conn.waitClosed(), 5_000, 'the client connection closing');
      expect(lost).toEqual([boom]);
      // The server still serves.
      await using again = await connect(keys.clientOptions(port));
      const ok = await again.createProcess('');
      ok.stdin.write('fine');
      ok.stdin.writeEof();
      expect(lost).toHaveLength(1);
    });
    expect(uncaught).toEqual([]);
  });

  it("our client: a session's dataReceived throwing closes the connection with the error", async () => {
    const boom = new Error('client session callback failed');
    let serverConn: SSHServerConnection | undefined;
    await withServer({
      serverFactory: () =>
        new (class extends SSHServer {
          override connectionMade(conn: SSHServerConnection): void {
            serverConn = conn;
          }
        })(),
      processFactory: (proc: SSHServerProcess) => {
        proc.stdout.write('hello');
      },
    }, async (port) => {
      const lost: (Error | undefined)[] = [];
      const conn = await connect({
        ...keys.clientOptions(port),
        clientFactory: () =>
          new (class extends SSHClient {
            override connectionLost(error: Error | undefined): void {
              lost.push(error);
            }
          })(),
      });
      await conn.createSession(
        (): SSHClientSession<string> => ({
          dataReceived(): void {
            throw boom;
          },
        }),
        'say hello',
      );
      await within(conn.waitClosed(), 5_000, 'the client connection closing');
      expect(lost).toEqual([boom]);
      await within(serverConn?.waitClosed() ?? Promise.resolve(), 5_000, 'the server connection closing');
    });
    expect(uncaught).toEqual([]);
  });

  it("a session's connectionLost throwing while the connection ends is logged; the other sessions still end and waitClosed settles", async () => {
    await withServer({
      processFactory: () => undefined,
    }, async (port) => {
      const conn = await connect(keys.clientOptions(port));
      const ended: string[] = [];
      const session = (name: string, fail: boolean) => (): SSHClientSession<string> => ({
        connectionLost(): void {
          ended.push(name);
          if (fail) throw new Error(`${name} connectionLost failed`);
        },
      });
      await conn.createSession(session('first', true), 'sleep');
      await conn.createSession(session('second', false), 'sleep');
      conn.close();
      await within(conn.waitClosed(), 5_000, 'the client connection closing');
      expect(ended.sort()).toEqual(['first', 'second']);
    });
    expect(uncaught).toEqual([]);
  });

  it("our server: authCompleted() throwing after an asynchronous answer ends that connection, not the process", async () => {
    const boom = new Error('authCompleted failed');
    const lost: (Error | undefined)[] = [];
    await withServer({
      serverFactory: () =>
        new (class extends LostRecorder {
          override async beginAuth(): Promise<boolean> {
            await new Promise((resolve) => setTimeout(resolve, 1));
            return true;
          }
          override authCompleted(): void {
            throw boom;
          }
        })(lost),
      processFactory: (proc: SSHServerProcess) => proc.exit(0),
    }, async (port) => {
      const conn = await connect(keys.clientOptions(port)).catch((e: unknown) => e);
      if (!(conn instanceof Error)) await within((conn as { waitClosed(): Promise<void> }).waitClosed(), 5_000, 'the client connection closing');
      expect(lost).toEqual([boom]);
    });
    expect(uncaught).toEqual([]);
  });

  for (const hook of ['connectionMade', 'sessionStarted'] as const) {
    it(`our server: a session's ${hook} throwing ends that connection with the error, instead of leaving the client waiting`, async () => {
      const boom = new Error(`${hook} failed`);
      const lost: (Error | undefined)[] = [];
      await withServer({
        serverFactory: () => new LostRecorder(lost),
        sessionFactory: (() => ({
          execRequested: () => true,
          [hook](): void {
            throw boom;
          },
        })) as unknown as () => SSHServerSession<string>,
      }, async (port) => {
        const conn = await connect(keys.clientOptions(port));
        // The exec's success may have gone out before the hook ran: run() settles either way.
        await within(conn.run('true').catch(() => undefined), 5_000, 'run');
        await within(conn.waitClosed(), 5_000, 'the client connection closing');
        expect(lost).toEqual([boom]);
      });
      expect(uncaught).toEqual([]);
    });
  }
});
