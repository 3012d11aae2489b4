/**
 * @ssh/config: OpenSSH ssh_config and sshd_config read as OpenSSH reads them (Host, Match,
 * Include, tokens, first-obtained-value-wins), resolved into connect()/listen() options.
 * Sans-I/O: file access, globbing and Match exec go through an injected HostEnvironment; the
 * Node one is in `@ssh/config/node`.
 * @module
 */

export { ConfigParseError, ConfigEnvironmentError, HostCanonicalizationError } from './errors.ts';
export type { HostEnvironment, HostRequest, HostLookup, HostLookupHints, GlobOptions, FileStatus } from './environment.ts';
export type { ConfigDocument, ConfigEntry, ConfigLine } from './document.ts';
export type { ServiceLookup } from './values.ts';
export { DEFAULT_MAX_INCLUDE_DEPTH } from './document.ts';
export { matchPattern, matchPatternList, matchHostname, matchAddressList } from '@ssh/wire';
export { expandTokens, expandTilde, connectionHash, ExpansionFailure, type TokenTable } from './tokens.ts';
export type { ForwardSpec } from './forwards.ts';
export {
  parseClientConfig,
  parseClientConfigAsync,
  resolveClientConfig,
  resolveClientConfigAsync,
  type ClientConfig,
  type ClientConfigSource,
  type ClientDocument,
  type ClientTarget,
  type ResolvedClientConfig,
  type ResolvedSetting,
  type IgnoredSetting,
  type SettingSource,
} from './client.ts';
export { CLIENT_KEYWORDS, type ClientKeyword, type ForwardAgentValue, type JumpHost, type AddressFamily, type RequestTtyMode, type PubkeyAuthenticationMode, type CanonicalizeHostnameMode } from './client-keywords.ts';
export type { ClientCriterion, ClientCriterionName } from './client-match.ts';
export { CLIENT_OPTION_MAP, type ClientConfigOptions } from './client-options.ts';
export {
  parseServerConfig,
  parseServerConfigAsync,
  resolveServerConfig,
  resolveServerConfigAsync,
  expandAuthorizedKeysPath,
  SERVER_OPTION_MAP,
  type ServerConfig,
  type ServerConfigSource,
  type ServerConfigOptions,
  type ServerDocument,
  type ResolvedServerConfig,
  type ResolvedServerSetting,
  type ServerSettingSource,
  type ServerConnection,
} from './server.ts';
export { SERVER_KEYWORDS, type ServerKeyword, type ServerAddressFamily } from './server-keywords.ts';
export type { ServerCriterion, ServerCriterionName } from './server-match.ts';
