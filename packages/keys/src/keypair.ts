/**
 * `SSHKeyPair`: a private key and, optionally, the certificate that presents it; what user
 * authentication and host keys sign with.
 * @module
 */

import type { SSHCertificate } from './certificate.ts';
import { KeyImportError, SignatureError } from './errors.ts';
import { asBytes, looseUtf8 } from './internal/bytes.ts';
import type { SSHKey } from './key.ts';

/** The plain signature algorithm behind a certificate algorithm name. */
function baseSigAlgorithm(sigAlg: string): string {
  const m = /^(.*)-cert-v01@openssh\.com$/.exec(sigAlg);
  if (!m) return sigAlg;
  const base = m[1] as string;
  return base.startsWith('sk-') ? `${base}@openssh.com` : base;
}

export class SSHKeyPair {
  readonly key: SSHKey;
  private certValue: SSHCertificate | undefined;
  private commentRaw: Uint8Array | undefined;

  constructor(key: SSHKey, cert?: SSHCertificate, comment?: string | Uint8Array) {
    if (!key.hasPrivate) throw new KeyImportError('a key pair needs a private key');
    this.key = key;
    this.commentRaw = comment === undefined ? key.getCommentBytes() : asBytes(comment);
    if (cert) this.setCertificate(cert);
  }

  get certificate(): SSHCertificate | undefined {
    return this.certValue;
  }

  /** Attaches (or, with undefined, removes) the certificate; it must certify this key. */
  setCertificate(cert: SSHCertificate | undefined): void {
    if (cert && !cert.key.equals(this.key)) throw new KeyImportError('certificate does not match the private key');
    this.certValue = cert;
  }

  /** The key type: the certificate type when there is one. */
  getKeyType(): string {
    return this.certValue?.algorithm ?? this.key.algorithm;
  }

  getAlgorithm(): string {
    return this.getKeyType();
  }

  /** Signature algorithms usable in user authentication / host keys, preferred first. */
  get sigAlgorithms(): readonly string[] {
    return this.certValue ? this.certValue.sigAlgorithms : this.key.sigAlgorithms;
  }

  /** The public key blob to send: the certificate's when there is one. */
  get publicData(): Uint8Array {
    return this.certValue?.publicData ?? this.key.publicData;
  }

  getCommentBytes(): Uint8Array | undefined {
    return this.commentRaw;
  }

  getComment(): string | undefined {
    return this.commentRaw === undefined ? undefined : looseUtf8(this.commentRaw);
  }

  setComment(comment: string | Uint8Array | undefined): void {
    this.commentRaw = comment === undefined ? undefined : asBytes(comment);
  }

  /** Signs with `sigAlgorithm` (a plain or a certificate algorithm name). */
  sign(data: Uint8Array, sigAlgorithm: string = this.sigAlgorithms[0] as string): Uint8Array {
    if (!this.sigAlgorithms.includes(sigAlgorithm)) throw new SignatureError(`${this.getKeyType()} cannot sign with ${sigAlgorithm}`);
    const base = baseSigAlgorithm(sigAlgorithm);
    return this.key.sign(data, base);
  }
}
