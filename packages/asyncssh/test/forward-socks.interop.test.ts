/**
 * Our SOCKS listener in front of OpenSSH's sshd, fed requests a hostile local client could send:
 * the connection to sshd (and everything else it carries) must survive them.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { defaultClientKey, knownHostsLines, makeTempDir, startSshd, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type SSHClientConnection } from '../src/index.ts';
import { bounded, socks5RoundTrip, startEcho, type EchoServer } from './forward-helpers.ts';

let sshd: SshdServer;
let conn: SSHClientConnection;
let echo: EchoServer;

beforeAll(async () => {
  const key = await defaultClientKey();
  sshd = await startSshd();
  const dir = await makeTempDir('forward-socks');
  const knownHosts = path.join(dir, 'known_hosts');
  writeFileSync(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  echo = await startEcho();
  conn = await connect({ host: sshd.host, port: sshd.port, username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null, config: null });
});

afterAll(async () => {
  conn?.close();
  await echo?.close();
  await sshd?.stop();
});

/** Sends a SOCKS 5 greeting and `request`; resolves with what the proxy answered before closing. */
function socks5Raw(proxyPort: number, request: Uint8Array): Promise<Buffer> {
  return bounded(
    new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
      const chunks: Buffer[] = [];
      socket.on('error', reject);
      socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([5, 1, 0]), request])));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
    }),
    10_000,
    'SOCKS 5 request',
  );
}

/** Sends `bytes` at once and half-closes; resolves with everything received until the proxy ends. */
function sendAllAndEnd(proxyPort: number, bytes: Uint8Array): Promise<Buffer> {
  return bounded(
    new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: proxyPort, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('error', reject);
      socket.on('connect', () => socket.end(bytes));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => {
        socket.destroy();
        resolve(Buffer.concat(chunks));
      });
    }),
    10_000,
    'pipelined SOCKS exchange',
  );
}

describe('SOCKS listener through sshd, hostile client', () => {
  it('greeting, request, data and end of input in one write: the data reaches the destination and its answer comes back', async () => {
    const socks = await conn.forwardSocks('127.0.0.1', 0);
    const payload = Buffer.from('pipelined payload '.repeat(200));
    const p = echo.port;
    const s5 = await sendAllAndEnd(socks.getPort(), Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, p >> 8, p & 0xff]), payload]));
    expect([...s5.subarray(0, 4)]).toEqual([5, 0, 5, 0]);
    expect(s5.subarray(12).toString()).toBe(payload.toString());
    const s4 = await sendAllAndEnd(socks.getPort(), Buffer.concat([Buffer.from([4, 1, p >> 8, p & 0xff, 0, 0, 0, 1]), Buffer.from('user\0localhost\0'), payload]));
    expect([...s4.subarray(0, 2)]).toEqual([0, 0x5a]);
    expect(s4.subarray(8).toString()).toBe(payload.toString());
    await socks.waitClosed();
  });

  it('a host name with a NUL byte is refused here, and the connection to sshd lives on', async () => {
    const socks = await conn.forwardSocks('127.0.0.1', 0);
    const name = Buffer.from('127.0.0.1\0evil');
    const answer = await socks5Raw(socks.getPort(), Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([echo.port >> 8, echo.port & 0xff])]));
    expect([...answer.subarray(0, 4)]).toEqual([5, 0, 5, 1]);
    const data = new TextEncoder().encode('still here');
    const r = await socks5RoundTrip(socks.getPort(), '127.0.0.1', echo.port, data);
    expect(r.reply).toBe(0);
    expect(r.data.toString()).toBe('still here');
    await socks.waitClosed();
  });
});
