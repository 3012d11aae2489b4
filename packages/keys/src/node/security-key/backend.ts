/**
 * The contract between security-key (FIDO) keys and what talks to the authenticator. Two
 * backends implement it: CTAP2 over USB HID, as AsyncSSH does with python-fido2 (./ctap), and an
 * OpenSSH security-key middleware library (SecurityKeyProvider, sk-api.h) loaded by the native
 * binding (./middleware). Its shape follows sk-api.h, so that both map onto it one to one:
 * enroll, sign, load resident keys, with the same flags and the same error kinds.
 * @module
 */

import { SshError } from '@ssh/wire';

/** The two key types of PROTOCOL.u2f: ECDSA on P-256 (COSE -7) and Ed25519 (COSE -8). */
export type SkKeyAlgorithm = 'ecdsa' | 'ed25519';

/** sk-api.h flags, as stored in an sk private key and returned with signatures. */
export const SK_FLAG_USER_PRESENCE_REQD = 0x01;
export const SK_FLAG_USER_VERIFICATION_REQD = 0x04;
export const SK_FLAG_FORCE_OPERATION = 0x10;
export const SK_FLAG_RESIDENT_KEY = 0x20;

/** Why a security-key operation failed (sk-api.h's SSH_SK_ERR_* kinds, plus a wrong PIN). */
export type SecurityKeyErrorKind = 'general' | 'unsupported' | 'pin-required' | 'pin-invalid' | 'device-not-found' | 'credential-exists' | 'cancelled' | 'timeout';

/** A security-key failure: no authenticator, a PIN needed or wrong, the token refused. */
export class SecurityKeyError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SecurityKeyError');
  readonly kind: SecurityKeyErrorKind;
  /** The CTAP2 status byte (or sk-api.h return code) behind it, when there was one. */
  readonly status: number | undefined;

  constructor(kind: SecurityKeyErrorKind, message: string, options?: { cause?: unknown; status?: number }) {
    super('SSH_ERR_SECURITY_KEY', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.status = options?.status;
  }
}

export interface SkEnrollRequest {
  readonly alg: SkKeyAlgorithm;
  /** The FIDO relying party id: 'ssh:' unless asked otherwise (OpenSSH requires the 'ssh:' prefix). */
  readonly application: string;
  /** Hashed with SHA-256 into the clientDataHash of the attestation (random when the caller has none). */
  readonly challenge: Uint8Array;
  /** The user id stored with a resident credential (up to 64 bytes; zeros when not resident). */
  readonly userId: Uint8Array;
  /** The user name shown for a resident credential (defaults to the user id as text). */
  readonly userName?: string;
  /** SK_FLAG_* bits: presence, verification (PIN or biometrics), resident, force (overwrite a resident credential). */
  readonly flags: number;
  readonly pin?: string;
  /** A device path to use instead of the first authenticator found. */
  readonly device?: string;
}

export interface SkEnrollResult {
  /** ECDSA: the uncompressed P-256 point (65 bytes); Ed25519: the 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The credential id, which the authenticator needs back to sign. */
  readonly keyHandle: Uint8Array;
  /** The flags to store with the key (the request's, as the authenticator honoured them). */
  readonly flags: number;
  /** Attestation: the signature, the certificate (DER, empty when self-attested), the authenticator data. */
  readonly attestationSignature: Uint8Array;
  readonly attestationCertificate: Uint8Array;
  readonly authData: Uint8Array;
}

export interface SkSignRequest {
  readonly alg: SkKeyAlgorithm;
  readonly application: string;
  readonly keyHandle: Uint8Array;
  /** The message: the backend signs SHA-256(message) as the clientDataHash (PROTOCOL.u2f). */
  readonly message: Uint8Array;
  /** The key's SK_FLAG_* bits: presence and verification asked of the authenticator. */
  readonly flags: number;
  readonly pin?: string;
  readonly device?: string;
}

export interface SkSignResult {
  /** The authenticator data's flags byte (what the token attests: 0x01 presence, 0x04 verification). */
  readonly flags: number;
  /** The signature counter. */
  readonly counter: number;
  /** Ed25519: the 64-byte signature; ECDSA: r || s, 32 bytes each, big-endian (IEEE P1363). */
  readonly signature: Uint8Array;
  /** The authenticator data's extensions (CBOR), empty when there are none. */
  readonly extensions: Uint8Array;
}

export interface SkResidentKey {
  readonly alg: SkKeyAlgorithm;
  readonly application: string;
  readonly publicKey: Uint8Array;
  readonly keyHandle: Uint8Array;
  /** SK_FLAG_* bits to store with the key: resident, plus presence/verification as the credential requires. */
  readonly flags: number;
  readonly userId: Uint8Array;
}

export interface SkLoadResidentRequest {
  /** Needed by CTAP2 credential management; undefined lets a backend that can do without try. */
  readonly pin?: string;
  readonly device?: string;
}

/** What talks to the authenticator. Calls may wait for a touch: they are bounded by the backend's timeout. */
export interface SecurityKeyBackend {
  enroll(request: SkEnrollRequest): Promise<SkEnrollResult>;
  sign(request: SkSignRequest): Promise<SkSignResult>;
  loadResidentKeys(request: SkLoadResidentRequest): Promise<SkResidentKey[]>;
}
