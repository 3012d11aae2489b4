/**
 * known_hosts files (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT): plain and hashed (`|1|salt|hash`)
 * host patterns with wildcards and negation, `[host]:port`, and the @cert-authority and
 * @revoked markers.
 * @module
 */

import { createHmac, randomBytes } from 'node:crypto';
import { KeyImportError } from '../errors.ts';
import { parseOpensshPublicLine } from '../formats/public.ts';
import { decodePublicBlob } from '../import.ts';
import { equalBytes, fromBase64, toBase64 } from '../internal/bytes.ts';
import { SSHKey } from '../key.ts';
import type { SSHX509Certificate } from '../x509/certificate.ts';
import { firstWord } from './options.ts';
import { parseX509Entry, type X509Entry } from './x509-entry.ts';
import { matchHostname } from '@ssh/wire';

export type KnownHostsMarker = 'cert-authority' | 'revoked';

export interface KnownHostsEntry {
  readonly marker: KnownHostsMarker | undefined;
  /** Host patterns (plain entries). */
  readonly patterns: readonly string[];
  /** Salt and HMAC-SHA1 (hashed entries). */
  readonly hashed: { readonly salt: Uint8Array; readonly hash: Uint8Array } | undefined;
  /** The key (for X.509 certificate entries, the certificate's key; undefined for subject entries). */
  readonly key: SSHKey | undefined;
  /** X.509 entries: the trusted (or revoked) certificate, or a subject-name pattern. */
  readonly x509: X509Entry | undefined;
  /** 1-based line number. */
  readonly line: number;
}

/** What a known_hosts file says about one host. */
export interface KnownHostsMatch {
  readonly hostKeys: SSHKey[];
  readonly caKeys: SSHKey[];
  readonly revokedKeys: SSHKey[];
  /** X.509 host certificates (and, with @cert-authority, X.509 roots) trusted for the host. */
  readonly x509Certs: SSHX509Certificate[];
  readonly revokedX509Certs: SSHX509Certificate[];
  /** Subject-name patterns trusted / revoked for the host. */
  readonly x509Subjects: string[];
  readonly revokedX509Subjects: string[];
}

/** The name looked up for `host` on `port`: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port?: number): string {
  return port === undefined || port === 22 ? host : `[${host}]:${port}`;
}

/** A hashed host entry (`ssh-keygen -H` style) for `host`, with a fresh or given salt. */
export function hashHostname(host: string, port?: number, salt: Uint8Array = new Uint8Array(randomBytes(20))): string {
  const mac = createHmac('sha1', salt).update(knownHostsName(host, port)).digest();
  return `|1|${toBase64(salt)}|${toBase64(new Uint8Array(mac))}`;
}

function parseHashed(field: string): { salt: Uint8Array; hash: Uint8Array } | undefined {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return undefined;
  const salt = fromBase64(parts[2] as string);
  const hash = fromBase64(parts[3] as string);
  if (!salt || !hash || salt.length === 0 || hash.length !== 20) return undefined;
  return { salt, hash };
}

export class SSHKnownHosts {
  readonly entries: readonly KnownHostsEntry[];
  /** Line numbers of lines that were skipped as unreadable (as OpenSSH skips them). */
  readonly skippedLines: readonly number[];

  constructor(entries: readonly KnownHostsEntry[], skippedLines: readonly number[] = []) {
    this.entries = entries;
    this.skippedLines = skippedLines;
  }

  private entryMatches(entry: KnownHostsEntry, names: readonly string[]): boolean {
    if (entry.hashed) {
      const { salt, hash } = entry.hashed;
      return names.some((n) => equalBytes(new Uint8Array(createHmac('sha1', salt).update(n).digest()), hash));
    }
    let positive = false;
    for (const name of names) {
      const m = matchHostname(name, entry.patterns);
      if (m === -1) return false;
      if (m === 1) positive = true;
    }
    return positive;
  }

  /** Keys for `host` (and/or its address `addr`) on `port`. */
  match(host: string | undefined, addr?: string, port?: number): KnownHostsMatch {
    const names = [host, addr].filter((n): n is string => n !== undefined && n !== '').map((n) => knownHostsName(n, port));
    const result: KnownHostsMatch = { hostKeys: [], caKeys: [], revokedKeys: [], x509Certs: [], revokedX509Certs: [], x509Subjects: [], revokedX509Subjects: [] };
    for (const entry of this.entries) {
      if (!this.entryMatches(entry, names)) continue;
      const revoked = entry.marker === 'revoked';
      if (entry.x509?.kind === 'subject') {
        (revoked ? result.revokedX509Subjects : result.x509Subjects).push(entry.x509.subject);
      } else if (entry.x509?.kind === 'cert') {
        (revoked ? result.revokedX509Certs : result.x509Certs).push(entry.x509.cert);
      } else if (entry.key) {
        if (revoked) result.revokedKeys.push(entry.key);
        else if (entry.marker === 'cert-authority') result.caKeys.push(entry.key);
        else result.hostKeys.push(entry.key);
      }
    }
    return result;
  }
}

/** Parses a known_hosts file. Unreadable lines are skipped and listed in `skippedLines`. */
export function importKnownHosts(text: string): SSHKnownHosts {
  const entries: KnownHostsEntry[] = [];
  const skipped: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      entries.push(parseKnownHostsLine(line, index + 1));
    } catch {
      skipped.push(index + 1);
    }
  });
  return new SSHKnownHosts(entries, skipped);
}

/** One known_hosts line. */
export function parseKnownHostsLine(line: string, lineNumber = 1): KnownHostsEntry {
  let [first, rest] = firstWord(line);
  let marker: KnownHostsMarker | undefined;
  if (first.startsWith('@')) {
    if (first !== '@cert-authority' && first !== '@revoked') throw new KeyImportError(`unknown marker ${first}`);
    marker = first.slice(1) as KnownHostsMarker;
    [first, rest] = firstWord(rest);
  }
  if (first === '') throw new KeyImportError('missing host patterns');
  const hashed = first.startsWith('|') ? parseHashed(first) : undefined;
  if (first.startsWith('|') && !hashed) throw new KeyImportError('bad hashed host entry');
  const patterns = hashed ? [] : first.split(',');
  const x509 = parseX509Entry(rest);
  if (x509) return { marker, patterns, hashed, key: x509.kind === 'cert' ? x509.cert.key : undefined, x509, line: lineNumber };
  const parsed = parseOpensshPublicLine(rest);
  if (!parsed) throw new KeyImportError('bad key in known_hosts line');
  const key = new SSHKey(decodePublicBlob(parsed.blob), parsed.comment);
  return { marker, patterns, hashed, key, x509: undefined, line: lineNumber };
}

/**
 * AsyncSSH's match_known_hosts: the keys `knownHosts` lists for `host` / `addr` / `port`. As
 * AsyncSSH documents, when a port other than 22 finds no trusted key, certificate or subject,
 * the lookup is made again without the port; keys revoked for the port stay revoked.
 */
export function matchKnownHosts(knownHosts: SSHKnownHosts | string, host: string | undefined, addr?: string, port?: number): KnownHostsMatch {
  const kh = typeof knownHosts === 'string' ? importKnownHosts(knownHosts) : knownHosts;
  const withPort = kh.match(host, addr, port);
  if (port === undefined || port === 22) return withPort;
  if (withPort.hostKeys.length + withPort.caKeys.length + withPort.x509Certs.length + withPort.x509Subjects.length > 0) return withPort;
  const bare = kh.match(host, addr);
  return {
    ...bare,
    revokedKeys: [...withPort.revokedKeys, ...bare.revokedKeys],
    revokedX509Certs: [...withPort.revokedX509Certs, ...bare.revokedX509Certs],
    revokedX509Subjects: [...withPort.revokedX509Subjects, ...bare.revokedX509Subjects],
  };
}
