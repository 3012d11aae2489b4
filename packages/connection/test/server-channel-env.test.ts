/**
 * env requests (RFC 4254 §6.4) from a client that sends too many, or names that are special in
 * JavaScript: the server keeps MAX_ENV_VARIABLES distinct names and refuses later ones (as sshd),
 * and a name is only ever a name.
 */
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, MAX_ENV_VARIABLES, SSHServerChannel } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

/** A server session channel open to a bare client channel, and a way to send env requests and hear the answers. */
function openSession() {
  const server = new SSHServerChannel<Uint8Array>(connection, {}, { encoding: null });
  server.bindSession({});
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => server.attach(req.accept(server.handler)) });
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  const setEnv = async (name: string, value: Uint8Array | string): Promise<boolean> => {
    let answer: boolean | undefined;
    client.sendRequest('env', { type: 'env', name, value: typeof value === 'string' ? new TextEncoder().encode(value) : value }, (ok) => (answer = ok));
    p.pump();
    // The server channel answers from an async handler: let it settle, then deliver its reply.
    for (let i = 0; i < 10 && answer === undefined; i++) {
      await new Promise((r) => setImmediate(r));
      p.pump();
    }
    return answer as boolean;
  };
  return { server, setEnv, failures: p.failures };
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
