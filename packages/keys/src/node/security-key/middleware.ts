/**
 * The OpenSSH security-key middleware backend: a SecurityKeyProvider library (sk-api.h, such as
 * OpenSSH's own sk-usbhid built as a library, or a vendor's) loaded by @ssh/crypto-native's
 * binding and called as OpenSSH calls it: the challenge and the message go in unhashed (the
 * provider hashes them), the "device" and "user" options when given, and the answers come back
 * in the backend contract's shapes. Calls run on the thread pool, one at a time per library;
 * how long one may wait for a touch is the provider's own timeout.
 * @module
 */

import { nativeSkProvider, nativeStatus, SK_PROVIDER_ECDSA, SK_PROVIDER_ED25519, type NativeSkProvider, type SkProviderAlg } from '@ssh/crypto-native';
import {
  SK_FLAG_FORCE_OPERATION,
  SK_FLAG_RESIDENT_KEY,
  SK_FLAG_USER_PRESENCE_REQD,
  SK_FLAG_USER_VERIFICATION_REQD,
  SecurityKeyError,
  type SecurityKeyBackend,
  type SecurityKeyErrorKind,
  type SkEnrollRequest,
  type SkEnrollResult,
  type SkKeyAlgorithm,
  type SkLoadResidentRequest,
  type SkResidentKey,
  type SkSignRequest,
  type SkSignResult,
} from './backend.ts';

/** sk-api.h return codes and the kinds they mean (-3 is also a wrong PIN: see errorFrom). */
const KINDS: ReadonlyMap<number, SecurityKeyErrorKind> = new Map([
  [-1, 'general'],
  [-2, 'unsupported'],
  [-3, 'pin-required'],
  [-4, 'device-not-found'],
  [-5, 'credential-exists'],
]);

const ALG_CODES: Readonly<Record<SkKeyAlgorithm, SkProviderAlg>> = { ecdsa: SK_PROVIDER_ECDSA, ed25519: SK_PROVIDER_ED25519 };
const PUBLIC_KEY_LENGTH: Readonly<Record<SkKeyAlgorithm, number>> = { ecdsa: 65, ed25519: 32 };

/** The library's answer to a failed call, as a SecurityKeyError of the matching kind. */
function errorFrom(path: string, cause: unknown, pinGiven: boolean): SecurityKeyError {
  const { code, status, message } = (cause ?? {}) as { code?: unknown; status?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(cause);
  if (code === 'ERR_SK_PROVIDER' && typeof status === 'number') {
    let kind = KINDS.get(status) ?? 'general';
    // sk-usbhid answers a wrong PIN as it answers a missing one; the difference is ours to know.
    if (kind === 'pin-required' && pinGiven) kind = 'pin-invalid';
    const what = kind === 'pin-invalid' ? `the PIN was refused (${text})` : kind === 'pin-required' ? `a PIN is required (${text})` : text;
    return new SecurityKeyError(kind, `security key provider ${path}: ${what}`, { cause, status });
  }
  return new SecurityKeyError('general', `security key provider ${path}: ${text}`, { cause });
}

/** An empty PIN is no PIN, as OpenSSH treats one. */
function pinOf(pin: string | undefined): string | undefined {
  return pin === undefined || pin === '' ? undefined : pin;
}

/** Big-endian `n` left-padded to 32 bytes; undefined when it does not fit. */
function scalar32(n: Uint8Array): Uint8Array | undefined {
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  const digits = n.subarray(start);
  if (digits.length > 32) return undefined;
  const out = new Uint8Array(32);
  out.set(digits, 32 - digits.length);
  return out;
}

/** A security-key backend that calls an OpenSSH SecurityKeyProvider library. */
export class MiddlewareBackend implements SecurityKeyBackend {
  /** The library's path, as given. */
  readonly path: string;
  /** What the library's sk_api_version() returned. */
  readonly apiVersion: number;
  readonly #provider: NativeSkProvider;

  /**
   * Loads the provider library at `path`. Throws a SecurityKeyError: 'unsupported' when the
   * native binding of @ssh/crypto-native is not built (or disabled), or the library implements
   * another API version than OpenSSH 8.4 to 10.x's; 'general' when it cannot be loaded or is no
   * provider.
   */
  constructor(path: string) {
    if (typeof path !== 'string' || path === '') throw new SecurityKeyError('general', 'a security key provider is a library path');
    let provider: NativeSkProvider | undefined;
    try {
      provider = nativeSkProvider(path);
    } catch (cause) {
      const { code, message } = cause as { code?: unknown; message?: unknown };
      const kind = code === 'ERR_SK_PROVIDER_VERSION' ? 'unsupported' : 'general';
      throw new SecurityKeyError(kind, `security key provider ${path}: ${typeof message === 'string' ? message : String(cause)}`, { cause });
    }
    if (provider === undefined) {
      const { available, reason } = nativeStatus();
      throw new SecurityKeyError(
        'unsupported',
        `security key provider ${path}: middleware libraries need the native binding of @ssh/crypto-native (${available ? 'built without security-key support' : reason})`,
      );
    }
    this.path = path;
    this.apiVersion = provider.version;
    this.#provider = provider;
  }

  async enroll(request: SkEnrollRequest): Promise<SkEnrollResult> {
    const alg = this.#alg(request.alg);
    // The API passes the user id as a C string: its trailing zeros are padding, inner ones cannot pass.
    let end = request.userId.length;
    while (end > 0 && request.userId[end - 1] === 0) end--;
    const user = request.userId.subarray(0, end);
    if (user.includes(0)) throw new SecurityKeyError('unsupported', `security key provider ${this.path}: the middleware API cannot pass a user id with zero bytes inside it`);
    const pin = pinOf(request.pin);
    const options = { ...(request.device === undefined ? {} : { device: request.device }), ...(user.length === 0 ? {} : { user }) };
    let response;
    try {
      response = await this.#provider.enroll(alg, request.challenge, request.application, request.flags, pin, options);
    } catch (cause) {
      throw errorFrom(this.path, cause, pin !== undefined);
    }
    this.#checkPublicKey(request.alg, response.publicKey, 'sk_enroll');
    return {
      publicKey: response.publicKey,
      keyHandle: response.keyHandle,
      // Forcing is an instruction to the enrollment, not a property of the key.
      flags: response.flags & ~SK_FLAG_FORCE_OPERATION,
      attestationSignature: response.signature,
      attestationCertificate: response.attestationCertificate,
      authData: response.authData,
    };
  }

  async sign(request: SkSignRequest): Promise<SkSignResult> {
    const alg = this.#alg(request.alg);
    const pin = pinOf(request.pin);
    let response;
    try {
      response = await this.#provider.sign(alg, request.message, request.application, request.keyHandle, request.flags, pin, request.device === undefined ? {} : { device: request.device });
    } catch (cause) {
      throw errorFrom(this.path, cause, pin !== undefined);
    }
    let signature: Uint8Array | undefined;
    if (request.alg === 'ed25519') {
      signature = response.sigR.length === 64 ? response.sigR : undefined;
    } else {
      const r = scalar32(response.sigR);
      const s = scalar32(response.sigS);
      if (r !== undefined && s !== undefined && response.sigS.length > 0) {
        signature = new Uint8Array(64);
        signature.set(r, 0);
        signature.set(s, 32);
      }
    }
    if (signature === undefined) {
      throw new SecurityKeyError('general', `security key provider ${this.path}: sk_sign returned a malformed ${request.alg} signature (r ${response.sigR.length} bytes, s ${response.sigS.length})`);
    }
    return { flags: response.flags, counter: response.counter, signature, extensions: new Uint8Array(0) };
  }

  /**
   * The resident credentials the provider lists, as OpenSSH keeps them: those of applications
   * starting with 'ssh:' and of the two key types, flagged resident, presence required, and
   * verification required when the credential says so.
   */
  async loadResidentKeys(request: SkLoadResidentRequest): Promise<SkResidentKey[]> {
    const pin = pinOf(request.pin);
    let listed;
    try {
      listed = await this.#provider.loadResidentKeys(pin, request.device === undefined ? {} : { device: request.device });
    } catch (cause) {
      throw errorFrom(this.path, cause, pin !== undefined);
    }
    const keys: SkResidentKey[] = [];
    for (const k of listed) {
      const alg: SkKeyAlgorithm | undefined = k.alg === SK_PROVIDER_ECDSA ? 'ecdsa' : k.alg === SK_PROVIDER_ED25519 ? 'ed25519' : undefined;
      if (alg === undefined || !k.application.startsWith('ssh:')) continue;
      this.#checkPublicKey(alg, k.publicKey, 'sk_load_resident_keys');
      const flags = SK_FLAG_USER_PRESENCE_REQD | SK_FLAG_RESIDENT_KEY | (k.flags & SK_FLAG_USER_VERIFICATION_REQD);
      keys.push({ alg, application: k.application, publicKey: k.publicKey, keyHandle: k.keyHandle, flags, userId: k.userId });
    }
    return keys;
  }

  #alg(alg: SkKeyAlgorithm): SkProviderAlg {
    const code = Object.hasOwn(ALG_CODES, alg) ? ALG_CODES[alg] : undefined;
    if (code === undefined) throw new SecurityKeyError('unsupported', `security key provider ${this.path}: no such key algorithm ${JSON.stringify(alg)}`);
    return code;
  }

  #checkPublicKey(alg: SkKeyAlgorithm, publicKey: Uint8Array, call: string): void {
    if (publicKey.length !== PUBLIC_KEY_LENGTH[alg] || (alg === 'ecdsa' && publicKey[0] !== 0x04)) {
      throw new SecurityKeyError('general', `security key provider ${this.path}: ${call} returned a malformed ${alg} public key (${publicKey.length} bytes)`);
    }
  }
}
