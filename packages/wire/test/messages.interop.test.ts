/**
 * Real peers' messages through our declarations: the unencrypted start of a key exchange with
 * OpenSSH's sshd and with an AsyncSSH server (their KEXINIT, our KEXINIT and KEX_ECDH_INIT, their
 * KEX_ECDH_REPLY and NEWKEYS), decoded by the schemas and re-encoded byte for byte.
 */
import { generateKeyPairSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { type AsyncsshServer, type SshdServer, startAsyncsshServer, startSshd } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KexEcdhInit, KexInit, Writer, genericMessages, kexEcdhMessages } from '../src/index.ts';

/** A minimal plaintext SSH peer: identification line, then unencrypted binary packets. */
class PlainPeer {
  private buf = new Uint8Array(0);
  private waiting: (() => void) | undefined;
  private closed = false;
  serverId = '';
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const next = new Uint8Array(this.buf.length + chunk.length);
      next.set(this.buf);
      next.set(chunk, this.buf.length);
      this.buf = next;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(host: string, port: number): Promise<PlainPeer> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const peer = new PlainPeer(socket);
    socket.write('SSH-2.0-wire_interop_test\r\n');
    for (;;) {
      const nl = peer.buf.indexOf(0x0a);
      if (nl >= 0) {
        const line = new TextDecoder().decode(peer.buf.subarray(0, nl)).replace(/\r$/, '');
        peer.buf = peer.buf.slice(nl + 1);
        if (line.startsWith('SSH-')) {
          peer.serverId = line;
          return peer;
        }
        continue;
      }
      await peer.more();
    }
  }

  private more(): Promise<void> {
    if (this.closed) throw new Error('peer closed the connection');
    return new Promise((resolve) => {
      this.waiting = () => {
        this.waiting = undefined;
        resolve();
      };
    });
  }

  /** The payload of the next unencrypted packet (a fresh copy, as a transport would hand it over). */
  async packet(): Promise<Uint8Array> {
    for (;;) {
      if (this.buf.length >= 5) {
        const len = ((this.buf[0] as number) << 24 | (this.buf[1] as number) << 16 | (this.buf[2] as number) << 8 | (this.buf[3] as number)) >>> 0;
        expect(len).toBeLessThan(35000);
        if (this.buf.length >= 4 + len) {
          const pad = this.buf[4] as number;
          const payload = this.buf.slice(5, 4 + len - pad);
          this.buf = this.buf.slice(4 + len);
          return payload;
        }
      }
      await this.more();
    }
  }

  send(payload: Uint8Array): void {
    let pad = 8 - ((5 + payload.length) % 8);
    if (pad < 4) pad += 8;
    const w = new Writer(5 + payload.length + pad).u32(1 + payload.length + pad).u8(pad).raw(payload).raw(new Uint8Array(pad));
    this.socket.write(w.finish());
  }

  close(): void {
    this.socket.destroy();
  }
}

function x25519PublicKey(): Uint8Array {
  const { publicKey } = generateKeyPairSync('x25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

async function exchange(host: string, port: number): Promise<{ serverId: string; kexAlgorithms: string[]; hostKeyType: string }> {
  const peer = await PlainPeer.open(host, port);
  try {
    const theirs = await peer.packet();
    const d = genericMessages.decode(theirs);
    expect(d.name).toBe('SSH_MSG_KEXINIT');
    const kexinit = KexInit.decode(theirs);
    expect(KexInit.encode(kexinit)).toEqual(theirs);
    expect(kexinit.cookie.buffer).toBe(theirs.buffer);

    peer.send(
      KexInit.encode({
        cookie: new Uint8Array(16).fill(7),
        kexAlgorithms: ['curve25519-sha256', 'curve25519-sha256@libssh.org'],
        serverHostKeyAlgorithms: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa'],
        encryptionAlgorithmsClientToServer: ['aes128-ctr'],
        encryptionAlgorithmsServerToClient: ['aes128-ctr'],
        macAlgorithmsClientToServer: ['hmac-sha2-256'],
        macAlgorithmsServerToClient: ['hmac-sha2-256'],
        compressionAlgorithmsClientToServer: ['none'],
        compressionAlgorithmsServerToClient: ['none'],
        languagesClientToServer: [],
        languagesServerToClient: [],
        firstKexPacketFollows: false,
        reserved: 0,
      }),
    );
    peer.send(KexEcdhInit.encode({ clientPublicKey: x25519PublicKey() }));

    const replyPayload = await peer.packet();
    const reply = kexEcdhMessages.decode(replyPayload);
    expect(reply.name).toBe('SSH_MSG_KEX_ECDH_REPLY');
    if (reply.name !== 'SSH_MSG_KEX_ECDH_REPLY') throw new Error('unreachable');
    expect(reply.message.serverPublicKey.length).toBe(32);
    expect(kexEcdhMessages.get(31)?.encode(reply.message as never)).toEqual(replyPayload);
    const keyTypeLength = new DataView(reply.message.hostKey.buffer, reply.message.hostKey.byteOffset).getUint32(0);
    const hostKeyType = new TextDecoder().decode(reply.message.hostKey.subarray(4, 4 + keyTypeLength));

    const newKeys = genericMessages.decode(await peer.packet());
    expect(newKeys.name).toBe('SSH_MSG_NEWKEYS');
    return { serverId: peer.serverId, kexAlgorithms: kexinit.kexAlgorithms, hostKeyType };
  } finally {
    peer.close();
  }
}

describe('key exchange messages of real peers', () => {
  let sshd: SshdServer | undefined;
  let asyncssh: AsyncsshServer | undefined;
  beforeAll(async () => {
    [sshd, asyncssh] = await Promise.all([startSshd({ hostKeyTypes: ['ed25519'] }), startAsyncsshServer()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([sshd?.stop(), asyncssh?.stop()]);
  });

  it('OpenSSH sshd', async () => {
    const s = sshd as SshdServer;
    const r = await exchange(s.host, s.port);
    expect(r.serverId).toMatch(/^SSH-2\.0-OpenSSH_/);
    expect(r.kexAlgorithms).toContain('curve25519-sha256');
    expect(r.kexAlgorithms).toContain('kex-strict-s-v00@openssh.com');
    expect(r.hostKeyType).toBe('ssh-ed25519');
  }, 30_000);

  it('AsyncSSH server', async () => {
    const s = asyncssh as AsyncsshServer;
    const r = await exchange(s.host, s.port);
    expect(r.serverId).toMatch(/^SSH-2\.0-AsyncSSH_/);
    expect(r.kexAlgorithms).toContain('curve25519-sha256');
    expect(r.hostKeyType.length).toBeGreaterThan(0);
  }, 30_000);
});
