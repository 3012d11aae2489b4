/**
 * CTAP status codes (FIDO CTAP 2.1 §8.2 "Status codes"; the CTAP1_ERR_* values are also the
 * CTAPHID ERROR codes of §11.2.9.1.6) and what each means as a `SecurityKeyError` kind.
 * @module
 */

import { SecurityKeyError, type SecurityKeyErrorKind } from '../backend.ts';

export const CTAP_STATUS = {
  OK: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  INVALID_SEQ: 0x04,
  TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  LIMIT_EXCEEDED: 0x15,
  CREDENTIAL_EXCLUDED: 0x19,
  PROCESSING: 0x21,
  INVALID_CREDENTIAL: 0x22,
  USER_ACTION_PENDING: 0x23,
  OPERATION_PENDING: 0x24,
  NO_OPERATIONS: 0x25,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  KEY_STORE_FULL: 0x28,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  REQUEST_TOO_LARGE: 0x39,
  ACTION_TIMEOUT: 0x3a,
  UP_REQUIRED: 0x3b,
  UV_BLOCKED: 0x3c,
  INTEGRITY_FAILURE: 0x3d,
  INVALID_SUBCOMMAND: 0x3e,
  UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
  OTHER: 0x7f,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(CTAP_STATUS).map(([name, code]) => [code, name]));

/** `CTAP2_ERR_PIN_INVALID (0x31)` and the like, for messages. */
export function statusName(status: number): string {
  const name = NAMES.get(status);
  const hex = `0x${status.toString(16).padStart(2, '0')}`;
  if (name === undefined) return `status ${hex}`;
  const prefix = status <= 0x0b || status === CTAP_STATUS.OTHER ? 'CTAP1_ERR_' : 'CTAP2_ERR_';
  return `${prefix}${name} (${hex})`;
}

const KINDS: ReadonlyMap<number, [SecurityKeyErrorKind, string]> = new Map([
  [CTAP_STATUS.PUAT_REQUIRED, ['pin-required', 'the security key needs a PIN']],
  [CTAP_STATUS.PIN_INVALID, ['pin-invalid', 'wrong PIN']],
  [CTAP_STATUS.PIN_BLOCKED, ['pin-invalid', 'the PIN is blocked (too many wrong PINs): the security key must be reset']],
  [CTAP_STATUS.PIN_AUTH_BLOCKED, ['pin-invalid', 'too many wrong PINs: remove and reinsert the security key before trying again']],
  [CTAP_STATUS.PIN_AUTH_INVALID, ['pin-invalid', 'the security key refused the PIN authentication']],
  [CTAP_STATUS.PIN_NOT_SET, ['general', 'user verification needs a PIN, and none is set on the security key']],
  [CTAP_STATUS.PIN_POLICY_VIOLATION, ['pin-invalid', "the PIN does not meet the security key's policy"]],
  [CTAP_STATUS.NO_CREDENTIALS, ['general', 'the security key does not hold this credential (another key, or another application)']],
  [CTAP_STATUS.CREDENTIAL_EXCLUDED, ['credential-exists', 'the security key already holds this credential']],
  [CTAP_STATUS.KEEPALIVE_CANCEL, ['cancelled', 'the operation was cancelled']],
  [CTAP_STATUS.OPERATION_DENIED, ['cancelled', 'the user denied the operation on the security key']],
  [CTAP_STATUS.USER_ACTION_TIMEOUT, ['timeout', 'the security key was not touched in time']],
  [CTAP_STATUS.ACTION_TIMEOUT, ['timeout', 'the security key timed out']],
  [CTAP_STATUS.UNSUPPORTED_ALGORITHM, ['unsupported', 'the security key does not support this key type']],
  [CTAP_STATUS.UNSUPPORTED_OPTION, ['unsupported', 'the security key does not support a requested option']],
  [CTAP_STATUS.INVALID_OPTION, ['unsupported', 'the security key refused a requested option']],
  [CTAP_STATUS.KEY_STORE_FULL, ['general', 'the security key has no room for another resident credential']],
  [CTAP_STATUS.UV_BLOCKED, ['pin-required', 'built-in user verification is blocked: a PIN is needed']],
  [CTAP_STATUS.UV_INVALID, ['pin-invalid', 'built-in user verification failed']],
]);

/** The `SecurityKeyError` for a CTAP status other than OK, keeping the status byte. */
export function statusError(status: number, context: string): SecurityKeyError {
  const known = KINDS.get(status);
  const [kind, text] = known ?? ['general', 'the security key refused the request'];
  return new SecurityKeyError(kind, `${context}: ${text} (${statusName(status)})`, { status });
}

/** CTAP 2.0 called PUAT_REQUIRED PIN_REQUIRED; the same byte. */
export const CTAP2_ERR_PIN_REQUIRED = CTAP_STATUS.PUAT_REQUIRED;
