/**
 * The sshd_config keyword table (OpenSSH 9.2 servconf.c, with Debian's additions): which
 * keywords exist, which may appear inside Match, how typed ones parse and combine.
 * @module
 */

import { checkAlgorithmList, type AlgorithmListKind } from './algorithms.ts';
import { BadArgument, type ConfigLine } from './document.ts';
import { integer, list, multistate, port, rekeyLimit, single, timeInterval } from './values.ts';

export type ServerCombineMode = 'first' | 'append' | 'rekey';

export interface ServerKeyword {
  readonly name: string;
  readonly key: string;
  readonly parse?: (line: ConfigLine) => unknown;
  readonly combine: ServerCombineMode;
  /** May appear inside a Match block. */
  readonly inMatch: boolean;
  readonly obsolete?: true;
}

export type ServerAddressFamily = 'any' | 'inet' | 'inet6';

/** An algorithm list keyword, its names checked as sshd checks them when it reads the line. */
const algorithmList =
  (kind: AlgorithmListKind, what: string) =>
  (line: ConfigLine): string =>
    checkAlgorithmList(kind, single(line), what);

/** An algorithm list listen() does not use: checked the same way, kept as the raw argument. */
const uncheckedAlgorithmList =
  (kind: AlgorithmListKind) =>
  (line: ConfigLine): readonly string[] => [checkAlgorithmList(kind, single(line), 'key types')];

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

type Row = readonly [name: string, inMatch: boolean, parse?: ((line: ConfigLine) => unknown) | undefined, combine?: ServerCombineMode, aliasOf?: string];

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
  ['Port', G, (l) => port(single(l)), 'append'],
  ['PubkeyAuthentication', M, flag],
  ['DSAAuthentication', G, flag, 'first', 'PubkeyAuthentication'],
  ['RekeyLimit', M, (l) => rekeyLimit(l), 'rekey'],
  ['TCPKeepAlive', G, flag],
  ['KeepAlive', G, flag, 'first', 'TCPKeepAlive'],
  ['UseDNS', G, flag],
  // Recognised, not interpreted.
  ['AcceptEnv', M, undefined, 'append'],
  ['AllowGroups', M, undefined, 'append'],
  ['AllowStreamLocalForwarding', M],
  ['AllowTcpForwarding', M],
  ['AllowUsers', M, undefined, 'append'],
  ['AuthenticationMethods', M],
  ['AuthorizedKeysCommand', M],
  ['AuthorizedKeysCommandUser', M],
  ['AuthorizedPrincipalsCommand', M],
  ['AuthorizedPrincipalsCommandUser', M],
  ['AuthorizedPrincipalsFile', M],
  ['Banner', M],
  ['ChannelTimeout', M],
  ['ChrootDirectory', M],
  ['DebianBanner', G],
  ['DenyGroups', M, undefined, 'append'],
  ['DenyUsers', M, undefined, 'append'],
  ['DisableForwarding', M],
  ['ExposeAuthInfo', M],
  ['FingerprintHash', G],
  ['ForceCommand', M],
  ['GatewayPorts', M],
  ['GSSAPICleanupCredentials', G],
  ['GSSAPIKexAlgorithms', G],
  ['GSSAPIStoreCredentialsOnRekey', G],
  ['GSSAPIStrictAcceptorCheck', G],
  ['HostbasedAcceptedAlgorithms', M, uncheckedAlgorithmList('key')],
  ['HostbasedAcceptedKeyTypes', M, uncheckedAlgorithmList('key'), 'first', 'HostbasedAcceptedAlgorithms'],
  ['HostbasedUsesNameFromPacketOnly', M],
  ['HostKeyAgent', G],
  ['HostKeyAlgorithms', G, uncheckedAlgorithmList('key')],
  ['IgnoreRhosts', M],
  ['IgnoreUserKnownHosts', G],
  ['IPQoS', M],
  ['KerberosAuthentication', M],
  ['KerberosOrLocalPasswd', G],
  ['KerberosTicketCleanup', G],
  ['KerberosGetAFSToken', G],
  ['ListenAddress', G, undefined, 'append'],
  ['LogLevel', M],
  ['LogVerbose', M],
  ['MaxAuthTries', M],
  ['MaxSessions', M],
  ['MaxStartups', G],
  ['ModuliFile', G],
  ['PerSourceMaxStartups', G],
  ['PerSourceNetBlockSize', G],
  ['PermitEmptyPasswords', M],
  ['PermitListen', M],
  ['PermitOpen', M],
  ['PermitRootLogin', M],
  ['PermitTunnel', M],
  ['PermitUserEnvironment', G],
  ['PermitUserRC', M],
  ['PidFile', G],
  ['PrintLastLog', G],
  ['PrintMotd', G],
  ['PubkeyAcceptedAlgorithms', M, uncheckedAlgorithmList('key')],
  ['PubkeyAcceptedKeyTypes', M, uncheckedAlgorithmList('key'), 'first', 'PubkeyAcceptedAlgorithms'],
  ['PubkeyAuthOptions', M],
  ['RDomain', M],
  ['RequiredRSASize', M],
  ['RevokedKeys', M],
  ['SecurityKeyProvider', G],
  ['SetEnv', M],
  ['StreamLocalBindMask', M],
  ['StreamLocalBindUnlink', M],
  ['StrictModes', G],
  ['Subsystem', G, subsystem, 'append'],
  ['SyslogFacility', G],
  ['TrustedUserCAKeys', M],
  ['UnusedConnectionTimeout', M],
  ['UsePAM', G],
  ['VersionAddendum', G],
  ['X11DisplayOffset', M],
  ['X11Forwarding', M],
  ['X11UseLocalhost', M],
  ['XAuthLocation', G],
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
  for (const [name, inMatch] of OBSOLETE) {
    if (!m.has(name.toLowerCase())) m.set(name.toLowerCase(), { name, key: name.toLowerCase(), combine: 'first', inMatch, obsolete: true });
  }
  return m;
}

/** Every keyword sshd_config accepts besides Match and Include, by lowercase name. */
export const SERVER_KEYWORDS: ReadonlyMap<string, ServerKeyword> = /* @__PURE__ */ build();
