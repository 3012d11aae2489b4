/**
 * CTAP1/U2F for tokens that do not speak CTAP2. FIDO U2F Raw Message Formats v1.2 §4
 * (registration: 0x05, user public key, key handle, attestation certificate, signature) and §5
 * (authentication: presence byte, counter, signature), sent as extended-length APDUs over
 * CTAPHID_MSG. Only ECDSA P-256: U2F has no other key type. A token that waits for a touch answers
 * SW_CONDITIONS_NOT_SATISFIED at once, so the request is repeated until it is touched.
 * @module
 */

import { WireError } from '@ssh/wire';
import { SecurityKeyError } from '../backend.ts';
import { DerReader, TAG } from '../../../asn1.ts';
import { readDer } from './cose.ts';
import { CTAPHID, type CtapHidChannel, type CtapOperation, KEEPALIVE_STATUS } from './ctaphid.ts';

export const U2F_INS = { REGISTER: 0x01, AUTHENTICATE: 0x02, VERSION: 0x03 } as const;
/** Authentication control byte (P1). §5.1. */
export const U2F_AUTH = { ENFORCE_PRESENCE_AND_SIGN: 0x03, CHECK_ONLY: 0x07, DONT_ENFORCE_PRESENCE_AND_SIGN: 0x08 } as const;
export const SW = { NO_ERROR: 0x9000, CONDITIONS_NOT_SATISFIED: 0x6985, WRONG_DATA: 0x6a80, WRONG_LENGTH: 0x6700, CLA_NOT_SUPPORTED: 0x6e00, INS_NOT_SUPPORTED: 0x6d00 } as const;

const POLL_MS = 100;

/** An extended-length command APDU: CLA INS P1 P2, then 0 Lc(2) data, then Le(2) = 0 (up to 65536 bytes back). §3.1.1. */
export function buildApdu(ins: number, p1: number, data: Uint8Array): Uint8Array {
  if (data.length > 0xffff) throw new SecurityKeyError('general', 'U2F request too long');
  const apdu = new Uint8Array(7 + data.length + 2);
  apdu.set([0x00, ins, p1, 0x00, 0x00, data.length >>> 8, data.length & 0xff]);
  apdu.set(data, 7);
  return apdu;
}

/** A response APDU's data and status word. */
export function splitResponse(response: Uint8Array): { data: Uint8Array; sw: number } {
  if (response.length < 2) throw new SecurityKeyError('general', 'U2F response without a status word');
  const n = response.length;
  return { data: response.subarray(0, n - 2), sw: ((response[n - 2] as number) << 8) | (response[n - 1] as number) };
}

export interface U2fRegistration {
  /** The uncompressed P-256 point. */
  readonly publicKey: Uint8Array;
  readonly keyHandle: Uint8Array;
  readonly certificate: Uint8Array;
  /** DER ECDSA over 0x00 || application || challenge || key handle || public key, by the certificate's key. */
  readonly signature: Uint8Array;
}

export interface U2fAuthentication {
  /** The user presence byte (bit 0: the user touched the token). */
  readonly flags: number;
  readonly counter: number;
  /** DER ECDSA over application || flags || counter || challenge. */
  readonly signature: Uint8Array;
}

/** Parse a registration response message. §4.3. */
export function parseRegistration(data: Uint8Array): U2fRegistration {
  if (data[0] !== 0x05) throw new WireError('invalid-value', 'U2F registration', 0, 'reserved byte is not 0x05');
  if (data.length < 67 || data[1] !== 0x04) throw new WireError('truncated', 'U2F registration public key', 1, 'not a 65-byte uncompressed point');
  const publicKey = data.slice(1, 66);
  const khLen = data[66] as number;
  if (khLen === 0 || data.length < 67 + khLen) throw new WireError('truncated', 'U2F key handle', 66, `${khLen} bytes announced`);
  const keyHandle = data.slice(67, 67 + khLen);
  const certAt = 67 + khLen;
  // The certificate's own DER length says where the signature after it starts.
  const cert = readDer('U2F attestation certificate', () => new DerReader(data.subarray(certAt), certAt).expect(TAG.SEQUENCE, 'certificate'));
  const end = certAt + cert.raw.length;
  const signature = data.slice(end);
  if (signature.length === 0) throw new WireError('truncated', 'U2F registration signature', end, 'missing');
  return { publicKey, keyHandle, certificate: data.slice(certAt, end), signature };
}

/** Parse an authentication response message. §5.4. */
export function parseAuthentication(data: Uint8Array): U2fAuthentication {
  if (data.length < 6) throw new WireError('truncated', 'U2F authentication', data.length, 'shorter than presence, counter and a signature');
  const counter = (((data[1] as number) << 24) | ((data[2] as number) << 16) | ((data[3] as number) << 8) | (data[4] as number)) >>> 0;
  return { flags: data[0] as number, counter, signature: data.slice(5) };
}

function swError(path: string, what: string, sw: number): SecurityKeyError {
  const hex = `0x${sw.toString(16).padStart(4, '0')}`;
  if (sw === SW.INS_NOT_SUPPORTED || sw === SW.CLA_NOT_SUPPORTED) return new SecurityKeyError('unsupported', `${path}: ${what}: the token does not support U2F (SW ${hex})`, { status: sw });
  return new SecurityKeyError('general', `${path}: ${what}: the token refused (SW ${hex})`, { status: sw });
}

/** Send one APDU, repeating it while the token waits for a touch; the data of the 0x9000 answer. */
async function exchange(channel: CtapHidChannel, apdu: Uint8Array, op: CtapOperation, what: string): Promise<Uint8Array> {
  let asked = false;
  for (;;) {
    const { data, sw } = splitResponse(await channel.transact(CTAPHID.MSG, apdu, op));
    if (sw === SW.NO_ERROR) return data;
    if (sw !== SW.CONDITIONS_NOT_SATISFIED) throw swError(channel.device.path, what, sw);
    if (op.abandoned?.() === true) throw new SecurityKeyError('cancelled', `${channel.device.path}: ${what}: another security key was chosen`);
    if (!asked) op.onKeepalive?.(KEEPALIVE_STATUS.UPNEEDED, channel.device.path);
    asked = true;
    const remaining = op.deadline - Date.now();
    if (remaining <= 0) throw new SecurityKeyError('timeout', `${channel.device.path}: the security key was not touched in time`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, remaining)));
  }
}

export async function u2fRegister(channel: CtapHidChannel, challenge: Uint8Array, application: Uint8Array, op: CtapOperation): Promise<U2fRegistration> {
  const data = new Uint8Array(64);
  data.set(challenge, 0);
  data.set(application, 32);
  const response = await exchange(channel, buildApdu(U2F_INS.REGISTER, 0x00, data), op, 'U2F register');
  try {
    return parseRegistration(response);
  } catch (cause) {
    throw new SecurityKeyError('general', `${channel.device.path}: malformed U2F registration: ${(cause as Error).message}`, { cause });
  }
}

function authenticateApdu(control: number, challenge: Uint8Array, application: Uint8Array, keyHandle: Uint8Array): Uint8Array {
  if (keyHandle.length > 255) throw new SecurityKeyError('general', 'a U2F key handle has at most 255 bytes');
  const data = new Uint8Array(65 + keyHandle.length);
  data.set(challenge, 0);
  data.set(application, 32);
  data[64] = keyHandle.length;
  data.set(keyHandle, 65);
  return buildApdu(U2F_INS.AUTHENTICATE, control, data);
}

export async function u2fAuthenticate(channel: CtapHidChannel, challenge: Uint8Array, application: Uint8Array, keyHandle: Uint8Array, op: CtapOperation): Promise<U2fAuthentication> {
  const apdu = authenticateApdu(U2F_AUTH.ENFORCE_PRESENCE_AND_SIGN, challenge, application, keyHandle);
  const response = await exchange(channel, apdu, op, 'U2F authenticate');
  try {
    return parseAuthentication(response);
  } catch (cause) {
    throw new SecurityKeyError('general', `${channel.device.path}: malformed U2F authentication: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Whether the token made this key handle for this application, without a touch: check-only
 * answers SW_CONDITIONS_NOT_SATISFIED for its own key handles and SW_WRONG_DATA otherwise. §5.1.
 */
export async function u2fKnowsKeyHandle(channel: CtapHidChannel, application: Uint8Array, keyHandle: Uint8Array, op: CtapOperation): Promise<boolean> {
  const apdu = authenticateApdu(U2F_AUTH.CHECK_ONLY, new Uint8Array(32), application, keyHandle);
  const { sw } = splitResponse(await channel.transact(CTAPHID.MSG, apdu, op));
  if (sw === SW.CONDITIONS_NOT_SATISFIED || sw === SW.NO_ERROR) return true;
  if (sw === SW.WRONG_DATA) return false;
  throw swError(channel.device.path, 'U2F check-only', sw);
}
