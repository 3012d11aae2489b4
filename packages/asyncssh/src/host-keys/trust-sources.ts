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

/** The trust lists for one connection, all present, and what they were read from. */
export interface ResolvedTrust {
  readonly hostKeys: readonly SSHKey[];
  readonly caKeys: readonly SSHKey[];
  readonly revokedKeys: readonly SSHKey[];
  readonly x509Certs: readonly SSHX509Certificate[];
  readonly revokedX509Certs: readonly SSHX509Certificate[];
  readonly x509Subjects: readonly string[];
  readonly revokedX509Subjects: readonly string[];
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

function isCallback(value: KnownHostsOption): value is KnownHostsCallback {
  return typeof value === 'function';
}

function isPathList(value: KnownHostsOption): value is readonly string[] {
  return Array.isArray(value);
}

const EMPTY: Omit<ResolvedTrust, 'notes'> = {
  hostKeys: [],
  caKeys: [],
  revokedKeys: [],
  x509Certs: [],
  revokedX509Certs: [],
  x509Subjects: [],
  revokedX509Subjects: [],
};

function merge(parts: readonly HostTrustLists[], notes: readonly string[]): ResolvedTrust {
  const all = <T>(pick: (p: HostTrustLists) => readonly T[] | undefined): T[] => parts.flatMap((p) => [...(pick(p) ?? [])]);
  return {
    hostKeys: all((p) => p.hostKeys),
    caKeys: all((p) => p.caKeys),
    revokedKeys: all((p) => p.revokedKeys),
    x509Certs: all((p) => p.x509Certs),
    revokedX509Certs: all((p) => p.revokedX509Certs),
    x509Subjects: all((p) => p.x509Subjects),
    revokedX509Subjects: all((p) => p.revokedX509Subjects),
    notes,
  };
}

/** Where to look up trust for one connection. */
export interface TrustQuery {
  /** The name known_hosts is searched for: the host key alias, else the host. */
  readonly name: string;
  readonly addr: string | undefined;
  readonly port: number;
  readonly home: string;
}

/** The trust lists `knownHosts` gives for the query (the option must not be `null`). */
export async function resolveKnownHosts(knownHosts: Exclude<KnownHostsOption, null> | undefined, q: TrustQuery): Promise<ResolvedTrust> {
  const match = (kh: SSHKnownHosts) => kh.match(q.name, q.addr, q.port);
  if (knownHosts === undefined) {
    const path = join(q.home, '.ssh', 'known_hosts');
    const data = await readDefault(path);
    if (data === undefined) return { ...EMPTY, notes: [`${path} does not exist or is not readable`] };
    const kh = importKnownHosts(new TextDecoder().decode(data));
    return merge([match(kh)], [`searched ${path}`, ...skippedNote(kh, path)]);
  }
  if (typeof knownHosts === 'string' || isPathList(knownHosts)) {
    const paths = typeof knownHosts === 'string' ? [knownHosts] : knownHosts;
    const parts: HostTrustLists[] = [];
    const notes: string[] = [];
    for (const path of paths) {
      const kh = importKnownHosts(new TextDecoder().decode(await readNamed(path, 'known_hosts')));
      parts.push(match(kh));
      notes.push(`searched ${path}`, ...skippedNote(kh, path));
    }
    return merge(parts, notes);
  }
  if (knownHosts instanceof Uint8Array) {
    const kh = importKnownHosts(new TextDecoder().decode(knownHosts));
    return merge([match(kh)], ['searched the known_hosts data given', ...skippedNote(kh, 'the known_hosts data')]);
  }
  if (knownHosts instanceof SSHKnownHosts) {
    return merge([match(knownHosts)], ['searched the SSHKnownHosts given', ...skippedNote(knownHosts, 'the SSHKnownHosts')]);
  }
  if (isCallback(knownHosts)) {
    return merge([await knownHosts(q.name, q.addr, q.port)], ['asked the knownHosts callback']);
  }
  return merge([knownHosts], ['used the trust lists given as knownHosts']);
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
