/**
 * Checks for the values of keywords this package recognises but does not interpret (BatchMode,
 * ControlMaster, LogLevel, PermitRootLogin, ...): OpenSSH 9.2 refuses a bad value of any of them
 * when it reads the file, so a file with one is refused here too. Each check keeps the
 * arguments as written (the setting's value stays its raw arguments).
 * @module
 */

import { BadArgument, type ConfigLine } from './document.ts';
import { a2port, cleanHostname, hpdelim, integer, list, single, singleNonEmpty, timeInterval, type ServiceLookup } from './values.ts';

export type RawCheck = (line: ConfigLine, services?: ServiceLookup) => readonly string[];

const raw = (line: ConfigLine): readonly string[] => [...line.args];

/** One argument from a table of words; `caseSensitive` for the few OpenSSH compares with strcmp. */
export function words(table: readonly string[], caseSensitive = false): RawCheck {
  const set = new Set(caseSensitive ? table : table.map((w) => w.toLowerCase()));
  return (line) => {
    const arg = single(line);
    if (!set.has(caseSensitive ? arg : arg.toLowerCase())) throw new BadArgument(`unsupported option "${arg}".`);
    return raw(line);
  };
}

const YES_NO = ['yes', 'no'];
/** ssh_config's flags: yes, no, true, false. */
export const clientFlag = words([...YES_NO, 'true', 'false']);
/** sshd_config's flags: yes and no only. */
export const serverFlag = words(YES_NO);

/** One non-empty argument (a path, a user name, a device name). */
export const oneString: RawCheck = (line) => (singleNonEmpty(line), raw(line));
/** One or more non-empty arguments. */
export const strings: RawCheck = (line) => (list(line), raw(line));

/** LogVerbose: patterns, or `none` alone. */
export const logVerbose: RawCheck = (line) => {
  const a = list(line);
  if (a.length > 1 && a.some((v) => v.toLowerCase() === 'none')) throw new BadArgument(`keyword ${line.keyword} "none" argument must appear alone.`);
  return raw(line);
};

/** An integer 0..INT_MAX (parse_int), optionally at least `min`. */
export function nonNegative(min = 0): RawCheck {
  return (line) => {
    const v = integer(single(line));
    if (v < min) throw new BadArgument(`integer value invalid: ${line.args[0] as string}`);
    return raw(line);
  };
}

/** A time interval, or `none` (exactly so) when `none` is allowed. */
export function time(noneAllowed: boolean): RawCheck {
  return (line) => {
    const arg = single(line);
    if (!(noneAllowed && arg === 'none')) timeInterval(arg);
    return raw(line);
  };
}

/** misc.c a2tun: `any` or 0..SSH_TUNID_MAX. */
function tunId(s: string): boolean {
  if (s.toLowerCase() === 'any') return true;
  try {
    return integer(s) <= 2147483645;
  } catch {
    return false;
  }
}

/** TunnelDevice: `local[:remote]`, each `any` or a number. */
export const tunnelDevice: RawCheck = (line) => {
  const arg = single(line);
  const colon = arg.indexOf(':');
  const ok = colon < 0 ? tunId(arg) : tunId(arg.slice(0, colon)) && tunId(arg.slice(colon + 1));
  if (!ok) throw new BadArgument('Bad tun device.');
  return raw(line);
};

/** StreamLocalBindMask: octal as strtol(…, 8) reads a prefix of it, at most 0777. */
export const bindMask: RawCheck = (line) => {
  const arg = single(line);
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-7]+)/.exec(arg);
  const v = m ? parseInt(m[2] as string, 8) * (m[1] === '-' ? -1 : 1) : NaN;
  if (!(v >= 0 && v <= 0o777)) throw new BadArgument(`Bad mask.`);
  return raw(line);
};

/** misc.c's ipqos table. */
const IPQOS_NAMES = new Set([
  'af11', 'af12', 'af13', 'af21', 'af22', 'af23', 'af31', 'af32', 'af33', 'af41', 'af42', 'af43',
  'cs0', 'cs1', 'cs2', 'cs3', 'cs4', 'cs5', 'cs6', 'cs7', 'ef', 'le', 'lowdelay', 'throughput', 'reliability', 'none',
]);

/** strtol(…, 0): decimal, 0x hexadecimal or 0 octal, the whole string. */
function cNumber(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const d = m[2] as string;
  const v = /^0[xX]/.test(d) ? parseInt(d.slice(2), 16) : d.startsWith('0') ? parseInt(d, 8) : parseInt(d, 10);
  return m[1] === '-' ? -v : v;
}

/** IPQoS: one or two DSCP names or numbers 0..255. */
export const ipqos: RawCheck = (line) => {
  const a = line.args;
  if (a.length === 0) throw new BadArgument(`missing argument for ${line.keyword}`);
  if (a.length > 2) throw new BadArgument(`keyword ${line.keyword} extra arguments at end of line`);
  for (const q of a) {
    const n = cNumber(q);
    if (!IPQOS_NAMES.has(q.toLowerCase()) && !(n !== undefined && n >= 0 && n <= 255)) throw new BadArgument(`Bad IPQoS value: ${q}`);
  }
  return raw(line);
};

/** log.c's level names. */
export const logLevel = words(['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3']);
/** log.c's facility names. */
export const syslogFacility = words(['DAEMON', 'USER', 'AUTH', 'AUTHPRIV', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7']);
/** FingerprintHash: the digests ssh_digest_alg_by_name knows. */
export const fingerprintHash = words(['md5', 'sha1', 'sha256', 'sha384', 'sha512']);

/** Debian's GSS-API key exchange families (kex_gss_names_valid); a list as ciphers_valid reads it. */
const GSS_KEX = new Set(['gss-gex-sha1-', 'gss-group1-sha1-', 'gss-group14-sha1-', 'gss-group14-sha256-', 'gss-group16-sha512-', 'gss-nistp256-sha256-', 'gss-curve25519-sha256-']);
export const gssKexAlgorithms: RawCheck = (line) => {
  const arg = single(line);
  if (arg === '') throw new BadArgument(`Bad GSSAPI KexAlgorithms '${arg}'.`);
  for (const e of arg.split(',')) {
    if (e === '') break;
    if (!GSS_KEX.has(e)) throw new BadArgument(`Bad GSSAPI KexAlgorithms '${arg}'.`);
  }
  return raw(line);
};

/** AddKeysToAgent: yes/no/ask/confirm, `confirm <time>`, or a time (a key lifetime). */
export const addKeysToAgent: RawCheck = (line) => {
  const [a, b, ...extra] = line.args;
  if (a === undefined) throw new BadArgument(`missing argument for ${line.keyword}`);
  if (extra.length > 0) throw new BadArgument(`keyword ${line.keyword} extra arguments at end of line`);
  const word = ['yes', 'true', 'no', 'false', 'ask', 'confirm'].includes(a.toLowerCase()) ? a.toLowerCase() : undefined;
  if (word === 'confirm' && b !== undefined) {
    timeInterval(b);
  } else if (word === undefined && b === undefined) {
    try {
      timeInterval(a);
    } catch {
      throw new BadArgument('unsupported option');
    }
  } else if (word === undefined || b !== undefined) throw new BadArgument('unsupported option');
  return raw(line);
};

/** ControlPersist: yes/no/true/false (lower case only) or a time. */
export const controlPersist: RawCheck = (line) => {
  const arg = single(line);
  if (!['yes', 'no', 'true', 'false'].includes(arg)) {
    try {
      timeInterval(arg);
    } catch {
      throw new BadArgument('Bad ControlPersist argument.');
    }
  }
  return raw(line);
};

/** EscapeChar: one byte, `^` and one byte, or `none`. */
export const escapeChar: RawCheck = (line) => {
  const arg = single(line);
  const bytes = new TextEncoder().encode(arg).length;
  if (!(bytes === 1 || (bytes === 2 && arg.startsWith('^')) || arg === 'none')) throw new BadArgument('Bad escape character.');
  return raw(line);
};

/**
 * PermitRemoteOpen (ssh) and PermitOpen (sshd): `any` or `none` alone, else `host:port` entries
 * whose port is `*` or 1-65535 (or a service name). `portOnly` (sshd's PermitListen) lets an
 * entry be a port alone. The entries are kept as written, as ssh -G and sshd -T print them.
 */
export function permitList(portOnly: boolean, anyNoneCaseSensitive: boolean): RawCheck {
  return (line, services) => {
    const a = list(line);
    for (const arg of a) {
      const word = anyNoneCaseSensitive ? arg : arg.toLowerCase();
      if (word === 'any' || word === 'none') {
        if (a.length > 1) throw new BadArgument(`keyword ${line.keyword} "${arg}" argument must appear alone.`);
        continue;
      }
      // A listen spec without a colon is a port alone (sshd makes it `*:port`).
      // hpdelim2 also splits at `/`, which names no port here ("missing host").
      const portAlone = portOnly && !arg.includes(':');
      const d = portAlone ? undefined : hpdelim(arg);
      const port = portAlone ? arg : d?.delim === ':' ? d.rest : undefined;
      if (port === undefined || (port !== '*' && a2port(port, services) <= 0)) throw new BadArgument(`bad port number in ${line.keyword}`);
    }
    return raw(line);
  };
}

/** SetEnv: NAME=VALUE entries. */
export const setEnv: RawCheck = (line) => {
  for (const v of list(line, true)) if (!v.includes('=')) throw new BadArgument('Invalid environment.');
  return raw(line);
};

/** AcceptEnv: names (patterns), none with `=`. */
export const acceptEnv: RawCheck = (line) => {
  for (const v of list(line)) if (v.includes('=')) throw new BadArgument('Invalid environment name.');
  return raw(line);
};

/** PubkeyAuthOptions: none, touch-required, verify-required. */
export const pubkeyAuthOptions: RawCheck = (line) => {
  for (const v of list(line)) if (!['none', 'touch-required', 'verify-required'].includes(v.toLowerCase())) throw new BadArgument(`unsupported option "${v}".`);
  return raw(line);
};

/** auth2.c's method names (Debian adds gssapi-keyex); a method may carry `:submethod`, unchecked. */
const AUTH_METHODS = new Set(['none', 'publickey', 'password', 'keyboard-interactive', 'hostbased', 'gssapi-with-mic', 'gssapi-keyex']);

/** The method names of one AuthenticationMethods list (`a,b:sub`), undefined when one is unknown. */
export function authMethodNames(list: string): string[] | undefined {
  if (list === '') return undefined;
  const names = list.split(',').map((m) => m.split(':')[0] as string);
  return names.every((n) => AUTH_METHODS.has(n)) ? names : undefined;
}

/**
 * AuthenticationMethods: `any`, or lists of comma-separated methods. `any` followed by anything
 * is refused here; the rest of what sshd refuses depends on the other lines (server.ts).
 */
export const authenticationMethods: RawCheck = (line) => {
  const a = line.args;
  if (a.length === 0) throw new BadArgument(`no ${line.keyword} specified`);
  let sawAny = false;
  for (const arg of a) {
    if (arg === 'any' || sawAny) {
      if (sawAny) throw new BadArgument(`"any" must appear alone in ${line.keywordAsWritten}`);
      sawAny = true;
    } else if (authMethodNames(arg) === undefined) {
      throw new BadArgument(`invalid ${line.keywordAsWritten} method list.`);
    }
  }
  return raw(line);
};

/**
 * AuthorizedKeysCommand and AuthorizedPrincipalsCommand: the rest of the line verbatim (comments
 * and quotes included, as sshd keeps it), which must start with `/` or be `none`.
 */
export const commandLine: RawCheck = (line) => {
  if (!line.rest.startsWith('/') && line.rest.toLowerCase() !== 'none') throw new BadArgument(`${line.keywordAsWritten} must be an absolute path`);
  return [line.rest];
};

/** ChannelTimeout: `type=interval` entries (any type name), or `none`, which nothing may follow. */
export const channelTimeout: RawCheck = (line) => {
  const a = list(line, true);
  a.forEach((arg, i) => {
    if (arg.toLowerCase() === 'none') {
      if (i < a.length - 1) throw new BadArgument(`keyword ${line.keywordAsWritten} "none" argument must appear alone.`);
      return;
    }
    const eq = arg.indexOf('=');
    let ok = eq > 0;
    if (ok) {
      try {
        timeInterval(arg.slice(eq + 1));
      } catch {
        ok = false;
      }
    }
    if (!ok) throw new BadArgument(`invalid channel timeout ${arg}`);
  });
  return raw(line);
};

/** ListenAddress: `host[:port]`, `[v6addr][:port]` or a bare IPv6 address, then `rdomain <name>`, which this sshd refuses. */
export const listenAddress: RawCheck = (line, services) => {
  const [addr, ...more] = line.args;
  if (addr === undefined || addr === '') throw new BadArgument('missing address');
  let host = addr;
  const firstColon = addr.indexOf(':');
  if (addr.includes('[') || firstColon < 0 || !addr.includes(':', firstColon + 1)) {
    const d = hpdelim(addr);
    if (d === undefined || d.delim === '/') throw new BadArgument('bad address:port usage');
    host = cleanHostname(d.host);
    if (d.delim === ':' && a2port(d.rest, services) <= 0) throw new BadArgument('bad port number');
  }
  if (more.length > 0) {
    if (more[0] !== 'rdomain' || more.length < 2) throw new BadArgument(`bad ${line.keywordAsWritten} syntax`);
    throw new BadArgument('bad routing domain');
  }
  // getaddrinfo finds nothing for an empty name (other names are not looked up here).
  if (host === '') throw new BadArgument('bad addr or host: ');
  return raw(line);
};

/**
 * The `%d` conversions of sscanf with literal `:` between them: how many were read and their
 * values (strtol clamps to the 64-bit range, then the value is cut to an int, as glibc does).
 */
function scanInts(s: string, max: number): number[] {
  const out: number[] = [];
  let i = 0;
  const num = /[ \t\n\v\f\r]*([+-]?)(\d+)/y;
  while (out.length < max) {
    if (out.length > 0) {
      if (s[i] !== ':') break;
      i++;
    }
    num.lastIndex = i;
    const m = num.exec(s);
    if (!m) break;
    i = num.lastIndex;
    let v = BigInt(m[2] as string);
    if (m[1] === '-') v = -v;
    const LONG_MAX = 2n ** 63n - 1n;
    if (v > LONG_MAX) v = LONG_MAX;
    if (v < -LONG_MAX - 1n) v = -LONG_MAX - 1n;
    out.push(Number(BigInt.asIntN(32, v)));
  }
  return out;
}

/** A MaxStartups line: `rate` is absent when the line gives `start` alone (see server.ts). */
export interface MaxStartupsLine {
  readonly start: number;
  readonly rate?: number;
  readonly full: number;
}

/**
 * MaxStartups: `start` or `start:rate:full` (rate 1-100, start at most full), as sshd's sscanf
 * reads it (text after what it reads is ignored); `start` alone makes full the same.
 */
export function maxStartups(line: ConfigLine): MaxStartupsLine {
  const arg = single(line);
  if (arg === '') throw new BadArgument(`${line.keywordAsWritten} missing argument.`);
  const v = scanInts(arg, 3);
  const [start = 0, rate = 0, full = start] = v;
  const bad = v.length === 3 ? start > full || rate > 100 || rate < 1 : v.length !== 1;
  if (bad || full <= 0 || start <= 0) throw new BadArgument(`Invalid ${line.keywordAsWritten} spec.`);
  return v.length === 3 ? { start, rate, full } : { start, full };
}

/** PerSourceNetBlockSize: `ipv4[:ipv6]` prefix lengths (0-32, 0-128), as sshd's sscanf reads them. */
export const perSourceNetBlockSize: RawCheck = (line) => {
  const arg = single(line);
  if (arg === '') throw new BadArgument(`${line.keywordAsWritten} missing argument.`);
  const [v4, v6 = 0, ...extra] = scanInts(arg, 2);
  if (v4 === undefined || extra.length > 0 || v4 < 0 || v4 > 32 || v6 < 0 || v6 > 128) throw new BadArgument(`Invalid ${line.keywordAsWritten} spec.`);
  return raw(line);
};
