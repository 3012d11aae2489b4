/**
 * Throwaway keys made by the real `ssh-keygen`, cached per test process: asking twice for the
 * same type and options returns the same files, so a suite pays for each RSA key only once.
 * @module
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError } from './errors.ts';
import { runCommand } from './process.ts';
import { makeTempDir, tempRoot } from './tmp.ts';

/** Key types `ssh-keygen` can make here (`dsa` is still compiled into OpenSSH 9.2). */
export type KeyType = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa' | 'dsa';

/** Every {@link KeyType}. */
export const KEY_TYPES: readonly KeyType[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa', 'dsa'];

/** Host key types servers get by default: everything modern OpenSSH accepts out of the box. */
export const DEFAULT_HOST_KEY_TYPES: readonly KeyType[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa'];

/** Private key file format: `openssh` (default), `pem` (PKCS#1/SEC1/DSA, `-m PEM`), `pkcs8`. */
export type PrivateKeyFormat = 'openssh' | 'pem' | 'pkcs8';

export interface GenerateKeyOptions {
  /** RSA modulus size (default 2048, to keep tests fast). Ignored for other types. */
  readonly bits?: number;
  /** Keys with different labels are different keys; same label and options, same (cached) key. */
  readonly label?: string;
  /** Public key comment; default `interop-<label or type>`. */
  readonly comment?: string;
  /** Encrypt the private key with this passphrase (default: unencrypted). */
  readonly passphrase?: string;
  readonly format?: PrivateKeyFormat;
  /** `false` makes a fresh key even if one is cached (default `true`). */
  readonly cache?: boolean;
}

/** A key pair on disk; treat the files as read-only, they are shared through the cache. */
export interface KeyPair {
  readonly type: KeyType;
  /** Key algorithm name, the first field of the public key line (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, `ssh-dss`). */
  readonly algorithm: string;
  readonly comment: string;
  readonly format: PrivateKeyFormat;
  readonly passphrase?: string;
  /** Private key file, mode 0600. */
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /** Contents of the private key file. */
  readonly privateKey: string;
  /** The public key line `<algorithm> <base64> <comment>`, no trailing newline. */
  readonly publicKey: string;
  /** The public key blob (SSH wire encoding, the decoded base64 field). */
  readonly publicKeyBlob: Uint8Array;
  /** `SHA256:<unpadded base64>`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

const cache = new Map<string, Promise<KeyPair>>();
let counter = 0;

function keygenTypeArgs(type: KeyType, bits: number | undefined): string[] {
  switch (type) {
    case 'ed25519':
      return ['-t', 'ed25519'];
    case 'ecdsa-p256':
      return ['-t', 'ecdsa', '-b', '256'];
    case 'ecdsa-p384':
      return ['-t', 'ecdsa', '-b', '384'];
    case 'ecdsa-p521':
      return ['-t', 'ecdsa', '-b', '521'];
    case 'rsa':
      return ['-t', 'rsa', '-b', String(bits ?? 2048)];
    case 'dsa':
      return ['-t', 'dsa', '-b', '1024'];
  }
}

/** Parses an OpenSSH public key line into algorithm, blob and fingerprint. */
export function parsePublicKeyLine(line: string): { algorithm: string; blob: Uint8Array; fingerprint: string; comment: string } {
  const [algorithm, base64, ...comment] = line.trim().split(/\s+/);
  if (algorithm === undefined || base64 === undefined) throw new InteropError(`not a public key line: ${line}`);
  const blob = Buffer.from(base64, 'base64');
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { algorithm, blob, fingerprint, comment: comment.join(' ') };
}

/** Makes (or returns the cached) key pair of `type` with `ssh-keygen`. */
export async function generateKey(type: KeyType, options: GenerateKeyOptions = {}): Promise<KeyPair> {
  const format = options.format ?? 'openssh';
  if (type === 'ed25519' && format !== 'openssh') {
    throw new InteropError(`ssh-keygen writes ed25519 keys only in the openssh format, not ${format}`);
  }
  const bits = type === 'rsa' ? (options.bits ?? 2048) : undefined;
  const comment = options.comment ?? `interop-${options.label ?? type}`;
  const cacheKey = JSON.stringify([type, bits, options.label ?? '', comment, options.passphrase ?? '', format]);
  if (options.cache === false) return makeKey(type, bits, comment, format, options.passphrase);
  let pending = cache.get(cacheKey);
  if (pending === undefined) {
    pending = makeKey(type, bits, comment, format, options.passphrase);
    cache.set(cacheKey, pending);
    pending.catch(() => cache.delete(cacheKey));
  }
  return pending;
}

/** The client key every helper uses unless told otherwise (ed25519, cached). */
export async function defaultClientKey(): Promise<KeyPair> {
  return generateKey('ed25519', { label: 'client' });
}

/** Host keys for a server: one per type, cached and shared by all servers of this process. */
export async function hostKeys(types: readonly KeyType[]): Promise<KeyPair[]> {
  return Promise.all(types.map(async (type) => generateKey(type, { label: `host-${type}` })));
}

async function makeKey(
  type: KeyType,
  bits: number | undefined,
  comment: string,
  format: PrivateKeyFormat,
  passphrase: string | undefined,
): Promise<KeyPair> {
  const dir = join(tempRoot(), 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  counter += 1;
  const privateKeyPath = join(dir, `${String(counter).padStart(3, '0')}-${type}`);
  const args = ['-q', ...keygenTypeArgs(type, bits), '-N', passphrase ?? '', '-C', comment, '-f', privateKeyPath];
  if (format !== 'openssh') args.push('-m', format === 'pem' ? 'PEM' : 'PKCS8');
  await runCommand('/usr/bin/ssh-keygen', args, { env: { HOME: dir } }, {});
  const publicKeyPath = `${privateKeyPath}.pub`;
  const [privateKey, publicLine] = await Promise.all([readFile(privateKeyPath, 'utf8'), readFile(publicKeyPath, 'utf8')]);
  const publicKey = publicLine.trim();
  const parsed = parsePublicKeyLine(publicKey);
  return {
    type,
    algorithm: parsed.algorithm,
    comment,
    format,
    ...(passphrase === undefined ? {} : { passphrase }),
    privateKeyPath,
    publicKeyPath,
    privateKey,
    publicKey,
    publicKeyBlob: parsed.blob,
    fingerprint: parsed.fingerprint,
  };
}

export interface CertificateOptions {
  /** Key identity (`-I`), default `interop-cert`. */
  readonly identity?: string;
  /** Principals (`-n`): user names, or host names for a host certificate. Default: none (any). */
  readonly principals?: readonly string[];
  /** A host certificate (`-h`) instead of a user certificate. */
  readonly host?: boolean;
  /** Validity interval (`-V`), for example `'-5m:+1h'` or `'20200101:20300101'`. Default: forever. */
  readonly validity?: string;
  /** Serial number (`-z`). */
  readonly serial?: number | bigint;
  /** Certificate options (`-O`), for example `['no-pty', 'force-command=/bin/true']`. */
  readonly options?: readonly string[];
  /** The CA's signature algorithm (`-t`), for example `'ssh-rsa'` (SHA-1) for an RSA CA. Default: ssh-keygen's. */
  readonly signatureAlgorithm?: string;
}

/** An OpenSSH certificate made by `ssh-keygen -s`. */
export interface Certificate {
  /** The `-cert.pub` file (in its own directory, not next to the cached key). */
  readonly path: string;
  /** Its contents: `<cert algorithm> <base64> <comment>`, no trailing newline. */
  readonly line: string;
  /** Certificate algorithm name, for example `ssh-ed25519-cert-v01@openssh.com`. */
  readonly algorithm: string;
  /** The decoded certificate blob. */
  readonly blob: Uint8Array;
  /** The certified key and the CA that signed it. */
  readonly key: KeyPair;
  readonly ca: KeyPair;
}

/**
 * Signs `key`'s public key with `ca` (`ssh-keygen -s`). The certificate is written to a fresh
 * directory, so the cached key's own directory never grows a `-cert.pub` that ssh would pick up.
 * Use it with `CertificateFile <path>` on the client, `TrustedUserCAKeys <ca.publicKeyPath>` or
 * `HostCertificate <path>` on sshd.
 */
export async function signCertificate(ca: KeyPair, key: KeyPair, options: CertificateOptions = {}): Promise<Certificate> {
  const dir = await makeTempDir('cert');
  const publicKeyPath = join(dir, 'key.pub');
  await copyFile(key.publicKeyPath, publicKeyPath);
  const args = ['-q', '-s', ca.privateKeyPath, '-I', options.identity ?? 'interop-cert'];
  if (ca.passphrase !== undefined) args.push('-P', ca.passphrase);
  if (options.principals !== undefined && options.principals.length > 0) args.push('-n', options.principals.join(','));
  if (options.host === true) args.push('-h');
  if (options.validity !== undefined) args.push('-V', options.validity);
  if (options.serial !== undefined) args.push('-z', String(options.serial));
  for (const option of options.options ?? []) args.push('-O', option);
  if (options.signatureAlgorithm !== undefined) args.push('-t', options.signatureAlgorithm);
  args.push(publicKeyPath);
  await runCommand('/usr/bin/ssh-keygen', args, { env: { HOME: dir } }, {});
  const path = join(dir, 'key-cert.pub');
  const line = (await readFile(path, 'utf8')).trim();
  const parsed = parsePublicKeyLine(line);
  return { path, line, algorithm: parsed.algorithm, blob: parsed.blob, key, ca };
}
