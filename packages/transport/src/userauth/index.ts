/** User authentication (RFC 4252, RFC 4256, RFC 4462 gssapi-with-mic, OpenSSH publickey-hostbound), client and server. @module */
export {
  UserauthClient,
  type UserauthClientOptions,
  type UserauthClientEvent,
  type ClientAnswer,
  type ClientKey,
  type ClientMethod,
  type ExternalKey,
  type HostBasedIdentity,
  type KbdintPrompt,
} from './client.ts';
export {
  UserauthServer,
  type UserauthServerOptions,
  type UserauthServerEvent,
  type ServerAnswer,
  type CaPrincipals,
  type GssPrincipals,
  type HostNameAnswer,
  type ServerMethod,
  type KbdintChallenge,
  type PasswordChangeRequest,
} from './server.ts';
export { chooseSigAlgorithm, type AuthTransport, type GssStepFailure, type GssStepResult } from './common.ts';
