/**
 * Loads the binding built by scripts/build-native.mjs, once.
 * @module
 */

import { createRequire } from 'node:module';
import {
  ZLIB_OVER_LIMIT,
  type ChachaPolyState,
  type GssContext,
  type GssNames,
  type NativeAesGcm,
  type NativeChachaPoly,
  type NativeGssapi,
  type NativePkcs11,
  type NativeZlib,
  type ZlibState,
} from '../types.ts';
import type { SkProviderCalls } from './sk-provider.ts';

/** Where the binding is, relative to this file (src/node/ and dist/node/ are at the same depth). */
const BINDING = '../../build/Release/ssh_crypto_native.node';

/** What the built module exports: the AES-GCM and, from builds that have them, the socket option and zlib. */
interface NativeModule extends NativeAesGcm, Partial<SkProviderCalls> {
  readonly setReceiveLowWater?: (fd: number, bytes: number) => boolean;
  readonly zlibCreate?: (deflating: boolean, level: number) => ZlibState;
  readonly zlibDeflate?: (state: ZlibState, payload: Uint8Array) => Uint8Array | number;
  readonly zlibInflate?: (state: ZlibState, data: Uint8Array, limit: number) => Uint8Array | number;
  readonly chachaCreate?: NativeChachaPoly['create'];
  readonly chachaSeal?: NativeChachaPoly['seal'];
  readonly chachaLength?: NativeChachaPoly['length'];
  readonly chachaOpen?: NativeChachaPoly['open'];
  readonly pkcs11Load?: NativePkcs11['load'];
  readonly pkcs11Close?: NativePkcs11['close'];
  readonly pkcs11Tokens?: NativePkcs11['tokens'];
  readonly pkcs11OpenSession?: NativePkcs11['openSession'];
  readonly pkcs11CloseSession?: NativePkcs11['closeSession'];
  readonly pkcs11Login?: NativePkcs11['login'];
  readonly pkcs11FindObjects?: NativePkcs11['findObjects'];
  readonly pkcs11GetAttributes?: NativePkcs11['getAttributes'];
  readonly pkcs11Sign?: NativePkcs11['sign'];
  readonly gssapiLoad?: (library: string) => void;
  readonly gssapiCredentials?: NativeGssapi['credentials'];
  readonly gssapiInitContext?: NativeGssapi['initContext'];
  readonly gssapiAcceptContext?: NativeGssapi['acceptContext'];
  readonly gssapiStep?: NativeGssapi['step'];
  readonly gssapiGetMic?: NativeGssapi['getMic'];
  readonly gssapiVerifyMic?: NativeGssapi['verifyMic'];
  readonly gssapiNames?: NativeGssapi['names'];
}

let loaded: { readonly binding: NativeModule | undefined; readonly reason: string } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded !== undefined) return loaded;
  if (process.env['SSH_CRYPTO_NATIVE'] === '0') return (loaded = { binding: undefined, reason: 'disabled by SSH_CRYPTO_NATIVE=0' });
  try {
    const binding = createRequire(import.meta.url)(BINDING) as NativeModule;
    if (!passesSelfTest(binding)) return (loaded = { binding: undefined, reason: 'built, but failed its self-test (stale or broken build)' });
    return (loaded = { binding, reason: 'loaded' });
  } catch (cause) {
    return (loaded = { binding: undefined, reason: `not built (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})` });
  }
}

/** GCM test case 2 (McGrew and Viega): zero key and nonce, one zero block, through seal and open. */
const TC2 = '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf';

/**
 * Whether a loaded binding is the one this code expects and computes right: a build left over
 * from another version, or miscompiled, is not used.
 */
export function passesSelfTest(binding: NativeAesGcm): boolean {
  try {
    return selfTest(binding);
  } catch {
    return false;
  }
}

function selfTest(binding: NativeAesGcm): boolean {
  if (typeof binding.create !== 'function' || typeof binding.seal !== 'function' || typeof binding.open !== 'function') return false;
  const key = new Uint8Array(16);
  const nonce = new Uint8Array(12);
  const out = new Uint8Array(32);
  binding.seal(binding.create(key, nonce, true), new Uint8Array(0), [new Uint8Array(16)], out, 0);
  if (Buffer.from(out).toString('hex') !== TC2) return false;
  const plain = new Uint8Array(16).fill(1);
  return binding.open(binding.create(key, nonce, false), out, 0, plain) && plain.every((b) => b === 0);
}

/** The native AES-GCM, when it is built and not disabled. Loaded once, on first call. */
export function nativeAesGcm(): NativeAesGcm | undefined {
  return load().binding;
}

/** Whether the binding is in use, and if not, why (for diagnostics and benchmarks). */
export function nativeStatus(): { readonly available: boolean; readonly reason: string } {
  const { binding, reason } = load();
  return { available: binding !== undefined, reason };
}

let zlib: { readonly value: NativeZlib | undefined } | undefined;

/**
 * The native zlib streams, when the binding is built (by a version that has them), not disabled,
 * and they pass their self-test: three payloads through one deflate stream and back through one
 * inflate stream, the second referring back to the first, and a bomb stopped at its limit.
 */
export function nativeZlib(): NativeZlib | undefined {
  if (zlib !== undefined) return zlib.value;
  const b = load().binding;
  const create = b?.zlibCreate;
  const deflate = b?.zlibDeflate;
  const inflate = b?.zlibInflate;
  if (create === undefined || deflate === undefined || inflate === undefined) return (zlib = { value: undefined }).value;
  const candidate: NativeZlib = { create, deflate, inflate };
  return (zlib = { value: passesZlibSelfTest(candidate) ? candidate : undefined }).value;
}

function passesZlibSelfTest(z: NativeZlib): boolean {
  try {
    const d = z.create(true, 6);
    const i = z.create(false, 0);
    const payloads = ['SSH-2.0 compression self-test', 'SSH-2.0 compression self-test, again', ''].map((t) => new TextEncoder().encode(t));
    for (const p of payloads) {
      const packed = z.deflate(d, p);
      if (typeof packed === 'number') return false;
      const back = z.inflate(i, packed, 1024);
      if (typeof back === 'number' || Buffer.compare(back, p) !== 0) return false;
    }
    const bomb = z.deflate(z.create(true, 6), new Uint8Array(4096));
    return typeof bomb !== 'number' && z.inflate(z.create(false, 0), bomb, 4095) === ZLIB_OVER_LIMIT;
  } catch {
    return false;
  }
}

let chacha: { readonly value: NativeChachaPoly | undefined } | undefined;

/**
 * The native chacha20-poly1305@openssh.com, when the binding is built (by a version that has it),
 * not disabled, node's OpenSSL has what it needs (3.0 or later), and it passes its self-test.
 */
export function nativeChachaPoly(): NativeChachaPoly | undefined {
  if (chacha !== undefined) return chacha.value;
  const b = load().binding;
  if (b?.chachaCreate === undefined || b.chachaSeal === undefined || b.chachaLength === undefined || b.chachaOpen === undefined) return (chacha = { value: undefined }).value;
  const candidate: NativeChachaPoly = { create: b.chachaCreate, seal: b.chachaSeal, length: b.chachaLength, open: b.chachaOpen };
  return (chacha = { value: passesChachaSelfTest(candidate) ? candidate : undefined }).value;
}

/**
 * Key 00..3f, sequence number 7, a 16-byte body a0..af, sealed by @ssh/crypto's own implementation
 * (which its tests check against PROTOCOL.chacha20poly1305 rebuilt from node's ChaCha20 and
 * noble's Poly1305).
 */
const CHACHA_SELF_TEST = 'a39afcba88e7b7e0ea268cf9c4c4115b7b227d83fc12f69e1d5680b82599d680667aaa32';

function passesChachaSelfTest(c: NativeChachaPoly): boolean {
  try {
    const key = Uint8Array.from({ length: 64 }, (_, i) => i);
    const body = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    const out = new Uint8Array(36);
    c.seal(c.create(key, true), 7, Uint8Array.of(0, 0, 0, 16), [body], out, 0);
    if (Buffer.from(out).toString('hex') !== CHACHA_SELF_TEST) return false;
    const opener: ChachaPolyState = c.create(key, false);
    const plain = new Uint8Array(16);
    if (c.length(opener, 7, out) !== 16 || !c.open(opener, 7, out, 4, plain) || Buffer.compare(plain, body) !== 0) return false;
    out[20] = (out[20] as number) ^ 1;
    return !c.open(opener, 7, out, 4, new Uint8Array(16));
  } catch {
    return false;
  }
}

/** The largest low-water mark taken (the binding's limit too). */
const MAX_LOW_WATER = 64 * 1024 * 1024;

/**
 * Sets a socket's SO_RCVLOWAT: poll and epoll report it readable only once it holds `bytes` (or
 * its peer closed, or its receive window is nearly shut). False when that could not be done: no
 * binding (or one built before this function), a platform without the option, a descriptor that
 * is not a socket. Throws a RangeError for an `fd` or `bytes` that is not an integer in range.
 */
export function setReceiveLowWater(fd: number, bytes: number): boolean {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw new RangeError(`setReceiveLowWater: fd must be a descriptor, got ${fd}`);
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_LOW_WATER) throw new RangeError(`setReceiveLowWater: bytes must be 1 to ${MAX_LOW_WATER}, got ${bytes}`);
  const set = load().binding?.setReceiveLowWater;
  return set !== undefined && set(fd, bytes);
}

/**
 * The PKCS#11 calls, when the binding is built (by a version that has them, on a Unix), and not
 * disabled; otherwise undefined, with `nativeStatus()` saying why when the binding is missing.
 */
export function nativePkcs11(): NativePkcs11 | undefined {
  const b = load().binding;
  if (
    b?.pkcs11Load === undefined || b.pkcs11Close === undefined || b.pkcs11Tokens === undefined || b.pkcs11OpenSession === undefined ||
    b.pkcs11CloseSession === undefined || b.pkcs11Login === undefined || b.pkcs11FindObjects === undefined ||
    b.pkcs11GetAttributes === undefined || b.pkcs11Sign === undefined
  ) {
    return undefined;
  }
  return {
    load: b.pkcs11Load,
    close: b.pkcs11Close,
    tokens: b.pkcs11Tokens,
    openSession: b.pkcs11OpenSession,
    closeSession: b.pkcs11CloseSession,
    login: b.pkcs11Login,
    findObjects: b.pkcs11FindObjects,
    getAttributes: b.pkcs11GetAttributes,
    sign: b.pkcs11Sign,
  };
}

/** The GSS-API library loaded when SSH_GSSAPI_LIBRARY names none: MIT Kerberos' (Debian's libgssapi-krb5-2). */
const GSSAPI_LIBRARY = 'libgssapi_krb5.so.2';

let gssapi: { readonly value: NativeGssapi | undefined } | undefined;
let gssapiLoaded: { readonly error: string | undefined } | undefined;

/** Loads the library once; afterwards throws the same ERR_GSSAPI_UNAVAILABLE each time when that failed. */
function loadGssapi(load: (library: string) => void): void {
  if (gssapiLoaded === undefined) {
    try {
      load(process.env['SSH_GSSAPI_LIBRARY'] || GSSAPI_LIBRARY);
      gssapiLoaded = { error: undefined };
    } catch (cause) {
      gssapiLoaded = { error: cause instanceof Error ? cause.message : String(cause) };
    }
  }
  if (gssapiLoaded.error !== undefined) throw Object.assign(new Error(gssapiLoaded.error), { code: 'ERR_GSSAPI_UNAVAILABLE' });
}

/**
 * The GSS-API calls (Kerberos V5) when the binding is built (by a version that has them, on a
 * Unix) and not disabled; otherwise undefined. MIT Kerberos' libgssapi_krb5.so.2 (or the library
 * SSH_GSSAPI_LIBRARY names) is loaded on the first call: when it is missing, every call throws an
 * Error with code ERR_GSSAPI_UNAVAILABLE. `gssapiStatus()` says whether it loads.
 */
export function nativeGssapi(): NativeGssapi | undefined {
  if (gssapi !== undefined) return gssapi.value;
  const b = load().binding;
  const { gssapiLoad, gssapiCredentials, gssapiInitContext, gssapiAcceptContext, gssapiStep, gssapiGetMic, gssapiVerifyMic, gssapiNames } = b ?? {};
  if (
    gssapiLoad === undefined || gssapiCredentials === undefined || gssapiInitContext === undefined || gssapiAcceptContext === undefined ||
    gssapiStep === undefined || gssapiGetMic === undefined || gssapiVerifyMic === undefined || gssapiNames === undefined
  ) {
    return (gssapi = { value: undefined }).value;
  }
  const ready = (): void => loadGssapi(gssapiLoad);
  const value: NativeGssapi = {
    credentials: (service: string | null, accept: boolean) => (ready(), gssapiCredentials(service, accept)),
    initContext: (service: string, flags: number) => (ready(), gssapiInitContext(service, flags)),
    acceptContext: (service: string | null) => (ready(), gssapiAcceptContext(service)),
    step: (context: GssContext, token: Uint8Array | null) => (ready(), gssapiStep(context, token)),
    getMic: (context: GssContext, data: Uint8Array) => (ready(), gssapiGetMic(context, data)),
    verifyMic: (context: GssContext, data: Uint8Array, mic: Uint8Array) => (ready(), gssapiVerifyMic(context, data, mic)),
    names: (context: GssContext): GssNames => (ready(), gssapiNames(context)),
  };
  return (gssapi = { value }).value;
}

/** Whether GSS-API can be used (the binding has it and the library loads), and if not, why. */
export function gssapiStatus(): { readonly available: boolean; readonly reason: string } {
  const { binding, reason } = load();
  const gssapiLoad = binding?.gssapiLoad;
  if (nativeGssapi() === undefined || gssapiLoad === undefined) return { available: false, reason: binding === undefined ? reason : 'the native binding was built without GSS-API' };
  try {
    loadGssapi(gssapiLoad);
    return { available: true, reason: 'loaded' };
  } catch (cause) {
    return { available: false, reason: cause instanceof Error ? cause.message : String(cause) };
  }
}

/** The binding's security-key provider calls (for ./sk-provider.ts), when it is built with them and not disabled. */
export function skProviderCalls(): SkProviderCalls | undefined {
  const b = load().binding;
  if (b?.skProviderLoad === undefined || b.skProviderEnroll === undefined || b.skProviderSign === undefined || b.skProviderLoadResidentKeys === undefined) {
    return undefined;
  }
  return { skProviderLoad: b.skProviderLoad, skProviderEnroll: b.skProviderEnroll, skProviderSign: b.skProviderSign, skProviderLoadResidentKeys: b.skProviderLoadResidentKeys };
}
