/**
 * The sshd_config keyword table (OpenSSH 9.2 servconf.c, with Debian's additions): which
 * keywords exist, which may appear inside Match, how typed ones parse and combine.
 * @module
 */

import { algorithmList, uncheckedAlgorithmList } from './algorithms.ts';
import { BadArgument, type ConfigLine } from './document.ts';
import {
  acceptEnv,
  authenticationMethods,
  bindMask,
  channelTimeout,
  commandLine,
  fingerprintHash,
  gssKexAlgorithms,
  ipqos,
  listenAddress,
  logLevel,
  logVerbose,
  maxStartups,
  nonNegative,
  oneString,
  perSourceNetBlockSize,
  permitList,
  pubkeyAuthOptions,
  serverFlag,
  setEnv,
  strings,
  syslogFacility,
  words,
  type RawCheck,
} from './unused-values.ts';
import { integer, list, multistate, port, rekeyLimit, single, timeInterval, type ServiceLookup } from './values.ts';

/** `last`: a later line replaces the value (sshd 9.2 does so for a few keywords). */
export type ServerCombineMode = 'first' | 'last' | 'append' | 'rekey';

export interface ServerKeyword {
  readonly name: string;
  readonly key: string;
  /** Parses the arguments; `services` looks up service names where ports go (none: decimal ports only). */
  readonly parse?: (line: ConfigLine, services?: ServiceLookup) => unknown;
  /** For keywords without a parser: checks the arguments as sshd does (the value stays the arguments). */
  readonly check?: (line: ConfigLine, services?: ServiceLookup) => unknown;
  readonly combine: ServerCombineMode;
  /** May appear inside a Match block. */
  readonly inMatch: boolean;
  readonly obsolete?: true;
}

export type ServerAddressFamily = 'any' | 'inet' | 'inet6';

/** LoginGraceTime and the client-alive interval: a time interval in seconds. */
const time = (line: ConfigLine): number => timeInterval(single(line));

/** HostKey and HostCertificate: a file name, which may not be empty. */
const fileName = (line: ConfigLine): string => {
  const arg = single(line);
  if (arg === '') throw new BadArgument('missing file name.');
  return arg;
};

/** Compression: yes, delayed (same as yes since 7.4) or no. */
const compression = (line: ConfigLine): boolean => multistate(line, { yes: true, delayed: true, no: false });

/** sshd's flags take yes and no only (servconf.c multistate_flag), not ssh's true and false. */
const flag = (line: ConfigLine): boolean => multistate(line, { yes: true, no: false });

/**
 * Subsystem: a name, a command and its arguments, as the line gives them (servconf.c). Each line
 * is one entry of the setting's list; a name defined twice is refused when the lines combine.
 */
const subsystem = (line: ConfigLine): readonly string[] => {
  const a = line.args;
  if (a.length === 0) throw new BadArgument(`no argument after keyword "${line.keyword}"`);
  if (a[0] === '') throw new BadArgument(`${line.keyword} missing argument.`);
  if (a.length < 2 || a[1] === '') throw new BadArgument('Missing subsystem command.');
  return a;
};

/**
 * ForceCommand and VersionAddendum: the rest of the line as sshd keeps it (quotes, `#` and inner
 * blanks included; the reader has checked that it splits into arguments), `none` in any case
 * standing for none. `noCarriageReturn`: VersionAddendum refuses one inside (it ends the version line).
 */
const restOfLine =
  (noCarriageReturn: boolean) =>
  (line: ConfigLine): readonly string[] => {
    if (noCarriageReturn && line.rest.includes('\r')) throw new BadArgument(`Invalid ${line.keywordAsWritten} argument`);
    return [line.rest.toLowerCase() === 'none' ? 'none' : line.rest];
  };

type Row = readonly [name: string, inMatch: boolean, parse?: ((line: ConfigLine, services?: ServiceLookup) => unknown) | undefined, combine?: ServerCombineMode, aliasOf?: string];

/** A keyword recognised and not interpreted, whose arguments sshd checks. */
type CheckedRow = readonly [name: string, inMatch: boolean, check: RawCheck, combine?: ServerCombineMode, aliasOf?: string];

/** RDomain: sshd 9.2 as Debian builds it refuses it, whatever the value. */
const rdomain = (): never => {
  throw new BadArgument('setting RDomain not supported on this platform.');
};

/** UnusedConnectionTimeout: `none` (in any case) or a time. */
const unusedTimeout: RawCheck = (line) => {
  const arg = single(line);
  if (arg.toLowerCase() !== 'none') timeInterval(arg);
  return [...line.args];
};

/** PerSourceMaxStartups: `none` or a count. */
const noneOrCount: RawCheck = (line) => (single(line) === 'none' ? [...line.args] : nonNegative()(line));

const M = true;
const G = false;

const ROWS: readonly Row[] = [
  // Typed: AsyncSSH's supported server options that sshd knows.
  ['AddressFamily', G, (l) => multistate<ServerAddressFamily>(l, { any: 'any', inet: 'inet', inet6: 'inet6' })],
  ['AllowAgentForwarding', M, flag],
  ['AuthorizedKeysFile', M, (l) => list(l)],
  ['CASignatureAlgorithms', M, algorithmList('ca', 'key types')],
  ['Ciphers', G, algorithmList('cipher', 'SSH2 cipher spec')],
  ['ClientAliveCountMax', M, (l) => integer(single(l))],
  ['ClientAliveInterval', M, time],
  ['Compression', G, compression],
  ['GSSAPIAuthentication', M, flag],
  ['GSSAPIKeyExchange', G, flag],
  ['HostbasedAuthentication', M, flag],
  ['HostCertificate', G, fileName, 'append'],
  ['HostKey', G, fileName, 'append'],
  ['HostDSAKey', G, fileName, 'append', 'HostKey'],
  ['KbdInteractiveAuthentication', M, flag],
  ['ChallengeResponseAuthentication', M, flag, 'first', 'KbdInteractiveAuthentication'],
  ['KexAlgorithms', G, algorithmList('kex', 'SSH2 KexAlgorithms')],
  ['LoginGraceTime', G, time],
  ['MACs', G, algorithmList('mac', 'SSH2 MAC spec')],
  ['PasswordAuthentication', M, flag],
  ['PermitTTY', M, flag],
  ['Port', G, (l, services) => port(single(l), services), 'append'],
  ['PubkeyAuthentication', M, flag],
  ['DSAAuthentication', G, flag, 'first', 'PubkeyAuthentication'],
  ['RekeyLimit', M, (l) => rekeyLimit(l), 'rekey'],
  ['TCPKeepAlive', G, flag],
  ['KeepAlive', G, flag, 'first', 'TCPKeepAlive'],
  ['UseDNS', G, flag],
  // Recognised, not interpreted.
  ['ForceCommand', M, restOfLine(false)],
  ['HostbasedAcceptedAlgorithms', M, uncheckedAlgorithmList('key')],
  ['HostbasedAcceptedKeyTypes', M, uncheckedAlgorithmList('key'), 'first', 'HostbasedAcceptedAlgorithms'],
  ['HostKeyAlgorithms', G, uncheckedAlgorithmList('key')],
  ['KerberosGetAFSToken', G],
  ['PubkeyAcceptedAlgorithms', M, uncheckedAlgorithmList('key')],
  ['PubkeyAcceptedKeyTypes', M, uncheckedAlgorithmList('key'), 'first', 'PubkeyAcceptedAlgorithms'],
  ['Subsystem', G, subsystem, 'append'],
  ['MaxStartups', G, maxStartups, 'last'],
  ['VersionAddendum', G, restOfLine(true)],
];

/** Recognised, not interpreted, with their arguments checked as sshd checks them. */
const CHECKED: readonly CheckedRow[] = [
  ['AcceptEnv', M, acceptEnv, 'append'],
  ['AuthenticationMethods', M, authenticationMethods],
  ['AuthorizedKeysCommand', M, commandLine],
  ['AllowGroups', M, strings, 'append'],
  ['AllowStreamLocalForwarding', M, words(['yes', 'no', 'all', 'local', 'remote'])],
  ['AllowTcpForwarding', M, words(['yes', 'no', 'all', 'local', 'remote'])],
  ['AllowUsers', M, strings, 'append'],
  ['AuthorizedKeysCommandUser', M, oneString],
  ['AuthorizedPrincipalsCommand', M, commandLine, 'last'],
  ['AuthorizedPrincipalsCommandUser', M, oneString],
  ['AuthorizedPrincipalsFile', M, oneString],
  ['Banner', M, oneString],
  ['ChannelTimeout', M, channelTimeout],
  ['ChrootDirectory', M, oneString],
  ['DebianBanner', G, serverFlag],
  ['DenyGroups', M, strings, 'append'],
  ['DenyUsers', M, strings, 'append'],
  ['DisableForwarding', M, serverFlag],
  ['ExposeAuthInfo', M, serverFlag],
  ['FingerprintHash', G, fingerprintHash],
  ['GatewayPorts', M, words(['yes', 'no', 'clientspecified'])],
  ['GSSAPICleanupCredentials', G, serverFlag],
  ['GSSAPIKexAlgorithms', G, gssKexAlgorithms],
  ['GSSAPIStoreCredentialsOnRekey', G, serverFlag],
  ['GSSAPIStrictAcceptorCheck', G, serverFlag],
  ['HostbasedUsesNameFromPacketOnly', M, serverFlag],
  ['HostKeyAgent', G, oneString],
  ['IgnoreRhosts', M, words(['yes', 'no', 'shosts-only'])],
  ['IgnoreUserKnownHosts', G, serverFlag],
  ['IPQoS', M, ipqos],
  ['KerberosAuthentication', M, serverFlag],
  ['KerberosOrLocalPasswd', G, serverFlag],
  ['KerberosTicketCleanup', G, serverFlag],
  ['ListenAddress', G, listenAddress, 'append'],
  ['LogLevel', M, logLevel],
  ['LogVerbose', M, logVerbose],
  ['MaxAuthTries', M, nonNegative()],
  ['MaxSessions', M, nonNegative()],
  ['ModuliFile', G, oneString],
  ['PerSourceMaxStartups', G, noneOrCount],
  ['PerSourceNetBlockSize', G, perSourceNetBlockSize, 'last'],
  ['PermitEmptyPasswords', M, serverFlag],
  ['PermitListen', M, permitList(true, true)],
  ['PermitOpen', M, permitList(false, true)],
  ['PermitRootLogin', M, words(['yes', 'no', 'prohibit-password', 'without-password', 'forced-commands-only'])],
  ['PermitTunnel', M, words(['yes', 'no', 'point-to-point', 'ethernet'], true)],
  ['PermitUserEnvironment', G, oneString],
  ['PermitUserRC', M, serverFlag],
  ['PidFile', G, oneString],
  ['PrintLastLog', G, serverFlag],
  ['PrintMotd', G, serverFlag],
  ['PubkeyAuthOptions', M, pubkeyAuthOptions],
  ['RDomain', M, rdomain],
  ['RequiredRSASize', M, nonNegative()],
  ['RevokedKeys', M, oneString],
  ['SecurityKeyProvider', G, oneString],
  ['SetEnv', M, setEnv],
  ['StreamLocalBindMask', M, bindMask],
  ['StreamLocalBindUnlink', M, serverFlag],
  ['StrictModes', G, serverFlag],
  ['SyslogFacility', G, syslogFacility],
  ['TrustedUserCAKeys', M, oneString],
  ['UnusedConnectionTimeout', M, unusedTimeout],
  ['UsePAM', G, serverFlag],
  ['X11DisplayOffset', M, nonNegative()],
  ['X11Forwarding', M, serverFlag],
  ['X11UseLocalhost', M, serverFlag],
  ['XAuthLocation', G, oneString],
];

const OBSOLETE: readonly [string, boolean][] = [
  ['Protocol', G],
  ['UsePrivilegeSeparation', G],
  ['RhostsRSAAuthentication', M],
  ['RSAAuthentication', M],
  ['ServerKeyBits', G],
  ['KeyRegenerationInterval', G],
  ['UseLogin', G],
  ['AuthorizedKeysFile2', M],
  ['VerifyReverseMapping', G],
  ['ReverseMappingCheck', G],
  ['AFSTokenPassing', G],
  ['KerberosTgtPassing', G],
];

function build(): ReadonlyMap<string, ServerKeyword> {
  const m = new Map<string, ServerKeyword>();
  for (const [name, inMatch, parse, combine = 'first', aliasOf] of ROWS) {
    m.set(name.toLowerCase(), { name: aliasOf ?? name, key: (aliasOf ?? name).toLowerCase(), combine, inMatch, ...(parse ? { parse } : {}) });
  }
  for (const [name, inMatch, check, combine = 'first', aliasOf] of CHECKED) {
    m.set(name.toLowerCase(), { name: aliasOf ?? name, key: (aliasOf ?? name).toLowerCase(), combine, inMatch, check });
  }
  for (const [name, inMatch] of OBSOLETE) {
    if (!m.has(name.toLowerCase())) m.set(name.toLowerCase(), { name, key: name.toLowerCase(), combine: 'first', inMatch, obsolete: true });
  }
  return m;
}

/** Every keyword sshd_config accepts besides Match and Include, by lowercase name. */
export const SERVER_KEYWORDS: ReadonlyMap<string, ServerKeyword> = /* @__PURE__ */ build();
