/**
 * `SSHKeyPair`: a private key and, optionally, the certificate that presents it; what user
 * authentication and host keys sign with.
 * @module
 */

import type { SSHCertificate } from './certificate.ts';
import { encodeX509Blob, x509Algorithms, x509BaseSigAlgorithm, type SSHX509Certificate } from './x509/certificate.ts';
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
  private chainValue: readonly SSHX509Certificate[] | undefined;
  private commentRaw: Uint8Array | undefined;

  /** `cert`: an OpenSSH certificate, or an X.509 chain (end certificate first) for x509v3-* use. */
  constructor(key: SSHKey, cert?: SSHCertificate | readonly SSHX509Certificate[], comment?: string | Uint8Array) {
    if (!key.hasPrivate) throw new KeyImportError('a key pair needs a private key');
    this.key = key;
    this.commentRaw = comment === undefined ? key.getCommentBytes() : asBytes(comment);
    if (cert) this.setCertificate(cert);
  }

  get certificate(): SSHCertificate | undefined {
    return this.certValue;
  }

  /** The X.509 chain, when the pair presents one. */
  get x509Chain(): readonly SSHX509Certificate[] | undefined {
    return this.chainValue;
  }

  /** Attaches (or, with undefined, removes) the certificate or X.509 chain; it must certify this key. */
  setCertificate(cert: SSHCertificate | readonly SSHX509Certificate[] | undefined): void {
    this.certValue = undefined;
    this.chainValue = undefined;
    if (cert === undefined) return;
    if (Array.isArray(cert)) {
      const chain = cert as readonly SSHX509Certificate[];
      const end = chain[0];
      if (!end || !end.key.equals(this.key)) throw new KeyImportError('X.509 certificate does not match the private key');
      if (x509Algorithms(this.key.algorithm).length === 0) throw new KeyImportError(`${this.key.algorithm} keys have no x509v3 algorithms`);
      this.chainValue = chain;
      return;
    }
    const c = cert as SSHCertificate;
    if (!c.key.equals(this.key)) throw new KeyImportError('certificate does not match the private key');
    this.certValue = c;
  }

  /** The key type: the certificate type (or first x509v3 algorithm) when there is one. */
  getKeyType(): string {
    if (this.chainValue) return x509Algorithms(this.key.algorithm)[0] as string;
    return this.certValue?.algorithm ?? this.key.algorithm;
  }

  getAlgorithm(): string {
    return this.getKeyType();
  }

  /** Signature algorithms usable in user authentication / host keys, preferred first. */
  get sigAlgorithms(): readonly string[] {
    if (this.chainValue) return x509Algorithms(this.key.algorithm);
    return this.certValue ? this.certValue.sigAlgorithms : this.key.sigAlgorithms;
  }

  /** The public key blob to send: the certificate's when there is one. */
  get publicData(): Uint8Array {
    return this.publicDataFor(this.getKeyType());
  }

  /** The public key blob for `algorithm` (x509v3 blobs name their algorithm, RFC 6187 §3). */
  publicDataFor(algorithm: string): Uint8Array {
    if (this.chainValue) return encodeX509Blob(algorithm, this.chainValue);
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
    const base = this.chainValue ? (x509BaseSigAlgorithm(sigAlgorithm) as string) : baseSigAlgorithm(sigAlgorithm);
    return this.key.sign(data, base);
  }
}
