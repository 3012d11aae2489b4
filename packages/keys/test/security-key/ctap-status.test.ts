/**
 * CTAP status codes (FIDO CTAP 2.1 §8.2) as SecurityKeyError kinds: the ones a caller acts on
 * (ask for a PIN, say it was wrong, say the key exists, stop waiting) and the status byte kept.
 */
import { expect, test } from 'vitest';
import { SecurityKeyError, type SecurityKeyErrorKind } from '../../src/node/security-key/backend.ts';
import { CTAP2_ERR_PIN_REQUIRED, statusError, statusName } from '../../src/node/security-key/ctap/status.ts';

test.each<[number, SecurityKeyErrorKind, RegExp]>([
  [CTAP2_ERR_PIN_REQUIRED, 'pin-required', /PUAT_REQUIRED \(0x36\)/],
  [0x31, 'pin-invalid', /wrong PIN.*PIN_INVALID/],
  [0x32, 'pin-invalid', /blocked.*reset/],
  [0x34, 'pin-invalid', /reinsert/],
  [0x2e, 'general', /does not hold this credential/],
  [0x19, 'credential-exists', /already holds/],
  [0x2d, 'cancelled', /cancelled/],
  [0x27, 'cancelled', /denied/],
  [0x2f, 'timeout', /not touched in time/],
  [0x26, 'unsupported', /key type/],
  [0x2b, 'unsupported', /option/],
  [0x35, 'general', /none is set/],
  [0x7f, 'general', /CTAP1_ERR_OTHER \(0x7f\)/],
  [0xf3, 'general', /status 0xf3/],
])('status 0x%s', (status, kind, message) => {
  const err = statusError(status, 'dev');
  expect(err).toBeInstanceOf(SecurityKeyError);
  expect(err.kind).toBe(kind);
  expect(err.status).toBe(status);
  expect(err.code).toBe('SSH_ERR_SECURITY_KEY');
  expect(err.message).toMatch(/^ssh: dev: /);
  expect(err.message).toMatch(message);
});

test('names: CTAP1 for the transport-level codes, CTAP2 for the rest', () => {
  expect(statusName(0x01)).toBe('CTAP1_ERR_INVALID_COMMAND (0x01)');
  expect(statusName(0x0b)).toBe('CTAP1_ERR_INVALID_CHANNEL (0x0b)');
  expect(statusName(0x3f)).toBe('CTAP2_ERR_UV_INVALID (0x3f)');
});
