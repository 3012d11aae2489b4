/**
 * Session requests a server channel must not let a client overdo: env (RFC 4254 §6.4) from a
 * client that sends too many, or names that are special in JavaScript (the server keeps
 * MAX_ENV_VARIABLES distinct names and refuses later ones, as sshd, and a name is only ever a
 * name), and pty-req or x11-req sent several times at once (one of each per session, as sshd).
 */
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, MAX_ENV_VARIABLES, SSHServerChannel, type SSHServerSession, type ServerChannelPolicy } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

/** A server session channel open to a bare client channel, and ways to send requests and hear the answers. */
function openSession(policy: ServerChannelPolicy = {}, session: SSHServerSession<Uint8Array> = {}) {
  const server = new SSHServerChannel<Uint8Array>(connection, policy, { encoding: null });
  server.bindSession(session);
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => server.attach(req.accept(server.handler)) });
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  /** Sends the requests together and answers their replies, once all have come. */
  const ask = async (requests: readonly Parameters<Channel['sendRequest']>[1][]): Promise<boolean[]> => {
    const answers: boolean[] = [];
    for (const body of requests) client.sendRequest((body as { type: string }).type, body, (ok) => answers.push(ok));
    p.pump();
    // The server channel answers from an async handler: let it settle, then deliver its replies.
    for (let waited = 0; waited < 2000 && answers.length < requests.length; waited++) {
      await new Promise((r) => setTimeout(r, 1));
      p.pump();
    }
    return answers;
  };
  const setEnv = async (name: string, value: Uint8Array | string): Promise<boolean> =>
    (await ask([{ type: 'env', name, value: typeof value === 'string' ? new TextEncoder().encode(value) : value }]))[0] as boolean;
  return { server, ask, setEnv, failures: p.failures };
}

describe('env requests', () => {
  it(`keeps ${MAX_ENV_VARIABLES} names and refuses more, while names it has may change`, async () => {
    const { server, setEnv, failures } = openSession();
    for (let i = 0; i < MAX_ENV_VARIABLES; i++) expect(await setEnv(`VAR_${i}`, 'x'.repeat(100))).toBe(true);
    expect(await setEnv('ONE_TOO_MANY', 'x')).toBe(false);
    expect(await setEnv('VAR_7', 'changed')).toBe(true);
    const env = server.getEnvironment();
    expect(Object.keys(env)).toHaveLength(MAX_ENV_VARIABLES);
    expect(env['VAR_7']).toBe('changed');
    expect(env['ONE_TOO_MANY']).toBeUndefined();
    expect(failures).toEqual([]);
  });

  it('takes __proto__ and constructor as plain names', async () => {
    const { server, setEnv } = openSession();
    expect(await setEnv('__proto__', new Uint8Array([0xff, 0xfe]))).toBe(true);
    expect(await setEnv('constructor', 'c')).toBe(true);
    const env = server.getEnvironment();
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.keys(env).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toEqual(new Uint8Array([0xff, 0xfe]));
    expect(env['constructor']).toBe('c');
  });
});

describe('x11-req', () => {
  it('sets up one display when the client asks several times at once', async () => {
    let calls = 0;
    const { server, ask } = openSession({
      x11Forwarding: async (channel) => {
        calls++;
        // The display takes a moment to set up (a listening socket, xauth).
        await new Promise((r) => setTimeout(r, 5));
        channel.setX11Display('localhost:10.0');
        return true;
      },
    });
    const request = { type: 'x11-req' as const, singleConnection: false, authProtocol: 'MIT-MAGIC-COOKIE-1', authCookie: '00112233445566778899aabbccddeeff', screenNumber: 0 };
    const answers = await ask([request, request, request, request]);
    expect(calls).toBe(1);
    expect(answers).toEqual([true, false, false, false]);
    expect(server.getX11Display()).toBe('localhost:10.0');
    expect(await ask([request])).toEqual([false]);
  });

  it('may be asked again after a request that failed', async () => {
    let calls = 0;
    const { ask } = openSession({ x11Forwarding: () => ++calls > 1 });
    const request = { type: 'x11-req' as const, singleConnection: true, authProtocol: 'MIT-MAGIC-COOKIE-1', authCookie: 'abcd', screenNumber: 0 };
    expect(await ask([request])).toEqual([false]);
    expect(await ask([request])).toEqual([true]);
  });
});

describe('pty-req', () => {
  it('asks the session once when the client sends several at once', async () => {
    let calls = 0;
    const { server, ask } = openSession(
      {},
      {
        ptyRequested: async () => {
          calls++;
          await new Promise((r) => setTimeout(r, 5));
          return true;
        },
      },
    );
    const request = { type: 'pty-req' as const, term: 'xterm', widthChars: 80, heightRows: 24, widthPixels: 0, heightPixels: 0, modes: [] };
    expect(await ask([request, request, request])).toEqual([true, false, false]);
    expect(calls).toBe(1);
    expect(server.getTerminalType()).toBe('xterm');
  });
});
