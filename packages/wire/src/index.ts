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
export { BufferPool, SizeClassPools, type BufferPoolOptions, type SizeClassPoolsOptions } from './buffer-pool.ts';
export {
  matchPattern,
  matchPatternList,
  matchHostname,
  matchAddressList,
  matchCidrList,
  matchHostAndIp,
  parseAddress,
  parseCidr,
  unmapAddress,
  type ParsedAddress,
  type PatternList,
} from './patterns.ts';
export { globMatcher, type GlobMatchOptions } from './glob-match.ts';

// The message DSL: `W.u32`, `W.keyed(...)`, `W.Infer<typeof M>`; the define* functions also at top level.
export * as W from './dsl.ts';
export {
  defineMessage,
  defineTable,
  defineMessageTable,
  type Infer,
  type MessageSchema,
  type MessageTable,
  type Decoded,
  type DecodeOptions,
} from './schema.ts';
export type { Codec, Fields, InferFields, Cases, CaseValue, TableBody, Table, PtyMode } from './codecs.ts';

// Numbers and code tables.
export { MSG, type MsgName } from './messages/numbers.ts';
export {
  DISCONNECT,
  CHANNEL_OPEN_FAILURE,
  EXTENDED_DATA,
  PTY_MODE,
  SIGNALS,
  TUN_MODE,
  TUN_UNIT_ANY,
  codeName,
  type DisconnectReason,
  type ChannelOpenFailureReason,
  type SignalName,
} from './constants.ts';

// Message declarations.
export * from './messages/transport.ts';
export * from './messages/ext-info.ts';
export * from './messages/kex.ts';
export * from './messages/userauth.ts';
export * from './messages/connection.ts';
export { genericMessages, methodMessageTables, messageName } from './messages/dispatch.ts';
