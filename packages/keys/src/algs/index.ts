/**
 * The key algorithm table: every family, looked up by key type or by PKCS#8/SPKI OID.
 * @module
 */

import { dsaFamily } from './dsa.ts';
import { ecdsaFamily } from './ecdsa.ts';
import { eddsaFamily } from './eddsa.ts';
import type { KeyFamily } from './impl.ts';
import { rsaFamily } from './rsa.ts';
import { skFamily } from './sk.ts';

/** Every key family, in the order algorithms are preferred. */
export const KEY_FAMILIES: readonly KeyFamily[] = /* @__PURE__ */ Object.freeze([
  eddsaFamily,
  ecdsaFamily,
  rsaFamily,
  dsaFamily,
  skFamily,
]);

/** Every key type (public key blob name) supported, preferred first. */
export const KEY_TYPES: readonly string[] = KEY_FAMILIES.flatMap((f) => f.keyTypes);

/**
 * Every plain signature algorithm some key can check (never a certificate name), in family order:
 * the names a CASignatureAlgorithms-style list may hold.
 */
export const SIGNATURE_ALGORITHMS: readonly string[] = KEY_FAMILIES.flatMap((f) => f.sigAlgorithms);

export function familyForKeyType(keyType: string): KeyFamily | undefined {
  return KEY_FAMILIES.find((f) => f.keyTypes.includes(keyType));
}

export function familyForOid(oid: string): KeyFamily | undefined {
  return KEY_FAMILIES.find((f) => f.oids.includes(oid));
}

export function familyForPkcs1Label(label: string, kind: 'private' | 'public'): KeyFamily | undefined {
  return KEY_FAMILIES.find((f) => (kind === 'private' ? f.pkcs1PrivateLabels : f.pkcs1PublicLabels).includes(label));
}
