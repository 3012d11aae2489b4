/**
 * @ssh/crypto: the SSH algorithm registry and negotiation, packet ciphers and MACs, key exchange,
 * compression, and the primitives OpenSSL lacks.
 * @module
 */

export {
  UnknownAlgorithmError,
  NoCommonAlgorithmError,
  AlgorithmListError,
  MacError,
  PacketLengthError,
  CryptoParameterError,
  KeyExchangeError,
  GssKeyExchangeError,
  CompressionError,
  type AlgorithmKind,
} from './errors.ts';
export {
  createRegistry,
  ALGORITHM_KINDS,
  type Registry,
  type AlgorithmSpec,
  type AlgorithmTable,
  type AlgorithmImpls,
  type NamesOptions,
} from './registry.ts';
export { standardAlgorithms, createStandardRegistry, listAlgorithms, type ListQuery } from './algorithms.ts';
export { matchWildcard, expandAlgorithmList } from './algorithm-list.ts';
export {
  negotiateAlgorithm,
  negotiateKexInit,
  isKexGuessCorrect,
  KEX_PSEUDO_ALGORITHMS,
  type KexInitLists,
  type NegotiatedAlgorithms,
  type NegotiateOptions,
} from './negotiate.ts';
export { hash, hmac, hashLength, hashBlockLength, type HashName } from './hash.ts';
export {
  CIPHER,
  cipherAlgorithms,
  type CipherImpl,
  type CipherInfo,
  type CipherStream,
  type StreamCipherImpl,
  type AeadCipher,
  type AeadCipherImpl,
} from './cipher/index.ts';
export { MAC, macAlgorithms, type Mac, type MacImpl } from './mac/index.ts';
export {
  createSealer,
  createOpener,
  DEFAULT_MAX_PACKET_LENGTH,
  type Sealer,
  type Opener,
  type PacketProtectionOptions,
} from './packet.ts';
export { recyclePacketBuffer, takePacketBuffer } from './packet-buffers.ts';
export { cipherKeyInfo, cipherEncrypt, cipherDecrypt, type CipherKeyInfo } from './private-key-cipher.ts';
export { bcryptPbkdf } from './kdf/bcrypt-pbkdf.ts';
export { Blowfish } from './primitives/blowfish.ts';
export { cbcStream, type BlockCipher } from './primitives/cbc.ts';
export { Rc4 } from './primitives/rc4.ts';
export { Cast128 } from './primitives/cast128.ts';
export { Seed } from './primitives/seed.ts';
export { Umac } from './primitives/umac.ts';
export { poly1305, poly1305Parts } from './primitives/poly1305.ts';
export {
  sntrup761Keygen,
  sntrup761Encapsulate,
  sntrup761Decapsulate,
  SNTRUP761_PUBLIC_KEY_BYTES,
  SNTRUP761_SECRET_KEY_BYTES,
  SNTRUP761_CIPHERTEXT_BYTES,
  SNTRUP761_SHARED_BYTES,
} from './primitives/sntrup761.ts';
export {
  KEX,
  kexAlgorithms,
  type KexImpl,
  type KexExchange,
  type KexStep,
  type KexResult,
  type KexRole,
  type KexTranscript,
  type KexOptions,
  type GexBounds,
  type DhGroup,
  type GssKexAnswer,
} from './kex/index.ts';
export { GSS_KRB5_OID, MAX_GSS_ROUNDS, MAX_GSS_TOKEN, gssKexName, gssMechanismSuffix, splitGssKexName } from './kex/gss.ts';
export { deriveKey, deriveSessionKeys, type DirectionKeys, type DirectionSizes } from './kex/derive.ts';
export { chooseGexGroup, parseModuli, DEFAULT_GEX_BOUNDS } from './kex/dh-gex.ts';
export { modpGroup, type ModpGroup } from './kex/dh.ts';
export { montgomeryPublicKey, montgomeryShared, type MontgomeryCurve } from './kex/montgomery.ts';
export {
  COMPRESSION,
  compressionAlgorithms,
  type CompressionImpl,
  type Compressor,
  type Decompressor,
  type DecompressorOptions,
} from './compression/index.ts';
export { DEFAULT_MAX_INFLATED_LENGTH } from './compression/zlib.ts';
