/** Two transports of ours, wired in memory: key exchange over every algorithm, rekeying, failures. */
import { createStandardRegistry } from '@ssh/crypto';
import { SSHKeyPair, generatePrivateKey } from '@ssh/keys';
import { MSG } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { DisconnectError, HostKeyNotVerifiable, ProtocolError, Transport, type TransportOptions } from '../src/index.ts';
import { pump, side, type Side } from './helpers/pump.ts';

const registry = createStandardRegistry();
const hostKeys = [generatePrivateKey('ssh-ed25519'), generatePrivateKey('ecdsa-sha2-nistp256')];

function pair(client: Partial<TransportOptions> = {}, server: Partial<TransportOptions> = {}): [Side, Side] {
  return [side(new Transport({ role: 'client', ...client })), side(new Transport({ role: 'server', hostKeys, ...server }))];
}

/** A SERVICE_REQUEST whose name is `pad` bytes of 'x' then the byte n: its last byte identifies it. */
const serviceRequest = (n: number, pad = 3): Uint8Array => {
  const p = new Uint8Array(6 + pad).fill(0x78);
  p[0] = MSG.SERVICE_REQUEST;
  new DataView(p.buffer).setUint32(1, pad + 1);
  p[5 + pad] = n & 0xff;
  return p;
};
const complete = (s: Side) => s.events.filter((e) => e.type === 'kex-complete');
const disconnects = (s: Side) => s.events.filter((e) => e.type === 'disconnect');

describe('Transport handshake', () => {
  it('agrees on a session id and delivers messages both ways', () => {
    const [c, s] = pair();
    pump(c, s);
    expect(c.transport.isReady && s.transport.isReady).toBe(true);
    expect(c.transport.sessionId).toEqual(s.transport.sessionId);
    expect(complete(c)).toHaveLength(1);
    c.transport.send(serviceRequest(1));
    s.transport.send(serviceRequest(2));
    pump(c, s);
    expect(s.messages.map((m) => m.at(-1))).toEqual([1]);
    expect(c.messages.map((m) => m.at(-1))).toEqual([2]);
    expect(c.events.some((e) => e.type === 'ext-info')).toBe(true);
  });

  it('holds messages sent before the first key exchange ends, in order', () => {
    const [c, s] = pair();
    for (let i = 0; i < 5; i++) c.transport.send(serviceRequest(i));
    pump(c, s, { chunk: 7 });
    expect(s.messages.map((m) => m.at(-1))).toEqual([0, 1, 2, 3, 4]);
  });

  for (const kex of registry.names('kex')) {
    it(`completes with ${kex}`, () => {
      const [c, s] = pair({ kexAlgorithms: [kex] }, { kexAlgorithms: [kex] });
      pump(c, s);
      expect(disconnects(c).concat(disconnects(s))).toEqual([]);
      expect(complete(c)[0]).toMatchObject({ algorithms: { kex } });
      expect(c.transport.sessionId).toEqual(s.transport.sessionId);
    });
  }

  for (const cipher of registry.names('cipher')) {
    it(`carries data with ${cipher}`, () => {
      const [c, s] = pair({ encryptionAlgorithms: [cipher] }, { encryptionAlgorithms: [cipher] });
      pump(c, s);
      c.transport.send(serviceRequest(9));
      pump(c, s, { chunk: 13 });
      expect(complete(s)[0]).toMatchObject({ algorithms: { cipherClientToServer: cipher } });
      expect(s.messages).toHaveLength(1);
    });
  }

  for (const mac of registry.names('mac')) {
    it(`carries data with ${mac}`, () => {
      const opts = { encryptionAlgorithms: ['aes128-ctr'], macAlgorithms: [mac] };
      const [c, s] = pair(opts, opts);
      pump(c, s);
      s.transport.send(serviceRequest(3));
      pump(c, s);
      expect(c.messages).toHaveLength(1);
    });
  }

  it('fails with HostKeyNotVerifiable when the client does not trust the key', () => {
    const [c, s] = pair();
    pump(c, s, { trustHostKey: false });
    expect(disconnects(c)[0]).toMatchObject({ byPeer: false, error: expect.any(HostKeyNotVerifiable) });
    expect(disconnects(s)[0]).toMatchObject({ byPeer: true, error: { reasonCode: 9 } });
  });

  it('fails the key exchange when nothing is in common, naming both lists', () => {
    const [c, s] = pair({ encryptionAlgorithms: ['aes128-ctr'] }, { encryptionAlgorithms: ['aes256-ctr'] });
    pump(c, s);
    const err = disconnects(c)[0];
    expect(err?.type === 'disconnect' && err.error.reasonCode).toBe(3);
    expect(err?.type === 'disconnect' && err.error.message).toMatch(/aes128-ctr.*aes256-ctr/);
  });
});

describe('Transport host certificates (server side)', () => {
  const ca = generatePrivateKey('ssh-ed25519');
  const ed = hostKeys[0] as (typeof hostKeys)[number];
  const rsa = generatePrivateKey('ssh-rsa', { keySize: 2048 });

  it('offers certificates ahead of the plain keys, and signs with the certified key', () => {
    const cert = ca.generateHostCertificate(ed, 'host-ed', { principals: ['example.test'] });
    const [c, s] = pair({}, { hostKeys: [new SSHKeyPair(ed, cert)] });
    pump(c, s);
    expect(complete(c)[0]).toMatchObject({ algorithms: { hostKey: 'ssh-ed25519-cert-v01@openssh.com' } });
    const verify = c.events.find((e) => e.type === 'verify-host-key');
    expect(verify).toMatchObject({ algorithm: 'ssh-ed25519-cert-v01@openssh.com', hostKey: { keyId: 'host-ed', kind: 'host' } });
    expect(disconnects(c).concat(disconnects(s))).toEqual([]);
  });

  it('signs an RSA certificate exchange with the SHA-2 algorithm the name carries', () => {
    const cert = ca.generateHostCertificate(rsa, 'host-rsa');
    for (const alg of ['rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com']) {
      const [c, s] = pair({ hostKeyAlgorithms: [alg] }, { hostKeys: [new SSHKeyPair(rsa, cert)] });
      pump(c, s);
      expect(complete(c)[0]).toMatchObject({ algorithms: { hostKey: alg } });
      expect(disconnects(c).concat(disconnects(s))).toEqual([]);
    }
  });

  it('still serves plain keys to clients without certificate algorithms', () => {
    const cert = ca.generateHostCertificate(ed, 'host-ed');
    const [c, s] = pair({ hostKeyAlgorithms: ['ssh-ed25519'] }, { hostKeys: [new SSHKeyPair(ed, cert)] });
    pump(c, s);
    expect(c.events.find((e) => e.type === 'verify-host-key')).toMatchObject({ algorithm: 'ssh-ed25519', hostKey: { algorithm: 'ssh-ed25519' } });
  });

  it('refuses to present a user certificate as a host certificate', () => {
    expect(() => new Transport({ role: 'server', hostKeys: [new SSHKeyPair(ed, ca.generateUserCertificate(ed, 'u'))] })).toThrow(/not a host certificate/);
  });

  it('offers an X.509 chain under its x509v3 algorithms, signing with the certified key', () => {
    const cert = ed.generateX509HostCertificate(ed, 'CN=host.example');
    const [c, s] = pair({ hostKeyAlgorithms: ['x509v3-ssh-ed25519'] }, { hostKeys: [new SSHKeyPair(ed, [cert])] });
    pump(c, s, { trustHostKey: true });
    expect(complete(c)[0]).toMatchObject({ algorithms: { hostKey: 'x509v3-ssh-ed25519' } });
    expect(disconnects(c).concat(disconnects(s))).toEqual([]);
  });
});

describe('Transport reading from a reused buffer (transient chunks)', () => {
  for (const cipher of ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-cbc']) {
    it(`keeps nothing of the caller's buffer, through kex, rekey and every chunking, with ${cipher}`, () => {
      const opts = { encryptionAlgorithms: [cipher], macAlgorithms: ['hmac-sha2-256'] };
      const [c, s] = pair(opts, opts);
      // A Buffer, as node's onread hands out (Buffer#slice makes views, not copies).
      const scratch = Buffer.alloc(64 * 1024);
      let cut = 1;
      // Server to client through the scratch buffer, overwritten after every call; client to server as usual.
      const move = (): boolean => {
        let moved = false;
        for (let out = s.transport.takeOutput(); out; out = s.transport.takeOutput()) {
          moved = true;
          for (let i = 0; i < out.length; ) {
            const n = Math.min(cut, out.length - i, scratch.length);
            scratch.set(out.subarray(i, i + n));
            c.transport.receive(scratch.subarray(0, n), true);
            scratch.fill(0xee);
            i += n;
            cut = (cut * 7 + 3) % 9000 || 1;
          }
        }
        for (let out = c.transport.takeOutput(); out; out = c.transport.takeOutput()) {
          moved = true;
          s.transport.receive(out);
        }
        for (const side of [c, s]) {
          for (let e = side.transport.nextEvent(); e; e = side.transport.nextEvent()) {
            moved = true;
            side.events.push(e);
            if (e.type === 'message') side.messages.push(e.payload); // kept as given: must not change later
            if (e.type === 'verify-host-key') side.transport.resolveHostKey(e.id, true);
          }
        }
        return moved;
      };
      while (move());
      const sent: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) {
        if (i === 20) s.transport.rekey();
        const m = serviceRequest(i, (i * 997) % 5000);
        s.transport.send(m);
        sent.push(m.slice());
        if (i % 3 === 0) while (move());
      }
      while (move());
      expect(disconnects(c).concat(disconnects(s))).toEqual([]);
      expect(complete(c).length).toBe(2);
      expect(c.messages.map((m) => Buffer.from(m).toString('hex'))).toEqual(sent.map((m) => Buffer.from(m).toString('hex')));
    });
  }
});

describe('Transport messages with a tail', () => {
  const ciphers = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-cbc'];
  for (const cipher of ciphers) {
    it(`delivers header then tail as one message with ${cipher}, before, during and after kex, compressed or not, keeping no reference to them`, () => {
      for (const compression of ['none', 'zlib']) {
        const opts = { encryptionAlgorithms: [cipher], macAlgorithms: ['hmac-sha2-256-etm@openssh.com'], compressionAlgorithms: [compression] };
        const [c, s] = pair(opts, opts);
        const sent: Uint8Array[] = [];
        const sendSplit = (n: number, pad: number): void => {
          const whole = serviceRequest(n, pad);
          const cut = Math.min(9, whole.length);
          sent.push(whole.slice());
          c.transport.send(whole.subarray(0, cut), whole.subarray(cut));
          // The caller may reuse its buffers once send returns (a server's SFTP reply buffers are).
          whole.fill(0xee);
        };
        sendSplit(1, 3); // held until the first exchange ends
        pump(c, s, { chunk: 1000 });
        sendSplit(2, 40_000);
        sendSplit(3, 0);
        c.transport.rekey();
        sendSplit(4, 100); // held during the re-exchange
        // The packets of one flush come out as several chunks; joined they are the same bytes.
        const parts = c.transport.takeOutputParts() ?? [];
        expect(parts.length).toBeGreaterThan(2);
        const joined = Buffer.concat(parts);
        for (let i = 0; i < joined.length; i += 4096) s.transport.receive(joined.subarray(i, i + 4096));
        pump(c, s);
        expect(s.messages.map((m) => Buffer.from(m).toString('hex'))).toEqual(sent.map((m) => Buffer.from(m).toString('hex')));
        expect(disconnects(c).concat(disconnects(s))).toEqual([]);
      }
    });
  }
});

describe('Transport compression', () => {
  /** Bytes the transport writes for one message (far fewer than its size when compressed), delivered to the peer. */
  const wireSize = (from: Side, to: Side, payload: Uint8Array): number => {
    from.transport.send(payload);
    const out = from.transport.takeOutput() ?? new Uint8Array(0);
    to.transport.receive(out);
    return out.length;
  };
  const big = () => serviceRequest(7, 20_000);

  it('compresses from NEWKEYS on with zlib, across a re-exchange', () => {
    const opts = { compressionAlgorithms: ['zlib'] };
    const [c, s] = pair(opts, opts);
    pump(c, s);
    expect(complete(c)[0]).toMatchObject({ algorithms: { compressionClientToServer: 'zlib', compressionServerToClient: 'zlib' } });
    expect(wireSize(c, s, big())).toBeLessThan(1000);
    // More after a rekey: the zlib streams carry on.
    c.transport.rekey();
    for (let i = 0; i < 3; i++) c.transport.send(big());
    pump(c, s);
    expect(complete(s)).toHaveLength(2);
    expect(s.messages.map((m) => m.length)).toEqual([20_006, 20_006, 20_006, 20_006]);
    expect(disconnects(s)).toEqual([]);
  });

  it('delays zlib@openssh.com until USERAUTH_SUCCESS, then compresses both ways', () => {
    const opts = { compressionAlgorithms: ['zlib@openssh.com'] };
    const [c, s] = pair(opts, opts);
    pump(c, s);
    expect(wireSize(c, s, big())).toBeGreaterThan(20_000);
    pump(c, s);
    s.transport.send(Uint8Array.of(MSG.USERAUTH_SUCCESS));
    pump(c, s);
    expect(c.messages.at(-1)).toEqual(Uint8Array.of(MSG.USERAUTH_SUCCESS));
    expect(wireSize(c, s, big())).toBeLessThan(1000);
    expect(wireSize(s, c, big())).toBeLessThan(1000);
    pump(c, s);
    expect(s.messages.map((m) => m.length)).toEqual([20_006, 20_006]);
    expect(c.messages.map((m) => m.length)).toEqual([1, 20_006]);
    expect(disconnects(c).concat(disconnects(s))).toEqual([]);
  });

  it('turns a corrupt compressed stream into a CompressionError disconnect', () => {
    const [c, s] = pair({ compressionAlgorithms: ['zlib'] }, { compressionAlgorithms: ['zlib'] });
    pump(c, s);
    // A compressed payload whose deflate data is garbage: sealed by a writer with the same keys.
    const garbage = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x00, 0x12, 0x34);
    (c.transport as unknown as { compressor: unknown }).compressor = { compress: () => garbage };
    c.transport.send(serviceRequest(1));
    pump(c, s);
    expect(disconnects(s)[0]).toMatchObject({ byPeer: false, error: { reasonCode: 6 } });
  });
});

describe('Transport rekeying', () => {
  it('re-exchanges keys in the middle of a stream without losing or reordering a message', () => {
    const [c, s] = pair({ rekeyBytes: 4000 });
    pump(c, s);
    const sent: number[] = [];
    for (let i = 0; i < 300; i++) {
      c.transport.send(serviceRequest(i, 200));
      sent.push(i & 0xff);
      if (i % 7 === 0) s.transport.send(serviceRequest(255));
      if (i % 11 === 0) pump(c, s, { chunk: 29 });
    }
    pump(c, s, { chunk: 29 });
    expect(s.messages.map((m) => m.at(-1))).toEqual(sent);
    expect(complete(c).length).toBeGreaterThan(3);
    expect(complete(s).length).toBe(complete(c).length);
    expect(disconnects(c).concat(disconnects(s))).toEqual([]);
  });

  it('rekeys by time through checkRekey', () => {
    let now = 0;
    const [c, s] = pair({ now: () => now, rekeySeconds: 10 });
    pump(c, s);
    now = 11_000;
    c.transport.checkRekey();
    pump(c, s);
    expect(complete(c).map((e) => e.type === 'kex-complete' && e.initial)).toEqual([true, false]);
  });

  it('lets the server start a re-exchange', () => {
    const [c, s] = pair();
    pump(c, s);
    s.transport.rekey();
    c.transport.send(serviceRequest(1));
    pump(c, s);
    expect(complete(c)).toHaveLength(2);
    expect(s.messages).toHaveLength(1);
  });
});

describe('Transport under hostile input', () => {
  it('turns garbage after the identification into a ProtocolError disconnect, never a throw', () => {
    const t = new Transport({ role: 'client' });
    t.receive(new TextEncoder().encode('SSH-2.0-evil\r\n'));
    t.receive(Uint8Array.of(0, 0, 0, 12, 200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
    const events = [...Array(5)].map(() => t.nextEvent()).filter((e) => e?.type === 'disconnect');
    expect(events[0]).toMatchObject({ error: expect.any(ProtocolError) });
    expect(t.isClosed).toBe(true);
  });

  it('refuses a service message during the initial key exchange (strict kex)', () => {
    const [c, s] = pair();
    s.transport.receive(c.transport.takeOutput() as Uint8Array); // identification and KEXINIT
    // A well-formed unencrypted packet carrying SERVICE_REQUEST, which strict kex forbids here.
    s.transport.receive(Uint8Array.of(0, 0, 0, 12, 10, MSG.SERVICE_REQUEST, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const seen: string[] = [];
    for (let e = s.transport.nextEvent(); e; e = s.transport.nextEvent()) seen.push(e.type === 'disconnect' ? e.error.message : e.type);
    expect(seen.join('\n')).toMatch(/strict key exchange: unexpected message 5/);
    expect(s.transport.isClosed).toBe(true);
  });

  it('reports a peer disconnect with its reason class', () => {
    const [c, s] = pair();
    pump(c, s);
    s.transport.disconnect(11, 'bye');
    pump(c, s);
    expect(disconnects(c)[0]).toMatchObject({ byPeer: true, error: expect.any(DisconnectError) });
    expect(disconnects(c)[0]).toMatchObject({ error: { reasonCode: 11, reason: 'bye' } });
  });
});
