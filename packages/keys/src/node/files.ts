/**
 * @ssh/keys/node: reading and writing keys, certificates and trust files on the file system,
 * and AsyncSSH's load_keypairs / load_public_keys / load_certificates.
 * @module
 */

import { appendFile, readFile, writeFile } from 'node:fs/promises';
import {
  importAllowedSigners,
  importAuthorizedKeys,
  importCertificateList,
  importKnownHosts,
  importPrivateKeyList,
  importPublicKeyList,
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

async function read(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new KeyImportError(`cannot read ${path}`, { cause });
  }
}

async function readText(path: string): Promise<string> {
  return new TextDecoder().decode(await read(path));
}

export async function readPrivateKeyList(path: string, passphrase?: Passphrase): Promise<SSHKey[]> {
  return importPrivateKeyList(await read(path), passphrase);
}

/** The first private key in the file at `path`. */
export async function readPrivateKey(path: string, passphrase?: Passphrase): Promise<SSHKey> {
  return (await readPrivateKeyList(path, passphrase))[0] as SSHKey;
}

export async function readPublicKeyList(path: string): Promise<SSHKey[]> {
  return importPublicKeyList(await read(path));
}

export async function readPublicKey(path: string): Promise<SSHKey> {
  return (await readPublicKeyList(path))[0] as SSHKey;
}

export async function readCertificateList(path: string): Promise<SSHCertificate[]> {
  return importCertificateList(await read(path));
}

export async function readCertificate(path: string): Promise<SSHCertificate> {
  return (await readCertificateList(path))[0] as SSHCertificate;
}

export async function readKnownHosts(path: string): Promise<SSHKnownHosts> {
  return importKnownHosts(await readText(path));
}

export async function readAuthorizedKeys(path: string): Promise<SSHAuthorizedKeys> {
  return importAuthorizedKeys(await readText(path));
}

export async function readAllowedSigners(path: string): Promise<SSHAllowedSigners> {
  return importAllowedSigners(await readText(path));
}

export async function writePrivateKey(key: SSHKey, path: string, format: PrivateKeyFormat = 'openssh', options: ExportOptions = {}): Promise<void> {
  await writeFile(path, key.exportPrivateKey(format, options), { mode: 0o600 });
}

export async function appendPrivateKey(key: SSHKey, path: string, format: PrivateKeyFormat = 'openssh', options: ExportOptions = {}): Promise<void> {
  await appendFile(path, key.exportPrivateKey(format, options), { mode: 0o600 });
}

export async function writePublicKey(key: SSHKey, path: string, format: PublicKeyFormat = 'openssh'): Promise<void> {
  await writeFile(path, key.exportPublicKey(format));
}

export async function appendPublicKey(key: SSHKey, path: string, format: PublicKeyFormat = 'openssh'): Promise<void> {
  await appendFile(path, key.exportPublicKey(format));
}

export async function writeCertificate(cert: SSHCertificate, path: string, format: 'openssh' | 'rfc4716' = 'openssh'): Promise<void> {
  await writeFile(path, cert.exportCertificate(format));
}

export async function appendCertificate(cert: SSHCertificate, path: string, format: 'openssh' | 'rfc4716' = 'openssh'): Promise<void> {
  await appendFile(path, cert.exportCertificate(format));
}

/** A key reference: a file name, key data, or a loaded key. */
export type KeyRef = string | Uint8Array | SSHKey;
/** A certificate reference: a file name, certificate data, a loaded certificate, an X.509 chain, or none. */
export type CertRef = string | Uint8Array | SSHCertificate | readonly SSHX509Certificate[] | null;
/** A key pair reference: a key reference, a loaded pair, or a key with its certificate. */
export type KeyPairRef = KeyRef | SSHKeyPair | { readonly key: KeyRef; readonly cert: CertRef };

async function fileExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return undefined;
  }
}

type AnyCert = SSHCertificate | readonly SSHX509Certificate[];

function certFromData(data: Uint8Array): AnyCert | undefined {
  const text = new TextDecoder().decode(data);
  if (text.includes('-----BEGIN CERTIFICATE-----') || data[0] === 0x30) return importX509CertificateList(data);
  return importCertificateList(data)[0];
}

async function loadCert(ref: CertRef): Promise<AnyCert | undefined> {
  if (ref === null) return undefined;
  if (ref instanceof SSHCertificate || Array.isArray(ref)) return ref as AnyCert;
  return certFromData(typeof ref === 'string' ? await read(ref) : (ref as Uint8Array));
}

function certMatches(cert: AnyCert | undefined, key: SSHKey): boolean {
  if (cert === undefined) return false;
  if (cert instanceof SSHCertificate) return cert.key.equals(key);
  return (cert as readonly SSHX509Certificate[])[0]?.key.equals(key) ?? false;
}

/**
 * AsyncSSH's load_keypairs: file names (with `<name>-cert.pub` picked up when present), key
 * data (Uint8Array), loaded keys, key pairs, or `{ key, cert }` objects (AsyncSSH's tuples).
 */
export async function loadKeypairs(refs: KeyPairRef | readonly KeyPairRef[], passphrase?: Passphrase): Promise<SSHKeyPair[]> {
  const list: readonly KeyPairRef[] = Array.isArray(refs) ? (refs as readonly KeyPairRef[]) : [refs as KeyPairRef];
  const out: SSHKeyPair[] = [];
  for (const ref of list) {
    if (ref instanceof SSHKeyPair) {
      out.push(ref);
      continue;
    }
    const [keyRef, certRef]: [KeyRef, CertRef | undefined] = isPairObject(ref) ? [ref.key, ref.cert] : [ref, undefined];
    let keys: SSHKey[];
    let cert = certRef === undefined ? undefined : await loadCert(certRef);
    if (keyRef instanceof SSHKey) keys = [keyRef];
    else if (typeof keyRef === 'string') {
      const data = await read(keyRef);
      keys = importPrivateKeyList(data, passphrase);
      if (certRef === undefined) {
        // X.509 certificates may sit in the key's own PEM file; else look for <name>-cert.pub.
        if (new TextDecoder().decode(data).includes('-----BEGIN CERTIFICATE-----')) cert = importX509CertificateList(data);
        else {
          const certData = await fileExists(`${keyRef}-cert.pub`);
          if (certData) cert = certFromData(certData);
        }
      }
    } else keys = importPrivateKeyList(keyRef, passphrase);
    for (const key of keys) {
      const matches = certMatches(cert, key);
      if (!matches && cert !== undefined && certRef !== undefined) throw new KeyImportError('certificate does not match the private key');
      out.push(new SSHKeyPair(key, matches ? cert : undefined));
    }
  }
  return out;
}

function isPairObject(ref: KeyRef | { readonly key: KeyRef; readonly cert: CertRef }): ref is { readonly key: KeyRef; readonly cert: CertRef } {
  return typeof ref === 'object' && !(ref instanceof Uint8Array) && !(ref instanceof SSHKey) && 'key' in ref;
}

/** AsyncSSH's load_public_keys: file names, key data or loaded keys. */
export async function loadPublicKeys(refs: KeyRef | readonly KeyRef[]): Promise<SSHKey[]> {
  const list = Array.isArray(refs) ? (refs as readonly KeyRef[]) : [refs as KeyRef];
  const out: SSHKey[] = [];
  for (const ref of list) {
    if (ref instanceof SSHKey) out.push(ref);
    else if (typeof ref === 'string') out.push(...(await readPublicKeyList(ref)));
    else out.push(...importPublicKeyList(ref));
  }
  return out;
}

/** AsyncSSH's load_certificates: file names, certificate data or loaded certificates. */
export async function loadCertificates(refs: string | Uint8Array | SSHCertificate | readonly (string | Uint8Array | SSHCertificate)[]): Promise<SSHCertificate[]> {
  const list = Array.isArray(refs) ? (refs as readonly (string | Uint8Array | SSHCertificate)[]) : [refs as string | Uint8Array | SSHCertificate];
  const out: SSHCertificate[] = [];
  for (const ref of list) {
    if (ref instanceof SSHCertificate) out.push(ref);
    else if (typeof ref === 'string') out.push(...(await readCertificateList(ref)));
    else out.push(...importCertificateList(ref));
  }
  return out;
}
