/**
 * Keys, certificates and trust files on the file system (AsyncSSH's read_private_key,
 * read_known_hosts, ...), and AsyncSSH's load_keypairs / load_public_keys / load_certificates.
 * Every failure to read or parse a file is a KeyImportError (a wrong or missing passphrase a
 * KeyEncryptionError), with the file-system error as its `cause`.
 * @module
 */

import { appendFile, open, writeFile } from 'node:fs/promises';
import {
  importAllowedSigners,
  importAuthorizedKeys,
  importCertificateList,
  importKnownHosts,
  importPrivateKeyList,
  importPublicKey,
  importPublicKeyList,
  KeyEncryptionError,
  importX509CertificateList,
  KeyImportError,
  SSHCertificate,
  SSHKey,
  SSHKeyPair,
  type ExportOptions,
  type Passphrase,
  type PrivateKeyFormat,
  type PublicKeyFormat,
  type SSHAllowedSigners,
  type SSHAuthorizedKeys,
  type SSHKnownHosts,
  type SSHX509Certificate,
} from '../index.ts';

/**
 * The most a key or certificate file may hold: 16 MiB (OpenSSH reads at most 1 MiB of a key
 * file; X.509 chains and certificate lists get room to spare). Reading stops there, so a path to
 * /dev/zero or a runaway file is a KeyImportError, not a read that never ends or fills memory.
 */
const MAX_KEY_FILE_SIZE = 16 * 1024 * 1024;
/**
 * The most the trust files of one call (known_hosts, authorized_keys, allowed_signers; every
 * file of a list together) may hold: 256 MiB, some hundred thousand hosts' keys, and under the
 * longest string V8 can build from them.
 */
const MAX_TRUST_FILES_SIZE = 256 * 1024 * 1024;

/** The bytes of the file at `path`, at most `limit` of them (more is a KeyImportError). */
async function read(path: string, limit: number = MAX_KEY_FILE_SIZE): Promise<Uint8Array> {
  let tooLarge = false;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        // The first read takes a regular file whole (one byte more shows whether it grew past the limit).
        const want = Math.min(limit + 1 - total, total === 0 && size > 0 ? size + 1 : 1024 * 1024);
        const chunk = new Uint8Array(want);
        const { bytesRead } = await handle.read(chunk, 0, want, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > limit) {
          tooLarge = true;
          break;
        }
        chunks.push(bytesRead === want ? chunk : chunk.subarray(0, bytesRead));
      }
      if (!tooLarge) return chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(Buffer.concat(chunks, total));
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new KeyImportError(`cannot read ${path}`, { cause });
  }
  throw new KeyImportError(`${path} holds more than ${limit} bytes`);
}

/** Every private key in the file at `path` (AsyncSSH read_private_key_list). */
export async function readPrivateKeyList(path: string, passphrase?: Passphrase): Promise<SSHKey[]> {
  return importPrivateKeyList(await read(path), passphrase);
}

/** The first private key in the file at `path` (AsyncSSH read_private_key). */
export async function readPrivateKey(path: string, passphrase?: Passphrase): Promise<SSHKey> {
  return (await readPrivateKeyList(path, passphrase))[0] as SSHKey;
}

/** Every public key in the file at `path` (AsyncSSH read_public_key_list). */
export async function readPublicKeyList(path: string): Promise<SSHKey[]> {
  return importPublicKeyList(await read(path));
}

/** The first public key in the file at `path` (AsyncSSH read_public_key). */
export async function readPublicKey(path: string): Promise<SSHKey> {
  return (await readPublicKeyList(path))[0] as SSHKey;
}

/** Every OpenSSH certificate in the file at `path` (AsyncSSH read_certificate_list). */
export async function readCertificateList(path: string): Promise<SSHCertificate[]> {
  return importCertificateList(await read(path));
}

/** The first OpenSSH certificate in the file at `path` (AsyncSSH read_certificate). */
export async function readCertificate(path: string): Promise<SSHCertificate> {
  return (await readCertificateList(path))[0] as SSHCertificate;
}

/** A file name or a list of file names. */
export type FileList = string | readonly string[];

/**
 * The files' texts, joined as one: each file ends with a line break, so the line numbers in
 * `skippedLines` count across the files in order.
 */
async function readTexts(paths: FileList): Promise<string> {
  const list: readonly string[] = typeof paths === 'string' ? [paths] : paths;
  const texts: string[] = [];
  let left = MAX_TRUST_FILES_SIZE;
  for (const path of list) {
    const bytes = await read(path, left);
    left -= bytes.length;
    const text = new TextDecoder().decode(bytes);
    texts.push(text === '' || text.endsWith('\n') ? text : `${text}\n`);
  }
  return texts.join('');
}

/** Known hosts from a file or a list of files (AsyncSSH read_known_hosts). */
export async function readKnownHosts(paths: FileList): Promise<SSHKnownHosts> {
  return importKnownHosts(await readTexts(paths));
}

/** Authorized keys from a file or a list of files (AsyncSSH read_authorized_keys). */
export async function readAuthorizedKeys(paths: FileList): Promise<SSHAuthorizedKeys> {
  return importAuthorizedKeys(await readTexts(paths));
}

/** Allowed signers from a file or a list of files (AsyncSSH read_allowed_signers). */
export async function readAllowedSigners(paths: FileList): Promise<SSHAllowedSigners> {
  return importAllowedSigners(await readTexts(paths));
}

/** Writes `key`'s private key to `path` (mode 0600), as key.exportPrivateKey(format, options) gives it. */
export async function writePrivateKey(key: SSHKey, path: string, format: PrivateKeyFormat = 'openssh', options: ExportOptions = {}): Promise<void> {
  await writeFile(path, key.exportPrivateKey(format, options), { mode: 0o600 });
}

/** Appends `key`'s private key to `path` (created with mode 0600). */
export async function appendPrivateKey(key: SSHKey, path: string, format: PrivateKeyFormat = 'openssh', options: ExportOptions = {}): Promise<void> {
  await appendFile(path, key.exportPrivateKey(format, options), { mode: 0o600 });
}

/** Writes `key`'s public key to `path`, as key.exportPublicKey(format) gives it. */
export async function writePublicKey(key: SSHKey, path: string, format: PublicKeyFormat = 'openssh'): Promise<void> {
  await writeFile(path, key.exportPublicKey(format));
}

/** Appends `key`'s public key to `path`. */
export async function appendPublicKey(key: SSHKey, path: string, format: PublicKeyFormat = 'openssh'): Promise<void> {
  await appendFile(path, key.exportPublicKey(format));
}

/** Writes `cert` to `path`, as cert.exportCertificate(format) gives it. */
export async function writeCertificate(cert: SSHCertificate, path: string, format: 'openssh' | 'rfc4716' = 'openssh'): Promise<void> {
  await writeFile(path, cert.exportCertificate(format));
}

/** Appends `cert` to `path`. */
export async function appendCertificate(cert: SSHCertificate, path: string, format: 'openssh' | 'rfc4716' = 'openssh'): Promise<void> {
  await appendFile(path, cert.exportCertificate(format));
}

/** A key reference: a file name, key data, or a loaded key. */
export type KeyRef = string | Uint8Array | SSHKey;
/** A certificate reference: a file name, certificate data, a loaded certificate, an X.509 chain, or none. */
export type CertRef = string | Uint8Array | SSHCertificate | readonly SSHX509Certificate[] | null;
/** A key pair reference: a key reference, a loaded pair, or a key with its certificate (AsyncSSH's (key, cert) tuple). */
export type KeyPairRef = KeyRef | SSHKeyPair | { readonly key: KeyRef; readonly cert: CertRef };
/** Certificates as load_certificates takes them: one reference or a list. */
export type CertificatesRef = string | Uint8Array | SSHCertificate | readonly (string | Uint8Array | SSHCertificate)[];

/** load_keypairs' keyword arguments. */
export interface LoadKeypairsOptions {
  /** Decrypts encrypted keys (AsyncSSH passphrase). */
  readonly passphrase?: Passphrase;
  /** Certificates paired with whichever keys they certify (AsyncSSH certlist). */
  readonly certlist?: CertificatesRef;
  /** Leave out entries that are no private key (a public key file, say) instead of failing (AsyncSSH skip_public). */
  readonly skipPublic?: boolean;
  /** Leave out encrypted keys when no passphrase is given instead of failing (AsyncSSH ignore_encrypted). */
  readonly ignoreEncrypted?: boolean;
}

async function fileExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await read(path);
  } catch {
    return undefined;
  }
}

type AnyCert = SSHCertificate | readonly SSHX509Certificate[];

function hasX509(data: Uint8Array): boolean {
  return new TextDecoder().decode(data).includes('-----BEGIN CERTIFICATE-----');
}

function certFromData(data: Uint8Array): AnyCert | undefined {
  if (hasX509(data) || data[0] === 0x30) return importX509CertificateList(data);
  return importCertificateList(data)[0];
}

async function loadCert(ref: CertRef): Promise<AnyCert | undefined> {
  if (ref === null) return undefined;
  if (ref instanceof SSHCertificate || Array.isArray(ref)) return ref as AnyCert;
  return certFromData(typeof ref === 'string' ? await read(ref) : (ref as Uint8Array));
}

function certKey(cert: AnyCert): SSHKey | undefined {
  return cert instanceof SSHCertificate ? cert.key : (cert as readonly SSHX509Certificate[])[0]?.key;
}

function certMatches(cert: AnyCert | undefined, key: SSHKey): boolean {
  return cert !== undefined && (certKey(cert)?.equals(key) ?? false);
}

/** One entry's keys and the certificate found with them (explicit, in the key file, or in <name>-cert.pub). */
interface Loaded {
  readonly keys: readonly SSHKey[];
  readonly cert: AnyCert | undefined;
  readonly explicitCert: boolean;
}

async function loadEntry(ref: KeyRef | { readonly key: KeyRef; readonly cert: CertRef }, passphrase: Passphrase | undefined): Promise<Loaded> {
  if (typeof ref === 'object' && !(ref instanceof Uint8Array) && !(ref instanceof SSHKey)) {
    const { keys } = await loadEntry(ref.key, passphrase);
    return { keys, cert: await loadCert(ref.cert), explicitCert: ref.cert !== null };
  }
  if (ref instanceof SSHKey) return { keys: [ref], cert: undefined, explicitCert: false };
  const data = typeof ref === 'string' ? await read(ref) : ref;
  const keys = importPrivateKeyList(data, passphrase);
  // X.509 certificates may sit in the key's own PEM file; else look for <name>-cert.pub.
  if (hasX509(data)) return { keys, cert: importX509CertificateList(data), explicitCert: false };
  if (typeof ref !== 'string') return { keys, cert: undefined, explicitCert: false };
  const certData = await fileExists(`${ref}-cert.pub`);
  let cert: AnyCert | undefined;
  try {
    cert = certData === undefined ? undefined : certFromData(certData);
  } catch {
    cert = undefined; // an unreadable -cert.pub is skipped, as AsyncSSH skips it
  }
  return { keys, cert, explicitCert: false };
}

/**
 * AsyncSSH's load_keypairs: private keys and their certificates, from a file name (every key in
 * the file), key data (Uint8Array), a loaded key, a key pair, `{ key, cert }` (AsyncSSH's
 * tuples; `cert: null` for none), or a list of these. A file's certificate is looked for in the
 * key file itself (X.509) and in `<name>-cert.pub`; `certlist` certificates pair with the keys
 * they certify. A key with a certificate is listed twice, with the certificate and then without
 * it, as AsyncSSH lists it (a server that refuses the certificate may accept the plain key).
 * `passphrase` may be given as the second argument or in the options.
 */
export async function loadKeypairs(keylist: KeyPairRef | readonly KeyPairRef[], passphraseOrOptions?: Passphrase | LoadKeypairsOptions, moreOptions: LoadKeypairsOptions = {}): Promise<SSHKeyPair[]> {
  const options: LoadKeypairsOptions =
    passphraseOrOptions === undefined || typeof passphraseOrOptions === 'string' || passphraseOrOptions instanceof Uint8Array
      ? { ...moreOptions, ...(passphraseOrOptions !== undefined ? { passphrase: passphraseOrOptions } : {}) }
      : { ...passphraseOrOptions, ...moreOptions };
  const { passphrase } = options;
  const certlist = options.certlist === undefined ? [] : await loadCertificates(options.certlist);
  const list: readonly KeyPairRef[] = Array.isArray(keylist) ? (keylist as readonly KeyPairRef[]) : [keylist as KeyPairRef];
  const out: SSHKeyPair[] = [];
  for (const ref of list) {
    if (ref instanceof SSHKeyPair) {
      const listed = ref.certificate === undefined && ref.x509Chain === undefined ? certlist.find((c) => c.key.equals(ref.key)) : undefined;
      if (listed) ref.setCertificate(listed);
      out.push(ref);
      continue;
    }
    let loaded: Loaded;
    try {
      loaded = await loadEntry(ref, passphrase);
    } catch (err) {
      if (options.ignoreEncrypted === true && passphrase === undefined && err instanceof KeyEncryptionError) continue;
      if (options.skipPublic === true && err instanceof KeyImportError && !(err instanceof KeyEncryptionError)) continue;
      throw err;
    }
    for (const key of loaded.keys) {
      let cert = certMatches(loaded.cert, key) ? loaded.cert : undefined;
      if (cert === undefined && loaded.explicitCert) throw new KeyImportError('certificate does not match the private key');
      cert ??= certlist.find((c) => c.key.equals(key));
      if (cert !== undefined) out.push(new SSHKeyPair(key, cert));
      out.push(new SSHKeyPair(key));
    }
  }
  return out;
}

/**
 * AsyncSSH's load_public_keys: a file name (every key in the file), or a list of file names
 * (the first key of each), key data or loaded keys.
 */
export async function loadPublicKeys(keylist: KeyRef | readonly KeyRef[]): Promise<SSHKey[]> {
  if (typeof keylist === 'string') return readPublicKeyList(keylist);
  const list: readonly KeyRef[] = Array.isArray(keylist) ? (keylist as readonly KeyRef[]) : [keylist as KeyRef];
  const out: SSHKey[] = [];
  for (const ref of list) {
    if (ref instanceof SSHKey) out.push(ref);
    else if (typeof ref === 'string') out.push(await readPublicKey(ref));
    else out.push(importPublicKey(ref));
  }
  return out;
}

/** AsyncSSH's load_certificates: a file name, certificate data, a loaded certificate, or a list of these (every certificate of each file). */
export async function loadCertificates(certlist: CertificatesRef): Promise<SSHCertificate[]> {
  const list = Array.isArray(certlist) ? (certlist as readonly (string | Uint8Array | SSHCertificate)[]) : [certlist as string | Uint8Array | SSHCertificate];
  const out: SSHCertificate[] = [];
  for (const ref of list) {
    if (ref instanceof SSHCertificate) out.push(ref);
    else {
      // A loop, not push(...list): a list of some 125,000 certificates would overflow the stack as arguments.
      for (const cert of typeof ref === 'string' ? await readCertificateList(ref) : importCertificateList(ref)) out.push(cert);
    }
  }
  return out;
}
