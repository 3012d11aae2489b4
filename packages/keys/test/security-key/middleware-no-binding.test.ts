/** MiddlewareBackend without the native binding (SSH_CRYPTO_NATIVE=0): a SecurityKeyError that says why. */
import { expect, it } from 'vitest';
import { SecurityKeyError } from '../../src/node/security-key/backend.ts';
import { MiddlewareBackend } from '../../src/node/security-key/middleware.ts';

it('refuses to load a provider when the native binding is disabled', () => {
  // Read when the binding is first wanted, which in this file's module graph is here.
  process.env['SSH_CRYPTO_NATIVE'] = '0';
  let error: unknown;
  try {
    new MiddlewareBackend('/usr/lib/x86_64-linux-gnu/libsk-anything.so');
  } catch (e) {
    error = e;
  } finally {
    delete process.env['SSH_CRYPTO_NATIVE'];
  }
  expect(error).toBeInstanceOf(SecurityKeyError);
  expect(error).toMatchObject({ kind: 'unsupported', message: expect.stringMatching(/native binding of @ssh\/crypto-native \(disabled by SSH_CRYPTO_NATIVE=0\)/) });
});
