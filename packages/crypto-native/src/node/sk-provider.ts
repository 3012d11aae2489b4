/**
 * OpenSSH security-key provider libraries (sk-api.h) through the binding (native/sk_provider.c):
 * a typed wrapper that queues the calls of each provider, which the binding takes one at a time.
 * @module
 */

import type {
  NativeSkProvider,
  SkProviderAlg,
  SkProviderEnrollment,
  SkProviderHandle,
  SkProviderOptions,
  SkProviderResidentKey,
  SkProviderSignature,
} from '../types.ts';
import { skProviderCalls } from './binding.ts';

/** The binding's functions, positional as in C (null for an absent PIN, device or user). */
export interface SkProviderCalls {
  readonly skProviderLoad: (path: string) => SkProviderHandle;
  readonly skProviderEnroll: (
    provider: SkProviderHandle,
    alg: SkProviderAlg,
    challenge: Uint8Array,
    application: string,
    flags: number,
    pin: string | null,
    device: string | null,
    user: Uint8Array | null,
  ) => Promise<SkProviderEnrollment>;
  readonly skProviderSign: (
    provider: SkProviderHandle,
    alg: SkProviderAlg,
    message: Uint8Array,
    application: string,
    keyHandle: Uint8Array,
    flags: number,
    pin: string | null,
    device: string | null,
  ) => Promise<SkProviderSignature>;
  readonly skProviderLoadResidentKeys: (provider: SkProviderHandle, pin: string | null, device: string | null) => Promise<SkProviderResidentKey[]>;
}

/**
 * Loads the security-key provider library at `path` (dlopen) and checks the API version it
 * implements. Undefined when the binding is not built (with these calls, on a Unix) or disabled
 * by SSH_CRYPTO_NATIVE=0 (`nativeStatus()` says why). Throws an Error with code
 * ERR_SK_PROVIDER_LOAD when the library cannot be loaded or is no provider, and
 * ERR_SK_PROVIDER_VERSION (with `version`) when it implements an API major other than OpenSSH
 * 8.4 to 10.x's (0x00070000 to 0x000a0000).
 */
export function nativeSkProvider(path: string): NativeSkProvider | undefined {
  const calls = skProviderCalls();
  if (calls === undefined) return undefined;
  const handle = calls.skProviderLoad(path);
  // The binding refuses a second call while one is in flight: each waits for the one before.
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(call: () => Promise<T>): Promise<T> => {
    const result = tail.then(call, call);
    tail = result.catch(() => undefined);
    return result;
  };
  const device = (options: SkProviderOptions | undefined): string | null => options?.device ?? null;
  // Copied now: a queued call reads its buffers only when its turn comes.
  const copy = (bytes: Uint8Array): Uint8Array => (bytes instanceof Uint8Array ? new Uint8Array(bytes) : bytes);
  return {
    path,
    version: handle.version,
    enroll: (alg, challenge, application, flags, pin, options) => {
      const [c, user] = [copy(challenge), options?.user === undefined ? null : copy(options.user)];
      return queued(() => calls.skProviderEnroll(handle, alg, c, application, flags, pin ?? null, device(options), user));
    },
    sign: (alg, message, application, keyHandle, flags, pin, options) => {
      const [m, k] = [copy(message), copy(keyHandle)];
      return queued(() => calls.skProviderSign(handle, alg, m, application, k, flags, pin ?? null, device(options)));
    },
    loadResidentKeys: (pin, options) => queued(() => calls.skProviderLoadResidentKeys(handle, pin ?? null, device(options))),
  };
}
