/**
 * The optional native binding of @ssh/crypto: AES-GCM for SSH packets on node's own OpenSSL,
 * without node:crypto's per-call cost (a cipher object and two fresh buffers per packet). Built
 * by node-gyp on install when a compiler is there; `nativeAesGcm()` is undefined otherwise, or
 * when the environment says SSH_CRYPTO_NATIVE=0, and @ssh/crypto then uses node:crypto. The same
 * binding sets the one socket option node has no API for (SO_RCVLOWAT), for @ssh/transport.
 * @module
 */

export type { AesGcmState, NativeAesGcm } from './types.ts';
export { nativeAesGcm, nativeStatus, setReceiveLowWater } from './node/binding.ts';
