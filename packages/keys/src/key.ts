/**
 * `SSHKey`: one public key, or a private key with its public half, of any supported algorithm.
 * Comments, fingerprints, signing, verification and export in every format live here; the
 * algorithm-specific work is delegated to the family implementation (src/algs/).
 * @module
 */

import { Commented } from './internal/commented.ts';
import { createHash } from 'node:crypto';
import { Reader, SshError, Writer } from '@ssh/wire';
import type { KeyImpl } from './algs/impl.ts';
import { createCertificate, type CertificateOptions, type SSHCertificate, type UserCertificateOptions } from './certificate.ts';
import { KeyExportError, SignatureError } from './errors.ts';
import { createX509Certificate, type SSHX509Certificate, type X509CertificateOptions } from './x509/certificate.ts';
import { encodePrivateKey, encodePublicKey, type PrivateKeyFormat, type PublicKeyFormat, type ExportOptions } from './formats/export.ts';
import { toBase64, toHex, tryUtf8 } from './internal/bytes.ts';

/** Hashes `getFingerprint` accepts. */
export type FingerprintHash = 'sha256' | 'md5' | 'sha1' | 'sha384' | 'sha512';

export class SSHKey extends Commented {
  /** The algorithm implementation (internal). */
  readonly impl: KeyImpl;
  private blob: Uint8Array | undefined;

  constructor(impl: KeyImpl, comment?: string | Uint8Array) {
    super(comment);
    this.impl = impl;
  }

  /** Key type as in the public key blob: 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa', ... */
  get algorithm(): string {
    return this.impl.algorithm;
  }

  /** Signature algorithms this key can make or check, preferred first. */
  get sigAlgorithms(): readonly string[] {
    return this.impl.sigAlgorithms;
  }

  /** Key size in bits, as `ssh-keygen -l` prints it. */
  get bits(): number {
    return this.impl.bits;
  }

  /** Short type label, as `ssh-keygen -l` prints it: RSA, DSA, ECDSA, ED25519, ED448, ECDSA-SK, ED25519-SK. */
  get label(): string {
    return this.impl.label;
  }

  /** True when the private half is present. */
  get hasPrivate(): boolean {
    return this.impl.hasPrivate;
  }

  /** The SSH public key blob (RFC 4253 §6.6). */
  get publicData(): Uint8Array {
    if (!this.blob) {
      const w = new Writer(256).utf8(this.impl.algorithm);
      this.impl.writePublic(w);
      this.blob = w.finish();
    }
    return this.blob;
  }

  getAlgorithm(): string {
    return this.algorithm;
  }

  /** `SHA256:<base64>` (default) or `MD5:<hex:hex:...>`, exactly as `ssh-keygen -l [-E md5]` prints. */
  getFingerprint(hash: FingerprintHash = 'sha256'): string {
    const digest = new Uint8Array(createHash(hash).update(this.publicData).digest());
    if (hash === 'md5') return `MD5:${toHex(digest, ':')}`;
    return `${hash.toUpperCase()}:${toBase64(digest).replace(/=+$/, '')}`;
  }

  /** The public half, keeping the comment. */
  convertToPublic(): SSHKey {
    return new SSHKey(this.impl.hasPrivate ? this.impl.toPublic() : this.impl, this.commentRaw);
  }

  /** True when both keys have the same public blob. */
  equals(other: SSHKey): boolean {
    const a = this.publicData;
    const b = other.publicData;
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  /**
   * Signs `data`, returning the SSH signature blob (`string algorithm, ...`).
   * `sigAlgorithm` defaults to the first of `sigAlgorithms`.
   */
  sign(data: Uint8Array, sigAlgorithm?: string): Uint8Array {
    const impl = this.impl;
    const algs = impl.sigAlgorithms;
    const alg = sigAlgorithm ?? (algs[0] as string);
    if (!algs.includes(alg)) throw new SignatureError(`${this.algorithm} keys cannot make ${alg} signatures`);
    if (!impl.hasPrivate) throw new SignatureError('cannot sign with a public key');
    try {
      return impl.sign(alg, data);
    } catch (e) {
      if (e instanceof SshError) throw e;
      // Fields corrupt in a way import cannot see (a PKCS#8 DSA key's q): the crypto library's error.
      throw new SignatureError(`${alg} signing failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Checks an SSH signature blob over `data`. Never throws: malformed signatures are false. */
  verify(data: Uint8Array, signature: Uint8Array): boolean {
    let r: Reader;
    let sigAlgorithm: string;
    try {
      r = new Reader(signature);
      sigAlgorithm = r.utf8('signature algorithm', 256);
    } catch {
      return false;
    }
    if (!this.impl.sigAlgorithms.includes(sigAlgorithm)) return false;
    return this.impl.verify(sigAlgorithm, data, r);
  }

  /**
   * The key's private fields as OpenSSH encodes them after the key type, in openssh-key-v1
   * files and in ssh-agent ADD_IDENTITY messages (no comment, no padding).
   */
  encodePrivateFields(): Uint8Array {
    if (!this.impl.hasPrivate) throw new KeyExportError('key has no private part');
    const w = new Writer(512);
    this.impl.writePrivate(w);
    return w.finish();
  }

  /** The private key in `format` ('openssh' by default), as text for PEM formats, bytes for DER. */
  exportPrivateKey(format: PrivateKeyFormat = 'openssh', options: ExportOptions = {}): Uint8Array {
    if (!this.impl.hasPrivate) throw new KeyExportError('key has no private part');
    return encodePrivateKey(this.impl, this.commentRaw, format, options);
  }

  /** The public key in `format` ('openssh' by default). */
  exportPublicKey(format: PublicKeyFormat = 'openssh'): Uint8Array {
    return encodePublicKey(this.impl, this.publicData, this.getComment(), format);
  }

  /** A user certificate for `userKey`, signed by this key (the CA). AsyncSSH's generate_user_certificate. */
  generateUserCertificate(userKey: SSHKey, keyId: string, options: UserCertificateOptions = {}): SSHCertificate {
    return createCertificate(this, userKey, 'user', keyId, options);
  }

  /** A host certificate for `hostKey`, signed by this key (the CA). */
  generateHostCertificate(hostKey: SSHKey, keyId: string, options: CertificateOptions = {}): SSHCertificate {
    return createCertificate(this, hostKey, 'host', keyId, options);
  }

  /** An X.509 user certificate for `userKey` signed by this key (purpose secureShellClient by default). */
  generateX509UserCertificate(userKey: SSHKey, subject: string, options: X509CertificateOptions = {}): SSHX509Certificate {
    return createX509Certificate(this, userKey, subject, { purposes: 'secureShellClient', principalKind: 'user', ...options });
  }

  /** An X.509 host certificate for `hostKey` signed by this key (purpose secureShellServer by default). */
  generateX509HostCertificate(hostKey: SSHKey, subject: string, options: X509CertificateOptions = {}): SSHX509Certificate {
    return createX509Certificate(this, hostKey, subject, { purposes: 'secureShellServer', ...options });
  }

  /** An X.509 CA certificate for `caKey` (this key itself for a self-signed root), signed by this key. */
  generateX509CaCertificate(caKey: SSHKey, subject: string, options: X509CertificateOptions = {}): SSHX509Certificate {
    return createX509Certificate(this, caKey, subject, { ca: true, ...options });
  }

  /** The comment as text when it is valid UTF-8 (for formats that require text). */
  get commentText(): string | undefined {
    return this.commentRaw === undefined ? undefined : tryUtf8(this.commentRaw);
  }
}

