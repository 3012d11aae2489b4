/**
 * The GSS-API calls against a real MIT Kerberos realm on loopback (tooling/interop's
 * startKerberosRealm): a context established both ways through the thread pool, MICs over data,
 * the principals as the library displays them, and the typed failures (no ticket, no keytab
 * entry, a tampered MIC, misuse).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKerberosRealm, type KerberosRealm } from '@ssh/interop';
import { GSS_C_DELEG_FLAG, GSS_C_INTEG_FLAG, GSS_C_MUTUAL_FLAG, gssapiStatus, nativeGssapi, type GssContext, type NativeGssapi } from '../src/index.ts';

let realm: KerberosRealm;
let gss: NativeGssapi;

beforeAll(async () => {
  realm = await startKerberosRealm({ otherUsers: ['other'] });
  realm.useInThisProcess();
  const g = nativeGssapi();
  if (g === undefined) throw new Error('the native binding has no GSS-API (build it with node scripts/build-native.mjs --strict)');
  gss = g;
}, 60_000);

afterAll(async () => {
  await realm?.stop();
});

async function establish(client: GssContext, server: GssContext): Promise<void> {
  let token: Uint8Array | null = null;
  for (let round = 0; round < 8; round++) {
    const c = await gss.step(client, token);
    if (c.complete && c.token.length === 0) return;
    const s = await gss.step(server, c.token);
    if (c.complete) return;
    token = s.token;
  }
  throw new Error('no context after 8 rounds');
}

describe('native GSS-API (Kerberos V5)', () => {
  it('loads MIT Kerberos', () => {
    expect(gssapiStatus()).toEqual({ available: true, reason: 'loaded' });
  });

  it('finds the user ticket and the host keytab', () => {
    expect(() => gss.credentials(null, false)).not.toThrow();
    expect(() => gss.credentials('host@localhost', true)).not.toThrow();
    expect(() => gss.credentials(null, true)).not.toThrow();
  });

  it('establishes a context with mutual authentication, MICs both ways, and names the principals', async () => {
    const client = gss.initContext('host@localhost', GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG);
    const server = gss.acceptContext('host@localhost');
    const first = await gss.step(client, null);
    expect(first.complete).toBe(false); // mutual: the server's answer is still to come
    expect(first.token.length).toBeGreaterThan(100);
    const answer = await gss.step(server, first.token);
    expect(answer.complete).toBe(true);
    expect(answer.token.length).toBeGreaterThan(0);
    const done = await gss.step(client, answer.token);
    expect(done.complete).toBe(true);
    expect(done.token.length).toBe(0);
    expect(done.flags & GSS_C_INTEG_FLAG).toBe(GSS_C_INTEG_FLAG);
    const data = new TextEncoder().encode('session id, request, user, service, gssapi-with-mic');
    const mic = gss.getMic(client, data);
    expect(gss.verifyMic(server, data, mic)).toBe(true);
    const tampered = Uint8Array.from(data);
    tampered[0] = (tampered[0] as number) ^ 1;
    expect(gss.verifyMic(server, tampered, gss.getMic(client, data))).toBe(false);
    expect(gss.verifyMic(server, data, mic.subarray(0, mic.length - 1))).toBe(false);
    expect(gss.verifyMic(client, data, gss.getMic(server, data))).toBe(true);
    expect(gss.names(server)).toMatchObject({ source: realm.userPrincipal, target: realm.hostPrincipal });
    expect(gss.names(client)).toMatchObject({ source: realm.userPrincipal, target: realm.hostPrincipal });
  });

  it('accepts as any keytab principal with a null service', async () => {
    const client = gss.initContext('host@localhost', GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_DELEG_FLAG);
    const server = gss.acceptContext(null);
    await establish(client, server);
    expect(gss.names(server).target).toBe(realm.hostPrincipal);
  });

  it('fails with ERR_GSSAPI for a service with no principal, and when accepting for one not in the keytab', async () => {
    const client = gss.initContext('host@nowhere.invalid', GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG);
    await expect(gss.step(client, null)).rejects.toMatchObject({ code: 'ERR_GSSAPI', major: expect.any(Number) });
    expect(() => gss.credentials('host@nowhere.invalid', true)).toThrow(expect.objectContaining({ code: 'ERR_GSSAPI' }));
    const { token } = await gss.step(gss.initContext('host@localhost', GSS_C_MUTUAL_FLAG), null);
    const stranger = gss.acceptContext('host@nowhere.invalid'); // its keys are looked for on the first step
    await expect(gss.step(stranger, token)).rejects.toMatchObject({ code: 'ERR_GSSAPI', message: expect.stringMatching(/^gss_acquire_cred failed/) });
  });

  it('rejects a garbage token, and refuses misuse', async () => {
    const server = gss.acceptContext('host@localhost');
    await expect(gss.step(server, new Uint8Array(40).fill(7))).rejects.toMatchObject({ code: 'ERR_GSSAPI' });
    expect(() => gss.getMic(gss.acceptContext(null), new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'ERR_GSSAPI_INCOMPLETE' }));
    expect(() => gss.names({} as GssContext)).toThrow(TypeError);
    expect(() => gss.step(gss.acceptContext(null), null)).toThrow(TypeError);
    const busy = gss.initContext('host@localhost', GSS_C_MUTUAL_FLAG);
    const pending = gss.step(busy, null);
    expect(() => gss.step(busy, null)).toThrow(expect.objectContaining({ code: 'ERR_GSSAPI_BUSY' }));
    await pending;
  });
});
