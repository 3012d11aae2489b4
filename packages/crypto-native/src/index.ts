/**
 * The optional native binding of @ssh/crypto: AES-GCM for SSH packets on node's own OpenSSL,
 * without node:crypto's per-call cost (a cipher object and two fresh buffers per packet). Built
 * by node-gyp on install when a compiler is there; `nativeAesGcm()` is undefined otherwise, or
 * when the environment says SSH_CRYPTO_NATIVE=0, and @ssh/crypto then uses node:crypto. The same
 * binding sets the one socket option node has no API for (SO_RCVLOWAT), for @ssh/transport, and
 * runs SSH compression on node's own zlib (`nativeZlib()`) and chacha20-poly1305@openssh.com on
 * node's OpenSSL (`nativeChachaPoly()`), synchronously, for @ssh/crypto.
 * @module
 */

export type {
  AesGcmState,
  ChachaPolyState,
  GssContext,
  GssNames,
  GssStep,
  NativeAesGcm,
  NativeChachaPoly,
  NativeGssapi,
  NativePkcs11,
  NativeSkProvider,
  NativeZlib,
  Pkcs11Module,
  Pkcs11Token,
  SkProviderAlg,
  SkProviderEnrollment,
  SkProviderHandle,
  SkProviderOptions,
  SkProviderResidentKey,
  SkProviderSignature,
  ZlibState,
} from './types.ts';
export {
  GSS_C_CONF_FLAG,
  GSS_C_DELEG_FLAG,
  GSS_C_INTEG_FLAG,
  GSS_C_MUTUAL_FLAG,
  GSS_C_REPLAY_FLAG,
  GSS_C_SEQUENCE_FLAG,
  SK_PROVIDER_ECDSA,
  SK_PROVIDER_ED25519,
  ZLIB_BROKEN,
  ZLIB_OVER_LIMIT,
  ZLIB_STREAM_END,
} from './types.ts';
export { gssapiStatus, nativeAesGcm, nativeChachaPoly, nativeGssapi, nativePkcs11, nativeStatus, nativeZlib, setReceiveLowWater } from './node/binding.ts';
export { nativeSkProvider } from './node/sk-provider.ts';
export { TunTapDeviceError, openTunTapDevice, tunTapStatus, type TunTapDevice, type TunTapDeviceOptions } from './node/tun-device.ts';
