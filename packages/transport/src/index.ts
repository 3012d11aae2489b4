/**
 * @ssh/transport: the SSH transport layer (RFC 4253) and user authentication (RFC 4252), as
 * sans-I/O state machines.
 * @module
 */

export {
  VersionExchange,
  VersionExchangeError,
  formatIdentification,
  MAX_IDENTIFICATION_LENGTH,
  MAX_PRE_BANNER_LINE_LENGTH,
  MAX_PRE_BANNER_LINES,
  type PeerIdentification,
} from './version.ts';
export {
  DisconnectError,
  ProtocolError,
  KeyExchangeFailed,
  MACError,
  CompressionError,
  ServiceNotAvailable,
  ProtocolNotSupported,
  HostKeyNotVerifiable,
  ConnectionLost,
  PermissionDenied,
  IllegalUserName,
  PasswordChangeRequired,
  disconnectErrorFromCode,
} from './errors.ts';
export { PacketReader, PacketWriter, releasePayload } from './packet-stream.ts';
export { Transport, presentedKey, type GssKexStepAnswer, type PresentedHostKey, type TransportOptions, type TransportEvent, type TransportRole } from './transport.ts';
export {
  DEFAULT_HOST_KEY_ALGORITHMS,
  DEFAULT_USERAUTH_SIG_ALGORITHMS,
  resolveOffer,
  encodeKexInit,
  kexInitLists,
  type AlgorithmOffer,
  type OfferOptions,
} from './algorithms.ts';
export {
  UserauthClient,
  UserauthServer,
  chooseSigAlgorithm,
  type AuthTransport,
  type UserauthClientOptions,
  type UserauthClientEvent,
  type ClientAnswer,
  type ClientKey,
  type ClientMethod,
  type ExternalKey,
  type HostBasedIdentity,
  type KbdintPrompt,
  type UserauthServerOptions,
  type UserauthServerEvent,
  type ServerAnswer,
  type CaPrincipals,
  type GssPrincipals,
  type GssStepFailure,
  type GssStepResult,
  type HostNameAnswer,
  type ServerMethod,
  type KbdintChallenge,
  type PasswordChangeRequest,
} from './userauth/index.ts';
