/**
 * Authenticator data. WebAuthn Level 2 §6.1 (rpIdHash, flags, signCount, attested credential
 * data, extensions), as CTAP 2.1 §6.1 and §6.2 return it. What comes back from a device is
 * checked against what was asked: the rpIdHash must be SHA-256 of the application.
 * @module
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { WireError } from '@ssh/wire';
import { SecurityKeyError } from '../backend.ts';
import { asMap, decodeCborPrefix } from './cbor.ts';
import { type ParsedCoseKey, parseCoseKey } from './cose.ts';

/** Authenticator data flag bits. WebAuthn §6.1. */
export const AUTH_DATA_FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredential {
  readonly aaguid: Uint8Array;
  readonly credentialId: Uint8Array;
  readonly publicKey: ParsedCoseKey;
}

export interface AuthenticatorData {
  readonly rpIdHash: Uint8Array;
  readonly flags: number;
  readonly counter: number;
  readonly credential: AttestedCredential | undefined;
  /** The extensions CBOR map as sent (empty when the ED flag is clear). */
  readonly extensions: Uint8Array;
}

const HEADER = 37;
const MAX_CREDENTIAL_ID = 1023;

/** Parse authenticator data; every structural problem is a `WireError` naming the part. */
export function parseAuthenticatorData(data: Uint8Array): AuthenticatorData {
  if (data.length < HEADER) throw new WireError('truncated', 'authenticator data', data.length, `${data.length} bytes, at least ${HEADER} needed`);
  const flags = data[32] as number;
  const counter = (((data[33] as number) << 24) | ((data[34] as number) << 16) | ((data[35] as number) << 8) | (data[36] as number)) >>> 0;
  let at = HEADER;
  let credential: AttestedCredential | undefined;
  if (flags & AUTH_DATA_FLAG.AT) {
    if (data.length < at + 18) throw new WireError('truncated', 'attested credential data', at, 'AAGUID and credential id length cut short');
    const aaguid = data.slice(at, at + 16);
    const idLen = ((data[at + 16] as number) << 8) | (data[at + 17] as number);
    at += 18;
    if (idLen > MAX_CREDENTIAL_ID) throw new WireError('too-long', 'credential id', at - 2, `${idLen} bytes, at most ${MAX_CREDENTIAL_ID}`);
    if (data.length < at + idLen) throw new WireError('truncated', 'credential id', at, `${idLen} bytes announced, ${data.length - at} remain`);
    const credentialId = data.slice(at, at + idLen);
    at += idLen;
    const key = decodeCborPrefix(data.subarray(at), { maxDepth: 2 });
    const publicKey = parseCoseKey(asMap(key.value, 'credential public key'));
    at += key.end;
    credential = { aaguid, credentialId, publicKey };
  }
  let extensions: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  if (flags & AUTH_DATA_FLAG.ED) {
    const ext = decodeCborPrefix(data.subarray(at), { maxDepth: 8 });
    asMap(ext.value, 'extensions');
    extensions = data.slice(at, at + ext.end);
    at += ext.end;
  }
  if (at !== data.length) throw new WireError('trailing-data', 'authenticator data', at, `${data.length - at} bytes after the announced parts`);
  return { rpIdHash: data.slice(0, 32), flags, counter, credential, extensions };
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return createHash('sha256').update(data).digest();
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parse and check that the data is for `application` (a device answering for another RP is lying or confused). */
export function checkedAuthenticatorData(data: Uint8Array, application: string): AuthenticatorData {
  let parsed: AuthenticatorData;
  try {
    parsed = parseAuthenticatorData(data);
  } catch (cause) {
    throw new SecurityKeyError('general', `malformed authenticator data from the security key: ${(cause as Error).message}`, { cause });
  }
  if (!equalBytes(parsed.rpIdHash, sha256(application))) {
    throw new SecurityKeyError('general', `the security key answered for another relying party than ${JSON.stringify(application)} (rpIdHash mismatch)`);
  }
  return parsed;
}
