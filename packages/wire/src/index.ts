/**
 * @ssh/wire: the SSH data types of RFC 4251, message schemas, and the errors and parsers every
 * other @ssh package shares.
 * @module
 */

export { SshError, WireError, ValueParseError, type WireErrorReason } from './errors.ts';
export { Reader, type ReaderOptions } from './reader.ts';
export { Writer } from './writer.ts';
export {
  mpintByteLength,
  mpintToBytes,
  bytesToMpint,
  isCanonicalMpint,
  bigintToUnsignedBytes,
  unsignedBytesToBigint,
} from './mpint.ts';
export { parseByteCount, parseTimeInterval } from './parsers.ts';
