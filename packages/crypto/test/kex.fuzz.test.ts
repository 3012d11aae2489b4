/**
 * Bounded fuzz: random messages fed to every key exchange, on both sides and at every step,
 * end in KeyExchangeError (never RangeError/TypeError, never a hang).
 */
import fc from 'fast-check';
import { SshError } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { createStandardRegistry, KeyExchangeError, type KexTranscript } from '../src/index.ts';
import { serverOptions } from './helpers/kex-pump.ts';

const registry = createStandardRegistry();
const t: KexTranscript = { clientVersion: 'SSH-2.0-a', serverVersion: 'SSH-2.0-b', clientKexInit: Uint8Array.of(20), serverKexInit: Uint8Array.of(20) };
// Cheap methods only: the point is the parsers, not the big-number math.
const METHODS = ['curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256', 'diffie-hellman-group-exchange-sha256', 'mlkem768x25519-sha256', 'rsa1024-sha1'];

describe('kex fuzz', () => {
  it.each(METHODS)('%s: random messages give typed errors only', (name) => {
    const impl = registry.require('kex', name).impl;
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.integer({ min: 30, max: 34 }), fc.uint8Array({ maxLength: 1300 })).map(([n, body]) => Uint8Array.of(n, ...body)),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(message, { minLength: 1, maxLength: 3 }), (asServer, messages) => {
        const k = asServer ? impl.create('server', t, serverOptions(name)) : impl.create('client', t);
        k.start();
        for (const m of messages) {
          try {
            const step = k.receive(m);
            if (step.type === 'sign') k.sign(new Uint8Array(4));
          } catch (e) {
            expect(e).toBeInstanceOf(SshError);
            expect(e instanceof KeyExchangeError).toBe(true);
            return;
          }
        }
      }),
      { numRuns: 60, interruptAfterTimeLimit: 2000 },
    );
  });
});
