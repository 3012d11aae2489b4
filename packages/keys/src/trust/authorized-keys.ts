/**
 * authorized_keys files (sshd(8) AUTHORIZED_KEYS FILE FORMAT) with every option OpenSSH
 * documents, typed, and the checks sshd makes before accepting a key.
 * @module
 */

import { keyTypeOfCert } from '../certificate.ts';
import { KeyImportError } from '../errors.ts';
import { parseOpensshPublicLine } from '../formats/public.ts';
import { decodePublicBlob } from '../import.ts';
import { familyForKeyType } from '../algs/index.ts';
import { SSHKey } from '../key.ts';
import { firstWord, parseOptions, parseTimespec, type RawOption } from './options.ts';
import { matchHostAndIp } from '@ssh/wire';
import { parseX509Entry, type X509Entry } from './x509-entry.ts';
import type { SSHX509Certificate } from '../x509/certificate.ts';
import { matchSubject } from '../x509/name.ts';
import { equalBytes } from '../internal/bytes.ts';

/** The options of one authorized_keys line, typed. Flags are the effective permissions. */
export interface AuthorizedKeyOptions {
  readonly certAuthority: boolean;
  readonly command: string | undefined;
  /** NAME=value strings, in order. */
  readonly environment: readonly string[];
  /** Epoch seconds after which the key is refused. */
  readonly expiryTime: bigint | undefined;
  /** from= patterns (host names, addresses, CIDR ranges, `!` negation). */
  readonly from: readonly string[] | undefined;
  readonly permitOpen: readonly string[];
  readonly permitListen: readonly string[];
  /** principals= for cert-authority lines: the names sshd honours (up to the first empty entry). */
  readonly principals: readonly string[] | undefined;
  /** tunnel= device number (undefined for tunnel="any"). */
  readonly tunnel: number | undefined;
  readonly restrict: boolean;
  readonly noTouchRequired: boolean;
  readonly verifyRequired: boolean;
  readonly agentForwarding: boolean;
  readonly portForwarding: boolean;
  readonly pty: boolean;
  readonly userRc: boolean;
  readonly x11Forwarding: boolean;
  /** Every option as written, in order. */
  readonly raw: readonly RawOption[];
}

export interface AuthorizedKeyEntry {
  /** The key (for X.509 certificate entries, the certificate's key; undefined for subject entries). */
  readonly key: SSHKey | undefined;
  /** X.509 entries: a certificate or a subject-name pattern. */
  readonly x509: X509Entry | undefined;
  readonly options: AuthorizedKeyOptions;
  readonly line: number;
}

const FLAG_OPTIONS = new Set([
  'agent-forwarding', 'no-agent-forwarding', 'port-forwarding', 'no-port-forwarding', 'pty', 'no-pty',
  'user-rc', 'no-user-rc', 'x11-forwarding', 'no-x11-forwarding', 'restrict', 'cert-authority',
  'touch-required', 'no-touch-required', 'verify-required', 'no-verify-required',
]);
const VALUE_OPTIONS = new Set(['command', 'environment', 'expiry-time', 'from', 'permitopen', 'permitlisten', 'principals', 'tunnel']);
/** Options sshd allows once per line. */
const SINGLE_OPTIONS = new Set(['command', 'from', 'principals']);

/** sshd takes no more permitopen= (or permitlisten=) options on a line than this, plus one. */
const MAX_PERMITS = 4096;

/**
 * One permitopen= / permitlisten= value, checked as sshd checks it: a single `host:port` (the
 * host may be `[bracketed]`, and `/` may stand for the colon), the port 1-65535 or `*`;
 * permitlisten also takes a bare port. The value is kept as written.
 */
function addPermit(list: string[], value: string, name: string): void {
  if (list.length > MAX_PERMITS) throw new KeyImportError(`too many ${name}= options`);
  const spec = name === 'permitlisten' && !value.includes(':') ? `*:${value}` : value;
  let end: number;
  if (spec.startsWith('[')) {
    end = spec.indexOf(']') + 1;
    if (end === 0) throw new KeyImportError(`bad ${name} host in ${JSON.stringify(value)}`);
  } else {
    end = spec.search(/[:/]/);
    if (end < 0) end = spec.length;
  }
  const delim = spec[end];
  if (delim !== ':' && delim !== '/') throw new KeyImportError(`${name} ${JSON.stringify(value)} has no port`);
  if (end >= 1025) throw new KeyImportError(`bad ${name} host in ${JSON.stringify(value)}`);
  const port = spec.slice(end + 1);
  if (port !== '*' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new KeyImportError(`bad ${name} port in ${JSON.stringify(value)}`);
  }
  list.push(value);
}

/** Types the raw options of a line; KeyImportError on unknown options or bad values. */
export function typeAuthorizedKeyOptions(raw: readonly RawOption[]): AuthorizedKeyOptions {
  const perms = { agentForwarding: true, portForwarding: true, pty: true, userRc: true, x11Forwarding: true };
  let noTouchRequired = false;
  let verifyRequired = false;
  let command: string | undefined;
  let expiryTime: bigint | undefined;
  let from: string[] | undefined;
  let principals: string[] | undefined;
  let tunnel: number | undefined;
  const environment: string[] = [];
  const permitOpen: string[] = [];
  const permitListen: string[] = [];
  const flags = new Set<string>();
  const seen = new Set<string>();
  const envNames = new Set<string>();
  for (const [name, value] of raw) {
    if (FLAG_OPTIONS.has(name)) {
      if (value !== true) throw new KeyImportError(`option ${name} takes no value`);
      flags.add(name);
      switch (name) {
        case 'restrict':
          perms.agentForwarding = perms.portForwarding = perms.pty = perms.userRc = perms.x11Forwarding = false;
          break;
        case 'agent-forwarding':
        case 'no-agent-forwarding':
          perms.agentForwarding = !name.startsWith('no-');
          break;
        case 'port-forwarding':
        case 'no-port-forwarding':
          perms.portForwarding = !name.startsWith('no-');
          break;
        case 'pty':
        case 'no-pty':
          perms.pty = !name.startsWith('no-');
          break;
        case 'user-rc':
        case 'no-user-rc':
          perms.userRc = !name.startsWith('no-');
          break;
        case 'x11-forwarding':
        case 'no-x11-forwarding':
          perms.x11Forwarding = !name.startsWith('no-');
          break;
        case 'touch-required':
        case 'no-touch-required':
          noTouchRequired = name.startsWith('no-');
          break;
        case 'verify-required':
        case 'no-verify-required':
          verifyRequired = !name.startsWith('no-');
          break;
        default:
          break;
      }
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) throw new KeyImportError(`unknown option ${JSON.stringify(name)}`);
    if (value === true) throw new KeyImportError(`option ${name} needs a value`);
    // As sshd: a second command=, from= or principals= makes the line invalid.
    if (SINGLE_OPTIONS.has(name)) {
      if (seen.has(name)) throw new KeyImportError(`more than one ${name}= option`);
      seen.add(name);
    }
    switch (name) {
      case 'command':
        command = value;
        break;
      case 'environment': {
        // sshd: a name of letters, digits and underscores, then '='; the first value of a name holds.
        const envName = /^([A-Za-z0-9_]+)=/.exec(value)?.[1];
        if (envName === undefined) throw new KeyImportError(`bad environment ${JSON.stringify(value)}`);
        if (!envNames.has(envName)) {
          envNames.add(envName);
          environment.push(value);
        }
        break;
      }
      case 'expiry-time': {
        // sshd keeps the earliest of several.
        const t = parseTimespec(value);
        if (expiryTime === undefined || t < expiryTime) expiryTime = t;
        break;
      }
      case 'from':
        from = value.split(',');
        break;
      case 'permitopen':
        addPermit(permitOpen, value, name);
        break;
      case 'permitlisten':
        addPermit(permitListen, value, name);
        break;
      case 'principals': {
        // sshd matches these with match_list, which reads a list only up to its first empty entry:
        // principals="a,,b" allows a alone, principals="" or ",b" no one.
        const all = value.split(',');
        const empty = all.indexOf('');
        principals = empty < 0 ? all : all.slice(0, empty);
        break;
      }
      case 'tunnel':
        // sshd: a device number up to 2147483645, or "any" (no particular device: left undefined).
        if (value.toLowerCase() === 'any') tunnel = undefined;
        else if (/^\d{1,10}$/.test(value) && Number(value) <= 2147483645) tunnel = Number(value);
        else throw new KeyImportError(`bad tunnel ${JSON.stringify(value)}`);
        break;
      default:
        break;
    }
  }
  return {
    certAuthority: flags.has('cert-authority'),
    command,
    environment,
    expiryTime,
    from,
    permitOpen,
    permitListen,
    principals,
    tunnel,
    restrict: flags.has('restrict'),
    noTouchRequired,
    verifyRequired,
    ...perms,
    raw,
  };
}

function isKeyType(word: string): boolean {
  return familyForKeyType(word) !== undefined || keyTypeOfCert(word) !== undefined || word.startsWith('x509v3-');
}

/** One authorized_keys line. */
export function parseAuthorizedKeyLine(line: string, lineNumber = 1): AuthorizedKeyEntry {
  const [first] = firstWord(line);
  let raw: RawOption[] = [];
  let keyText = line.trim();
  if (!isKeyType(first)) {
    const parsed = parseOptions(keyText, true);
    raw = parsed.options;
    keyText = parsed.rest;
  }
  const x509 = parseX509Entry(keyText);
  if (x509) return { key: x509.kind === 'cert' ? x509.cert.key : undefined, x509, options: typeAuthorizedKeyOptions(raw), line: lineNumber };
  const parsed = parseOpensshPublicLine(keyText);
  if (!parsed) throw new KeyImportError('bad key in authorized_keys line');
  return { key: new SSHKey(decodePublicBlob(parsed.blob), parsed.comment), x509: undefined, options: typeAuthorizedKeyOptions(raw), line: lineNumber };
}

export interface AuthorizedKeyContext {
  readonly clientHost?: string;
  readonly clientAddr?: string;
  /** Principals of the certificate presented (for cert-authority lines); none: it names no one. */
  readonly certPrincipals?: readonly string[];
  /** The user name, used when a CA line has no principals= option. */
  readonly user?: string;
  /** Epoch seconds (default now). */
  readonly now?: number;
}

export class SSHAuthorizedKeys {
  readonly entries: readonly AuthorizedKeyEntry[];
  readonly skippedLines: readonly number[];

  constructor(entries: readonly AuthorizedKeyEntry[], skippedLines: readonly number[] = []) {
    this.entries = entries;
    this.skippedLines = skippedLines;
  }

  /**
   * The options of the first line that accepts `key` (or, with `ca`, the first cert-authority
   * line for CA key `key`) for this client, or undefined. Checks from=, expiry-time= and, for
   * CAs, the certificate's principals: one listed in principals=, else the user (a certificate
   * naming no one passes a line without principals=, as in sshd and AsyncSSH).
   */
  validate(key: SSHKey, context: AuthorizedKeyContext = {}, ca = false): AuthorizedKeyOptions | undefined {
    const now = BigInt(Math.floor(context.now ?? Date.now() / 1000));
    for (const entry of this.entries) {
      const o = entry.options;
      if (entry.x509 || !entry.key || o.certAuthority !== ca || !entry.key.equals(key)) continue;
      if (!this.clientAllowed(o, context, now)) continue;
      if (ca && !this.principalsAllowed(o, context)) continue;
      return o;
    }
    return undefined;
  }

  /**
   * A cert-authority line's principal check, as sshd makes it for authorized_keys (require_principal
   * off) and as AsyncSSH does: with principals=, the certificate must name one of them; without it,
   * a certificate that names anyone must name the user, and one naming no one passes. This file is
   * the user's own, so its CA vouches for this account alone. (sshd's TrustedUserCAKeys trusts a CA
   * for every account, and so refuses a certificate naming no one; that is not this check.)
   */
  private principalsAllowed(o: AuthorizedKeyOptions, context: AuthorizedKeyContext): boolean {
    const named = context.certPrincipals ?? [];
    if (o.principals !== undefined) return named.some((p) => o.principals?.includes(p));
    return named.length === 0 || (context.user !== undefined && named.includes(context.user));
  }

  private clientAllowed(o: AuthorizedKeyOptions, context: AuthorizedKeyContext, now: bigint): boolean {
    // As sshd: a `from=` list allows only a client whose address is known and listed.
    if (o.from && (context.clientAddr === undefined || matchHostAndIp(context.clientHost, context.clientAddr, o.from) !== 1)) return false;
    return o.expiryTime === undefined || now <= o.expiryTime;
  }

  /**
   * The options of the first non-CA X.509 line that accepts end certificate `cert` (the same
   * certificate, or a matching `Subject:` pattern) for this client, or undefined. The chain
   * itself is checked with `verifyX509Chain` against `x509Roots()`.
   */
  validateX509(cert: SSHX509Certificate, context: AuthorizedKeyContext = {}): AuthorizedKeyOptions | undefined {
    const now = BigInt(Math.floor(context.now ?? Date.now() / 1000));
    for (const entry of this.entries) {
      const x = entry.x509;
      if (!x || entry.options.certAuthority) continue;
      const hit = x.kind === 'cert' ? equalBytes(x.cert.data, cert.data) : matchSubject(x.subject, cert.subject);
      if (hit && this.clientAllowed(entry.options, context, now)) return entry.options;
    }
    return undefined;
  }

  /** X.509 certificates of cert-authority lines that allow this client: the roots to trust. */
  x509Roots(context: AuthorizedKeyContext = {}): SSHX509Certificate[] {
    const now = BigInt(Math.floor(context.now ?? Date.now() / 1000));
    return this.entries
      .filter((e) => e.options.certAuthority && e.x509?.kind === 'cert' && this.clientAllowed(e.options, context, now))
      .map((e) => (e.x509 as { cert: SSHX509Certificate }).cert);
  }
}

/** Parses an authorized_keys file. Unreadable lines are skipped and listed in `skippedLines`. */
export function importAuthorizedKeys(text: string): SSHAuthorizedKeys {
  const entries: AuthorizedKeyEntry[] = [];
  const skipped: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      entries.push(parseAuthorizedKeyLine(line, i + 1));
    } catch {
      skipped.push(i + 1);
    }
  });
  return new SSHAuthorizedKeys(entries, skipped);
}
