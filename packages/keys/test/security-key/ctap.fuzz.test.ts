/**
 * Bounded fuzzing of everything that reads what a security key sends: the parsers throw only
 * WireError, and the backend facing a device that answers garbage fails only with
 * SecurityKeyError (never a TypeError or RangeError from deep inside).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WireError } from '@ssh/wire';
import { SecurityKeyError } from '../../src/node/security-key/backend.ts';
import { parseAuthenticatorData } from '../../src/node/security-key/ctap/auth-data.ts';
import { type CborValue, encodeCbor } from '../../src/node/security-key/ctap/cbor.ts';
import { derSignatureToRaw } from '../../src/node/security-key/ctap/cose.ts';
import { CtapBackend } from '../../src/node/security-key/ctap/index.ts';
import { BROADCAST_CID, CTAPHID, type HidDevice, MessageAssembler, framePackets, parsePacket } from '../../src/node/security-key/ctap/ctaphid.ts';
import { parseAuthentication, parseRegistration } from '../../src/node/security-key/ctap/u2f.ts';

fc.configureGlobal({ interruptAfterTimeLimit: 4_000, numRuns: 500 });

function onlyWireErrors(parse: (b: Uint8Array) => unknown): fc.IPropertyWithHooks<[Uint8Array]> {
  return fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try {
      parse(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(WireError);
    }
  });
}

describe('parsers throw only WireError', () => {
  test('authenticator data', () => {
    fc.assert(onlyWireErrors(parseAuthenticatorData));
    // With the attested-data flag and a plausible header, so the COSE parsing is reached.
    fc.assert(onlyWireErrors((tail) => parseAuthenticatorData(Uint8Array.from([...new Uint8Array(32), 0xc1, 0, 0, 0, 1, ...new Uint8Array(16), 0, 1, 7, ...tail]))));
  });
  test('DER signatures', () => fc.assert(onlyWireErrors((b) => derSignatureToRaw(Uint8Array.from([0x30, b.length & 0x7f, ...b])))));
  test('U2F registration and authentication', () => {
    fc.assert(onlyWireErrors((b) => parseRegistration(Uint8Array.from([0x05, 0x04, ...b]))));
    fc.assert(onlyWireErrors(parseAuthentication));
  });
  test('CTAPHID packets into an assembler', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 64, maxLength: 64 }), { maxLength: 20 }), (reports) => {
        const assembler = new MessageAssembler();
        for (const r of reports) {
          try {
            assembler.push(parsePacket(r));
          } catch (err) {
            expect(err).toBeInstanceOf(WireError);
            return;
          }
        }
      }),
    );
  });
});

/** A device that allocates a channel properly and then answers every request with `reply(cmd, payload)`. */
function garbageDevice(reply: (cmd: number, payload: Uint8Array) => Uint8Array): HidDevice {
  const queue: Uint8Array[] = [];
  const assembler = new MessageAssembler();
  return {
    path: 'garbage',
    async write(report) {
      const packet = parsePacket(report);
      const message = assembler.push(packet);
      if (!message) return;
      if (packet.cid === BROADCAST_CID && message.cmd === CTAPHID.INIT) {
        const body = new Uint8Array(17);
        body.set(message.payload, 0);
        body.set([0, 0, 0, 9, 2, 1, 1, 1, 0x05], 8);
        queue.push(...framePackets(BROADCAST_CID, CTAPHID.INIT, body));
      } else if (message.cmd !== CTAPHID.CANCEL) {
        queue.push(...framePackets(9, message.cmd, reply(message.cmd, message.payload)));
      }
    },
    async read() {
      return queue.shift();
    },
    async close() {},
  };
}

/** Authenticator data for ssh: with random flags and tail, so parsing gets past the rpIdHash check. */
const plausibleAuthData = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 120 }))
  .map(([flags, tail]) => Uint8Array.from([...createHash('sha256').update('ssh:').digest(), flags, 0, 0, 0, 1, ...tail]));

/** A valid getInfo, so that the garbage reaches the commands after it. */
const INFO = encodeCbor(
  new Map<number, CborValue>([
    [1, ['FIDO_2_0', 'FIDO_2_1']],
    [2, ['credProtect']],
    [3, new Uint8Array(16)],
    [4, new Map([['clientPin', true], ['credMgmt', true], ['pinUvAuthToken', true], ['rk', true]])],
    [6, [2, 1]],
  ]),
);

const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -50, max: 70000 }),
    fc.string({ maxLength: 12 }),
    fc.uint8Array({ maxLength: 80 }),
    plausibleAuthData,
    fc.boolean(),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom('id', 'alg', 'sig', 'x5c', 'type', 'fmt')), tie('v')), { maxLength: 5, selector: (e) => e[0] }).map((e) => new Map(e)),
  ),
})).v;

const coordinate = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 31, maxLength: 33 }) });

/** Attested credential data with a COSE key of random parts, so COSE parsing and attestation checks are reached. */
const attestedTail = fc
  .tuple(
    fc.uint8Array({ minLength: 1, maxLength: 40 }),
    fc.constantFrom(1, 2, 3),
    fc.constantFrom(-7, -8, -35, 5),
    fc.constantFrom(1, 6, 2),
    coordinate,
    coordinate,
    fc.uint8Array({ maxLength: 6 }),
  )
  .map(([id, kty, alg, crv, x, y, extra]) => {
    const cose = encodeCbor(new Map<number, CborValue>([[1, kty], [3, alg], [-1, crv], [-2, x], [-3, y]]));
    return Uint8Array.from([...new Uint8Array(16), 0, id.length, ...id, ...cose, ...extra]);
  });
const structuredAuthData = fc
  .tuple(fc.constantFrom(0x41, 0x45, 0xc1, 0x01, 0x05), attestedTail)
  .map(([flags, tail]) => Uint8Array.from([...createHash('sha256').update('ssh:').digest(), flags, 0, 0, 0, 1, ...(flags & 0x40 ? tail : [])]));
const makeCredentialResponse = fc
  .tuple(fc.constantFrom('packed', 'none', 'fido-u2f', 'tpm'), structuredAuthData, fc.constantFrom(-7, -8), fc.uint8Array({ maxLength: 72 }), fc.boolean(), fc.uint8Array({ maxLength: 40 }))
  .map(([fmt, authData, alg, sig, withCert, cert]) => new Map<number, CborValue>([[1, fmt], [2, authData], [3, new Map<string, CborValue>([['alg', alg], ['sig', sig], ...(withCert ? [['x5c', [cert]] as [string, CborValue]] : [])])]]));
const getAssertionResponse = fc
  .tuple(fc.uint8Array({ maxLength: 10 }), structuredAuthData, fc.uint8Array({ maxLength: 72 }))
  .map(([id, authData, sig]) => new Map<number, CborValue>([[1, new Map<string, CborValue>([['id', id], ['type', 'public-key']])], [2, authData], [3, sig]]));

describe('a device answering garbage', () => {
  const calls = [
    (b: CtapBackend) => b.enroll({ alg: 'ecdsa', application: 'ssh:', challenge: new Uint8Array(8), userId: new Uint8Array(8), flags: 1 }),
    (b: CtapBackend) => b.enroll({ alg: 'ed25519', application: 'ssh:', challenge: new Uint8Array(8), userId: new Uint8Array(8), flags: 0x21, pin: '1234' }),
    (b: CtapBackend) => b.sign({ alg: 'ed25519', application: 'ssh:', keyHandle: new Uint8Array(8), message: new Uint8Array(8), flags: 1 }),
    (b: CtapBackend) => b.loadResidentKeys({ pin: '1234' }),
  ];

  async function onlySecurityKeyErrors(reply: (cmd: number, payload: Uint8Array) => Uint8Array): Promise<void> {
    for (const call of calls) {
      const backend = new CtapBackend({ devices: async () => [garbageDevice(reply)], timeoutMs: 300 });
      try {
        await call(backend);
      } catch (err) {
        if (!(err instanceof SecurityKeyError)) throw err;
      }
    }
  }

  test('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => onlySecurityKeyErrors(() => bytes)), { numRuns: 150 });
  });

  test('status OK and a random CBOR structure', async () => {
    await fc.assert(
      fc.asyncProperty(cborValue, async (value) =>
        onlySecurityKeyErrors((cmd, payload) => {
          if (cmd !== CTAPHID.CBOR) return Uint8Array.of(0x6a, 0x80);
          return Uint8Array.from([0, ...(payload[0] === 0x04 ? INFO : encodeCbor(value))]);
        }),
      ),
      { numRuns: 300 },
    );
  });

  test('well-formed responses with wrong insides', async () => {
    await fc.assert(
      fc.asyncProperty(makeCredentialResponse, getAssertionResponse, async (mc, ga) =>
        onlySecurityKeyErrors((cmd, payload) => {
          if (cmd !== CTAPHID.CBOR) return Uint8Array.of(0x6a, 0x80);
          const body = payload[0] === 0x04 ? INFO : payload[0] === 0x01 ? encodeCbor(mc) : payload[0] === 0x02 ? encodeCbor(ga) : new Uint8Array(0);
          return Uint8Array.from([0, ...body]);
        }),
      ),
      { numRuns: 300 },
    );
  });
});
