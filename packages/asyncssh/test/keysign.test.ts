/**
 * ssh-keysign's protocol (OpenSSH msg.c framing, version 2) and the ways the helper can fail, with
 * small shell scripts standing in for it; the real one signs in keysign.interop.test.ts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '@ssh/keys';
import { KeysignError, connect } from '../src/index.ts';
import { decodeKeysignReply, encodeKeysignRequest, findKeysign, keysign, socketFd } from '../src/keysign.ts';

function reply(version: number, signature: Uint8Array, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = Buffer.alloc(9 + signature.length);
  out.writeUInt32BE(5 + signature.length, 0);
  out[4] = version;
  out.writeUInt32BE(signature.length, 5);
  out.set(signature, 9);
  return new Uint8Array(Buffer.concat([out, extra]));
}

describe('message framing', () => {
  it('a request is uint32 length, version 2, uint32 fd, string data', () => {
    expect(Buffer.from(encodeKeysignRequest(3, new Uint8Array([0xaa, 0xbb]))).toString('hex')).toBe('0000000b' + '02' + '00000003' + '00000002' + 'aabb');
  });

  it('a reply gives its signature', () => {
    expect(decodeKeysignReply(reply(2, new Uint8Array([1, 2, 3])))).toEqual(new Uint8Array([1, 2, 3]));
  });

  it.each([
    ['nothing', new Uint8Array(0)],
    ['a cut length', new Uint8Array([0, 0])],
    ['a cut message', reply(2, new Uint8Array([1, 2, 3])).slice(0, 10)],
    ['data after the message', reply(2, new Uint8Array([1]), new Uint8Array([9]))],
    ['another version', reply(3, new Uint8Array([1]))],
    ['an empty signature', reply(2, new Uint8Array(0))],
    ['a signature length past the message', new Uint8Array([0, 0, 0, 6, 2, 0, 0, 0, 9, 1])],
    ['a message too long', new Uint8Array([0, 0x10, 0, 0, 2])],
    ['no signature length', new Uint8Array([0, 0, 0, 1, 2])],
  ])('%s: bad-reply', (_, bytes) => {
    expect(() => decodeKeysignReply(bytes)).toThrow(expect.objectContaining({ reason: 'bad-reply' }) as Error);
    expect(() => decodeKeysignReply(bytes)).toThrow(KeysignError);
  });
});

describe('running the helper', () => {
  let dir: string;
  let server: net.Server;
  let socket: net.Socket;
  let fd: number;

  /** A stand-in for ssh-keysign: a shell script. */
  function helper(name: string, body: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keysign-test-'));
    server = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    fd = socketFd(socket) ?? -1;
  });
  afterAll(async () => {
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a TCP socket has a descriptor; other streams have none', () => {
    expect(fd).toBeGreaterThan(2);
    expect(socketFd(new PassThrough())).toBeUndefined();
  });

  it('sends the request with the socket as descriptor 3, and returns the signature', async () => {
    const file = helper(
      'good',
      `[ -S /proc/self/fd/3 ] || exit 9\ncat > "${dir}/request"\nprintf '\\000\\000\\000\\010\\002\\000\\000\\000\\003sig'`,
    );
    const signature = await keysign(file, fd, new Uint8Array([7, 7]));
    expect(Buffer.from(signature).toString()).toBe('sig');
    expect(readFileSync(path.join(dir, 'request')).toString('hex')).toBe('0000000b020000000300000002' + '0707');
  });

  it('the connection still reads after the helper ran', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const client = net.connect((echo.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    const file = helper('quick', `printf '\\000\\000\\000\\006\\002\\000\\000\\000\\001x'`);
    await keysign(file, socketFd(client) ?? -1, new Uint8Array([1]));
    const got = new Promise((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
    client.write('still here');
    expect(await got).toBe('still here');
    client.destroy();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('a helper that is not there: not-found', async () => {
    await expect(keysign(path.join(dir, 'missing'), fd, new Uint8Array([1]))).rejects.toMatchObject({ reason: 'not-found' });
    expect(() => findKeysign(path.join(dir, 'missing'))).toThrow(KeysignError);
    expect(() => findKeysign(true, [dir])).toThrow(expect.objectContaining({ reason: 'not-found' }) as Error);
    helper('ssh-keysign', 'exit 0');
    expect(findKeysign(true, ['/nonexistent', dir])).toBe(path.join(dir, 'ssh-keysign'));
  });

  it('a helper that refuses (non-zero exit): failed, with what it said', async () => {
    const file = helper('refuses', `cat >/dev/null\necho 'ssh-keysign not enabled in /etc/ssh/ssh_config' >&2\nexit 255`);
    const err = await keysign(file, fd, new Uint8Array([1])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeysignError);
    expect(err).toMatchObject({ reason: 'failed', code: 'SSH_ERR_KEYSIGN' });
    expect((err as Error).message).toMatch(/status 255: ssh-keysign not enabled/);
  });

  it('a helper that exits without reading its request: failed', async () => {
    await expect(keysign(helper('early', 'exit 1'), fd, new Uint8Array(300_000))).rejects.toMatchObject({ reason: 'failed' });
  });

  it.each([
    ['garbage', `printf 'garbage!'`],
    ['nothing', 'exit 0'],
    ['another version', `printf '\\000\\000\\000\\006\\001\\000\\000\\000\\001x'`],
  ])('a helper that answers %s: bad-reply', async (_, body) => {
    await expect(keysign(helper(`reply-${_.replace(/\W/g, '')}`, body), fd, new Uint8Array([1]))).rejects.toMatchObject({ reason: 'bad-reply' });
  });

  it('a helper that never answers is stopped: timeout', async () => {
    const pidFile = path.join(dir, 'hang.pid');
    const file = helper('hang', `echo $$ > "${pidFile}"\nexec sleep 60`);
    const started = Date.now();
    await expect(keysign(file, fd, new Uint8Array([1]), { timeoutMs: 300 })).rejects.toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('connect() with clientHostKeysign', () => {
  const hostKey = generatePrivateKey('ssh-ed25519').convertToPublic();
  const base = { username: 'u', knownHosts: null, agentPath: null, config: null, clientKeys: [], clientHostKeys: [hostKey] } as const;

  it('an ssh-keysign that is not there fails the connection: KeysignError', async () => {
    await expect(connect({ ...base, host: '127.0.0.1', port: 9, clientHostKeysign: '/nonexistent/ssh-keysign' })).rejects.toMatchObject({ reason: 'not-found' });
  });

  it('over a stream that is no TCP socket (a tunnel, a proxy command): KeysignError, before authentication', async () => {
    const sock = new PassThrough();
    const err = await connect({ ...base, sock, clientHostKeysign: process.execPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeysignError);
    expect(err).toMatchObject({ reason: 'no-socket' });
    expect(sock.destroyed).toBe(true);
  });
});
