/**
 * Error classes of @ssh/keys. Every failure to parse hostile input is one of these (or a
 * `WireError` wrapped in one of these); nothing else escapes an import function.
 * @module
 */

import { SshError } from '@ssh/wire';

/** Input that is not a key (or certificate, or trust-file line) we can read. */
export class KeyImportError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.KeyImportError');

  constructor(message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_KEY_IMPORT', message, options);
  }
}

/** An encrypted key whose passphrase is missing or wrong, or whose encryption we cannot undo. */
export class KeyEncryptionError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.KeyEncryptionError');

  constructor(message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_KEY_ENCRYPTION', message, options);
  }
}

/** A key that cannot be written in the requested format (or with the requested options). */
export class KeyExportError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.KeyExportError');

  constructor(message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_KEY_EXPORT', message, options);
  }
}

/** Key generation with an unknown algorithm or unsupported parameters. */
export class KeyGenerationError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.KeyGenerationError');

  constructor(message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_KEY_GENERATION', message, options);
  }
}

/** A signing request the key cannot honour (public key only, unknown signature algorithm, ...). */
export class SignatureError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SignatureError');

  constructor(message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_SIGNATURE', message, options);
  }
}

/** Malformed DER. `offset` is where the bad element starts within the DER input. */
export class Asn1Error extends KeyImportError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.Asn1Error');

  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`DER at offset ${offset}: ${message}`);
    this.offset = offset;
  }
}

/** A certificate that does not verify, or is not valid for the use asked of it. */
export class CertificateError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.CertificateError');

  constructor(message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_CERTIFICATE', message, options);
  }
}
