/**
 * SSHSIG: detached signatures over messages or files (OpenSSH PROTOCOL.sshsig), as made and
 * checked by `ssh-keygen -Y sign / verify`.
 * @module
 */

import { createHash } from 'node:crypto';
import { Reader, WireError, Writer } from '@ssh/wire';
import { decodeCertificateBlob, keyTypeOfCert, type SSHCertificate } from './certificate.ts';
import { KeyImportError, SignatureError } from './errors.ts';
import { decodePublicBlob } from './import.ts';
import { asBytes, equalBytes, latin1, toBase64, utf8, wrap } from './internal/bytes.ts';
import { SSHKey } from './key.ts';
import { decodePemBlocks } from './formats/pem.ts';

const MAGIC = utf8('SSHSIG');
const VERSION = 1;
const LABEL = 'SSH SIGNATURE';

export type SshsigHash = 'sha256' | 'sha512';

/** A parsed SSHSIG. */
export interface Sshsig {
  /** The signer's public key (the certified key when `certificate` is set). */
  readonly publicKey: SSHKey;
  /** Set when the signature was made with a certificate. */
  readonly certificate: SSHCertificate | undefined;
  readonly namespace: string;
  readonly hashAlgorithm: SshsigHash;
  /** The signature blob (`string algorithm, ...`). */
  readonly signature: Uint8Array;
  readonly reserved: Uint8Array;
}

function signedData(namespace: string, reserved: Uint8Array, hash: SshsigHash, message: Uint8Array): Uint8Array {
  const digest = new Uint8Array(createHash(hash).update(message).digest());
  return new Writer(128).raw(MAGIC).utf8(namespace).bytes(reserved).utf8(hash).bytes(digest).finish();
}

export interface CreateSshsigOptions {
  /** Message digest (default sha512, as ssh-keygen). */
  readonly hashAlgorithm?: SshsigHash;
  /** Signature algorithm (default: rsa-sha2-512 for RSA keys, otherwise the key's own). */
  readonly sigAlgorithm?: string;
  /** Sign as this certificate (its key must be `key`'s public half). */
  readonly certificate?: SSHCertificate;
}

/** An SSHSIG before its signature: the bytes to sign, with which algorithm, and how to wrap the result. */
interface PreparedSshsig {
  readonly signedData: Uint8Array;
  readonly sigAlgorithm: string | undefined;
  finish(signature: Uint8Array): Uint8Array;
}

function prepareSshsig(key: SSHKey, message: string | Uint8Array, namespace: string, options: CreateSshsigOptions): PreparedSshsig {
  if (namespace === '') throw new SignatureError('SSHSIG namespace must not be empty');
  const hash = options.hashAlgorithm ?? 'sha512';
  if (hash !== 'sha256' && hash !== 'sha512') throw new SignatureError(`unsupported SSHSIG hash ${JSON.stringify(hash)}`);
  if (options.certificate && !options.certificate.key.equals(key)) throw new SignatureError('certificate does not match the key');
  const reserved = new Uint8Array(0);
  const publicBlob = options.certificate ? options.certificate.publicData : key.publicData;
  return {
    signedData: signedData(namespace, reserved, hash, asBytes(message)),
    sigAlgorithm: options.sigAlgorithm ?? (key.algorithm === 'ssh-rsa' ? 'rsa-sha2-512' : undefined),
    finish: (signature) =>
      new Writer(signature.length + publicBlob.length + 64)
        .raw(MAGIC)
        .u32(VERSION)
        .bytes(publicBlob)
        .utf8(namespace)
        .bytes(reserved)
        .utf8(hash)
        .bytes(signature)
        .finish(),
  };
}

function armor(blob: Uint8Array): string {
  return `-----BEGIN ${LABEL}-----\n${wrap(toBase64(blob), 70).join('\n')}\n-----END ${LABEL}-----\n`;
}

/** The binary SSHSIG blob. */
export function createSshsigBlob(key: SSHKey, message: string | Uint8Array, namespace: string, options: CreateSshsigOptions = {}): Uint8Array {
  const prepared = prepareSshsig(key, message, namespace, options);
  return prepared.finish(key.sign(prepared.signedData, prepared.sigAlgorithm));
}

/** The armored signature `ssh-keygen -Y sign` writes. */
export function createSshsig(key: SSHKey, message: string | Uint8Array, namespace: string, options: CreateSshsigOptions = {}): string {
  return armor(createSshsigBlob(key, message, namespace, options));
}

/** A key pair that signs asynchronously: a security key's, an agent's, a PKCS#11 token's. */
export interface AsyncSigner {
  readonly key: SSHKey;
  sign(data: Uint8Array, sigAlgorithm?: string): Promise<Uint8Array>;
}

/** createSshsig for a key pair that signs elsewhere (a security key, an agent, a token). */
export async function createSshsigAsync(signer: AsyncSigner, message: string | Uint8Array, namespace: string, options: CreateSshsigOptions = {}): Promise<string> {
  const prepared = prepareSshsig(signer.key, message, namespace, options);
  return armor(prepared.finish(await signer.sign(prepared.signedData, prepared.sigAlgorithm)));
}

/** Parses an armored or binary SSHSIG (no verification). */
export function parseSshsig(data: string | Uint8Array): Sshsig {
  let blob: Uint8Array;
  const text = typeof data === 'string' ? data : latin1(data);
  if (text.includes(`-----BEGIN ${LABEL}-----`)) {
    let blocks;
    try {
      blocks = decodePemBlocks(text).filter((b) => b.label === LABEL);
    } catch (cause) {
      throw new KeyImportError('invalid SSHSIG armor', { cause });
    }
    if (blocks.length !== 1) throw new KeyImportError('expected exactly one SSH SIGNATURE block');
    blob = (blocks[0] as { data: Uint8Array }).data;
  } else {
    blob = asBytes(data);
  }
  try {
    const r = new Reader(blob);
    if (!equalBytes(r.raw(6, 'magic'), MAGIC)) throw new KeyImportError('not an SSHSIG (bad magic)');
    const version = r.u32('version');
    if (version !== VERSION) throw new KeyImportError(`unsupported SSHSIG version ${version}`);
    const publicBlob = r.bytes('public key');
    const namespace = r.utf8('namespace');
    const reserved = r.bytes('reserved');
    const hashAlgorithm = r.utf8('hash algorithm', 64);
    if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new KeyImportError(`unsupported SSHSIG hash ${JSON.stringify(hashAlgorithm)}`);
    const signature = r.bytes('signature');
    r.end('SSHSIG');
    const keyType = new Reader(publicBlob).utf8('key type', 256);
    let certificate: SSHCertificate | undefined;
    let publicKey: SSHKey;
    if (keyTypeOfCert(keyType)) {
      certificate = decodeCertificateBlob(publicBlob);
      publicKey = certificate.key;
    } else {
      publicKey = new SSHKey(decodePublicBlob(publicBlob));
    }
    return { publicKey, certificate, namespace, hashAlgorithm, signature, reserved };
  } catch (e) {
    if (e instanceof WireError) throw new KeyImportError(`invalid SSHSIG: ${e.message.slice(5)}`, { cause: e });
    throw e;
  }
}

/**
 * Checks an SSHSIG over `message` for `namespace`; returns the parsed signature. Throws
 * SignatureError when it does not verify (wrong namespace, altered message, bad signature),
 * KeyImportError when it cannot be parsed.
 */
export function validateSshsig(data: string | Uint8Array, message: string | Uint8Array, namespace: string): Sshsig {
  const sig = parseSshsig(data);
  if (sig.namespace !== namespace) throw new SignatureError(`signature namespace ${JSON.stringify(sig.namespace)} is not ${JSON.stringify(namespace)}`);
  let sigAlg: string;
  try {
    sigAlg = new Reader(sig.signature).utf8('signature algorithm', 256);
  } catch (cause) {
    throw new SignatureError('malformed signature', { cause });
  }
  // As ssh-keygen: RSA SSHSIGs must use SHA-2.
  if (sigAlg === 'ssh-rsa') throw new SignatureError('SSHSIG with ssh-rsa (SHA-1) signatures are refused');
  // As ssh-keygen (PROTOCOL.sshsig: implementations ignore the reserved field), the signature
  // is checked over an empty reserved field whatever the blob carries.
  if (!sig.publicKey.verify(signedData(sig.namespace, new Uint8Array(0), sig.hashAlgorithm, asBytes(message)), sig.signature)) {
    throw new SignatureError('SSHSIG signature does not verify');
  }
  return sig;
}
