/**
 * A bare SSH client for interop tests: version exchange, KEXINIT, one key exchange with our kex
 * machine, NEWKEYS, then SSH_MSG_SERVICE_REQUEST under the new keys; resolves when the server's
 * SSH_MSG_SERVICE_ACCEPT opens correctly. Verifies the server's ed25519 signature over H.
 */
import { connect, type Socket } from 'node:net';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { Reader, Writer } from '@ssh/wire';
import {
  createOpener,
  createSealer,
  deriveSessionKeys,
  type KexStep,
  type Opener,
  type Registry,
  type Sealer,
} from '../../src/index.ts';

export interface HandshakeChoice {
  readonly kex: string;
  readonly cipher: string;
  readonly mac: string;
}

class PacketStream {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;
  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async need(n: number): Promise<void> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed while waiting for ${n} bytes`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
  take(n: number): Uint8Array {
    const out = new Uint8Array(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return out;
  }
  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i >= 0) return Buffer.from(this.take(i + 1)).toString('latin1').replace(/\r?\n$/, '');
      await this.need(this.buf.length + 1);
    }
  }
  async packet(opener: Opener, seq: number): Promise<Uint8Array> {
    await this.need(opener.headLength);
    const total = opener.decryptLength(seq, new Uint8Array(this.buf.subarray(0, opener.headLength)));
    await this.need(total);
    return opener.open(seq, this.take(total));
  }
}

export async function handshake(registry: Registry, port: number, choice: HandshakeChoice): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  const stream = new PacketStream(socket);
  try {
    const clientVersion = 'SSH-2.0-sshcrypto_interop';
    socket.write(`${clientVersion}\r\n`);
    let serverVersion = await stream.line();
    while (!serverVersion.startsWith('SSH-')) serverVersion = await stream.line();

    let sendSeq = 0;
    let recvSeq = 0;
    let sealer: Sealer = createSealer({});
    let opener: Opener = createOpener({});
    const send = (payload: Uint8Array): void => {
      socket.write(sealer.seal(sendSeq++, payload));
    };
    const receive = async (): Promise<Uint8Array> => {
      for (;;) {
        const p = await stream.packet(opener, recvSeq++);
        if (p[0] !== 2 && p[0] !== 4) return p; // skip IGNORE and DEBUG
      }
    };

    const clientKexInit = new Writer()
      .u8(20)
      .raw(new Uint8Array(randomBytes(16)))
      .nameList([choice.kex])
      .nameList(['ssh-ed25519'])
      .nameList([choice.cipher])
      .nameList([choice.cipher])
      .nameList([choice.mac])
      .nameList([choice.mac])
      .nameList(['none'])
      .nameList(['none'])
      .nameList([])
      .nameList([])
      .bool(false)
      .u32(0)
      .finish();
    send(clientKexInit);
    const serverKexInit = await receive();
    if (serverKexInit[0] !== 20) throw new Error(`expected KEXINIT, got ${serverKexInit[0]}`);

    const kexImpl = registry.require('kex', choice.kex).impl;
    const kex = kexImpl.create('client', { clientVersion, serverVersion, clientKexInit, serverKexInit });
    for (const m of kex.start()) send(m);
    let step: KexStep;
    for (;;) {
      step = kex.receive(await receive());
      if (step.type === 'send') for (const m of step.messages) send(m);
      else break;
    }
    if (step.type !== 'done') throw new Error('client asked to sign');
    const { result } = step;

    // The server's ed25519 signature over H.
    const kr = new Reader(result.hostKey);
    if (kr.utf8() !== 'ssh-ed25519') throw new Error('expected an ed25519 host key');
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(kr.bytes()).toString('base64url') }, format: 'jwk' });
    const sr = new Reader(result.signature ?? new Uint8Array(0));
    if (sr.utf8() !== 'ssh-ed25519') throw new Error('expected an ed25519 signature');
    if (!verify(null, result.exchangeHash, pub, sr.bytes())) throw new Error('host key signature over H does not verify');

    send(Uint8Array.of(21));
    const newkeys = await receive();
    if (newkeys[0] !== 21) throw new Error(`expected NEWKEYS, got ${newkeys[0]}`);

    const cipher = registry.require('cipher', choice.cipher).impl;
    const mac = cipher.aead ? undefined : registry.require('mac', choice.mac).impl;
    const sizes = { ivLength: cipher.ivLength, keyLength: cipher.keyLength, macKeyLength: mac?.keyLength ?? 0 };
    const keys = deriveSessionKeys(result.hash, result.sharedSecret, result.exchangeHash, result.exchangeHash, sizes, sizes);
    sealer = createSealer({ cipher, mac, ...keys.clientToServer });
    opener = createOpener({ cipher, mac, ...keys.serverToClient });

    send(new Writer().u8(5).utf8('ssh-userauth').finish());
    const accept = await receive();
    const ar = new Reader(accept);
    if (ar.u8() !== 6 || ar.utf8() !== 'ssh-userauth') throw new Error('expected SERVICE_ACCEPT ssh-userauth');
  } finally {
    socket.destroy();
  }
}
