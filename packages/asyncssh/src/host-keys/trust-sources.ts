/**
 * Where a client's host key trust comes from: AsyncSSH's `known_hosts` argument in every form
 * it takes (files, data, a parsed SSHKnownHosts, the seven trust lists, or a callable) and the
 * X.509 trust anchors (`x509_trusted_certs`, `x509_trusted_cert_paths`), with AsyncSSH's
 * defaults `~/.ssh/known_hosts`, `~/.ssh/ca-bundle.crt` and `~/.ssh/crt`.
 * @module
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { importKnownHosts, importX509CertificateList, KeyImportError, SSHKnownHosts, SSHX509Certificate, type SSHKey } from '@ssh/keys';

/**
 * The trust lists for one host (AsyncSSH's seven lists). `KnownHostsMatch` from @ssh/keys is one
 * of these; absent lists are empty.
 */
export interface HostTrustLists {
  readonly hostKeys?: readonly SSHKey[];
  readonly caKeys?: readonly SSHKey[];
  readonly revokedKeys?: readonly SSHKey[];
  /** X.509 certificates trusted for the host (end certificates or roots). */
  readonly x509Certs?: readonly SSHX509Certificate[];
  readonly revokedX509Certs?: readonly SSHX509Certificate[];
  /** X.509 subject-name patterns (PKIX-SSH syntax) trusted / revoked for the host. */
  readonly x509Subjects?: readonly string[];
  readonly revokedX509Subjects?: readonly string[];
}

/** A callable `knownHosts`: the trust lists for `host` (or its alias), its address and port. */
export type KnownHostsCallback = (host: string, addr: string | undefined, port: number) => HostTrustLists | Promise<HostTrustLists>;

/**
 * AsyncSSH's `known_hosts`: `null` disables host key checking; a file name or list of file
 * names; known_hosts data as bytes; a parsed {@link SSHKnownHosts}; the trust lists themselves;
 * or a callable returning them. Absent: `~/.ssh/known_hosts` when it is readable, else nothing
 * is trusted.
 */
export type KnownHostsOption = null | string | readonly string[] | Uint8Array | SSHKnownHosts | HostTrustLists | KnownHostsCallback;

/** AsyncSSH's `x509_trusted_certs`: `null` disables X.509 host certificates. */
export type X509TrustedCertsOption = null | string | Uint8Array | SSHX509Certificate | readonly (string | Uint8Array | SSHX509Certificate)[];

/** The seven trust lists, all present. */
export interface TrustLists {
  readonly hostKeys: readonly SSHKey[];
  readonly caKeys: readonly SSHKey[];
  readonly revokedKeys: readonly SSHKey[];
  readonly x509Certs: readonly SSHX509Certificate[];
  readonly revokedX509Certs: readonly SSHX509Certificate[];
  readonly x509Subjects: readonly string[];
  readonly revokedX509Subjects: readonly string[];
}

/** The trust lists for one connection and what they were read from. */
export interface ResolvedTrust extends TrustLists {
  /**
   * Off port 22, from known_hosts files: what the plain `host` (and address) entries say. As
   * OpenSSH does ("checking without port identifier"; AsyncSSH's SSHKnownHosts.match falls back
   * likewise), they are consulted for a plain key only when no `[host]:port` entry lists a key,
   * and for a certificate when none lists its CA.
   */
  readonly withoutPort: TrustLists | undefined;
  /** Human-readable notes on the sources ("~/.ssh/known_hosts does not exist", skipped lines...). */
  readonly notes: readonly string[];
}

function errno(cause: unknown): string | undefined {
  return typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
}

/** Reads a file the caller named; failures are a KeyImportError naming the file and what it holds. */
async function readNamed(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new KeyImportError(`cannot read ${what} file ${path}${errno(cause) ? ` (${errno(cause)})` : ''}`, { cause });
  }
}

/** Reads a default file; a missing or unreadable one is `undefined` (AsyncSSH skips it). */
async function readDefault(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return undefined;
  }
}

function skippedNote(kh: SSHKnownHosts, source: string): string[] {
  const n = kh.skippedLines.length;
  if (n === 0) return [];
  const shown = kh.skippedLines.slice(0, 5).join(', ');
  return [`${n} unreadable line${n === 1 ? '' : 's'} in ${source} skipped (line${n === 1 ? '' : 's'} ${shown}${n > 5 ? ', ...' : ''})`];
}

function isCallback(value: KnownHostsOption | undefined): value is KnownHostsCallback {
  return typeof value === 'function';
}

function isPathList(value: KnownHostsOption | undefined): value is readonly string[] {
  return Array.isArray(value);
}

function merge(parts: readonly HostTrustLists[]): TrustLists {
  const all = <T>(pick: (p: HostTrustLists) => readonly T[] | undefined): T[] => parts.flatMap((p) => [...(pick(p) ?? [])]);
  return {
    hostKeys: all((p) => p.hostKeys),
    caKeys: all((p) => p.caKeys),
    revokedKeys: all((p) => p.revokedKeys),
    x509Certs: all((p) => p.x509Certs),
    revokedX509Certs: all((p) => p.revokedX509Certs),
    x509Subjects: all((p) => p.x509Subjects),
    revokedX509Subjects: all((p) => p.revokedX509Subjects),
  };
}

/** Where to look up trust for one connection. */
export interface TrustQuery {
  /** The name known_hosts is searched for: the host key alias, else the host. */
  readonly name: string;
  readonly addr: string | undefined;
  readonly port: number;
  /**
   * `name` is a host key alias: entries for the address do not count (as OpenSSH; a callable
   * `knownHosts` still gets it).
   */
  readonly alias: boolean;
  readonly home: string;
}

/** The trust lists `knownHosts` gives for the query (the option must not be `null`). */
export async function resolveKnownHosts(knownHosts: Exclude<KnownHostsOption, null> | undefined, q: TrustQuery): Promise<ResolvedTrust> {
  if (isCallback(knownHosts)) return { ...merge([await knownHosts(q.name, q.addr, q.port)]), withoutPort: undefined, notes: ['asked the knownHosts callback'] };
  if (knownHosts !== undefined && !(knownHosts instanceof Uint8Array) && !(knownHosts instanceof SSHKnownHosts) && typeof knownHosts !== 'string' && !isPathList(knownHosts)) {
    return { ...merge([knownHosts]), withoutPort: undefined, notes: ['used the trust lists given as knownHosts'] };
  }
  const files: { readonly kh: SSHKnownHosts; readonly source: string }[] = [];
  const notes: string[] = [];
  const parse = (data: Uint8Array) => importKnownHosts(new TextDecoder().decode(data));
  if (knownHosts === undefined) {
    const path = join(q.home, '.ssh', 'known_hosts');
    const data = await readDefault(path);
    if (data === undefined) notes.push(`${path} does not exist or is not readable`);
    else files.push({ kh: parse(data), source: path });
  } else if (knownHosts instanceof Uint8Array) {
    files.push({ kh: parse(knownHosts), source: 'the known_hosts data given' });
  } else if (knownHosts instanceof SSHKnownHosts) {
    files.push({ kh: knownHosts, source: 'the SSHKnownHosts given' });
  } else {
    for (const path of typeof knownHosts === 'string' ? [knownHosts] : knownHosts) {
      files.push({ kh: parse(await readNamed(path, 'known_hosts')), source: path });
    }
  }
  for (const { kh, source } of files) notes.push(`searched ${source}`, ...skippedNote(kh, source));
  const addr = q.alias ? undefined : q.addr;
  const primary = merge(files.map(({ kh }) => kh.match(q.name, addr, q.port)));
  const withoutPort = q.port === 22 ? undefined : merge(files.map(({ kh }) => kh.match(q.name, addr)));
  return { ...primary, withoutPort, notes };
}

function certsFromData(data: Uint8Array, source: string): SSHX509Certificate[] {
  try {
    return importX509CertificateList(data);
  } catch (cause) {
    throw new KeyImportError(`no X.509 certificates could be read from ${source}`, { cause });
  }
}

/**
 * The X.509 trust anchors from `x509TrustedCerts` and `x509TrustedCertPaths`, or `null` when
 * X.509 host certificates are disabled. Directories are read whole: every file in them holding
 * PEM or DER certificates counts (OpenSSL's `<hash>.0` files included), others are ignored.
 */
export async function resolveX509Roots(
  certs: X509TrustedCertsOption | undefined,
  paths: readonly string[] | undefined,
  home: string,
): Promise<SSHX509Certificate[] | null> {
  if (certs === null) return null;
  const out: SSHX509Certificate[] = [];
  if (certs === undefined) {
    const data = await readDefault(join(home, '.ssh', 'ca-bundle.crt'));
    if (data !== undefined) {
      try {
        out.push(...importX509CertificateList(data));
      } catch {
        // AsyncSSH ignores an unusable default bundle.
      }
    }
  } else {
    const list: readonly (string | Uint8Array | SSHX509Certificate)[] = Array.isArray(certs) ? certs : [certs as string | Uint8Array | SSHX509Certificate];
    for (const item of list) {
      if (item instanceof SSHX509Certificate) out.push(item);
      else if (typeof item === 'string') out.push(...certsFromData(await readNamed(item, 'X.509 trusted certificates'), item));
      else out.push(...certsFromData(item, 'the X.509 certificate data given'));
    }
  }
  const dirs = paths ?? (await isDirectory(join(home, '.ssh', 'crt')) ? [join(home, '.ssh', 'crt')] : []);
  for (const dir of dirs) {
    let names: string[];
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
      names = await readdir(dir);
    } catch (cause) {
      throw new KeyImportError(`X.509 trusted certificate path ${dir} is not a readable directory`, { cause });
    }
    for (const name of names.sort()) {
      const data = await readDefault(join(dir, name));
      if (data === undefined) continue;
      try {
        out.push(...importX509CertificateList(data));
      } catch {
        // Not a certificate file: skipped, as OpenSSL's directory lookup never reads it either.
      }
    }
  }
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The home directory the defaults are looked up in. */
export function defaultHome(): string {
  return homedir();
}
