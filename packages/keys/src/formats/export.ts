/**
 * Writing keys in every supported format.
 * @module
 */

import { Writer } from '@ssh/wire';
import type { KeyImpl } from '../algs/impl.ts';
import { KeyExportError } from '../errors.ts';
import { asBytes, utf8 } from '../internal/bytes.ts';
import { armorOpenssh, encodeOpensshPrivateBinary } from './openssh-private.ts';
import { encryptLegacyPem, encryptPkcs8 } from './pbe.ts';
import { encodePem } from './pem.ts';
import { encodePpk, type PuttyEncodeOptions } from './putty.ts';
import { encodeOpensshPublic, encodeRfc4716 } from './public.ts';

export type PrivateKeyFormat = 'openssh' | 'pkcs1-pem' | 'pkcs1-der' | 'pkcs8-pem' | 'pkcs8-der' | 'putty';
export type PublicKeyFormat = 'openssh' | 'rfc4716' | 'pkcs1-pem' | 'pkcs1-der' | 'pkcs8-pem' | 'pkcs8-der';

export const PRIVATE_KEY_FORMATS: readonly PrivateKeyFormat[] = ['openssh', 'pkcs1-pem', 'pkcs1-der', 'pkcs8-pem', 'pkcs8-der', 'putty'];
export const PUBLIC_KEY_FORMATS: readonly PublicKeyFormat[] = ['openssh', 'rfc4716', 'pkcs1-pem', 'pkcs1-der', 'pkcs8-pem', 'pkcs8-der'];

export interface ExportOptions {
  /** Encrypts the key when non-empty. */
  readonly passphrase?: string | Uint8Array;
  /**
   * openssh: any @ssh/crypto cipher (aes256-ctr default). pkcs1-pem: aes128/192/256-cbc,
   * des3-cbc, des-cbc (aes256-cbc default). pkcs8, `pbeVersion` 2: those and blowfish-cbc,
   * cast128-cbc (aes256-cbc default); `pbeVersion` 1: des-cbc, des2-cbc, des3-cbc (default),
   * rc4-40, rc4-128.
   */
  readonly cipherName?: string;
  /**
   * PKCS#8 hash: with `pbeVersion` 2 the PBKDF2 PRF, sha1/224/256/384/512 (sha256 default);
   * with 1, sha1 (default; PBES1 and PKCS#12 PBE) or md5 (PBES1 des-cbc only).
   */
  readonly hashName?: string;
  /** PKCS#8 scheme, AsyncSSH's `pbe_version`: 2 (default) PBES2 with PBKDF2; 1 PBES1 (des-cbc) or PKCS#12 PBE (the others). */
  readonly pbeVersion?: 1 | 2;
  /** openssh: bcrypt rounds (16 default); pkcs8: PBKDF2 / PBES1 / PKCS#12 iterations (2048 default). */
  readonly rounds?: number;
  /** putty: PPK version (3 default). */
  readonly puttyVersion?: 2 | 3;
  /** putty v3: Argon2 parameters. */
  readonly argon2?: PuttyEncodeOptions['argon2'];
}

function publicBlobOf(impl: KeyImpl): Uint8Array {
  const w = new Writer(256).utf8(impl.algorithm);
  impl.writePublic(w);
  return w.finish();
}

export function encodePrivateKey(impl: KeyImpl, comment: Uint8Array | undefined, format: PrivateKeyFormat, options: ExportOptions): Uint8Array {
  const passphrase = options.passphrase === undefined || asBytes(options.passphrase).length === 0 ? undefined : options.passphrase;
  switch (format) {
    case 'openssh':
      return utf8(armorOpenssh(encodeOpensshPrivateBinary(impl, publicBlobOf(impl), comment, options)));
    case 'pkcs1-pem':
    case 'pkcs1-der': {
      if (!impl.pkcs1Private) throw new KeyExportError(`${impl.algorithm} keys have no PKCS#1 format`);
      const { label, der } = impl.pkcs1Private();
      if (format === 'pkcs1-der') {
        if (passphrase !== undefined) throw new KeyExportError('PKCS#1 DER cannot be encrypted; use PEM or PKCS#8');
        return der;
      }
      if (passphrase === undefined) return utf8(encodePem(label, der));
      const enc = encryptLegacyPem(der, passphrase, options.cipherName);
      return utf8(encodePem(label, enc.data, enc.headers));
    }
    case 'pkcs8-pem':
    case 'pkcs8-der': {
      if (!impl.pkcs8) throw new KeyExportError(`${impl.algorithm} keys have no PKCS#8 format`);
      let der = impl.pkcs8();
      let label = 'PRIVATE KEY';
      if (passphrase !== undefined) {
        der = encryptPkcs8(der, passphrase, options);
        label = 'ENCRYPTED PRIVATE KEY';
      }
      return format === 'pkcs8-der' ? der : utf8(encodePem(label, der));
    }
    case 'putty': {
      const putty: PuttyEncodeOptions = {
        ...(passphrase === undefined ? {} : { passphrase }),
        ...(options.puttyVersion === undefined ? {} : { version: options.puttyVersion }),
        ...(options.argon2 === undefined ? {} : { argon2: options.argon2 }),
      };
      return utf8(encodePpk(impl, publicBlobOf(impl), comment, putty));
    }
    default:
      throw new KeyExportError(`unknown private key format ${JSON.stringify(format)}`);
  }
}

export function encodePublicKey(impl: KeyImpl, blob: Uint8Array, comment: string | undefined, format: PublicKeyFormat): Uint8Array {
  switch (format) {
    case 'openssh':
      return utf8(encodeOpensshPublic(impl.algorithm, blob, comment));
    case 'rfc4716':
      return utf8(encodeRfc4716(blob, comment));
    case 'pkcs1-pem':
    case 'pkcs1-der': {
      if (!impl.pkcs1Public) throw new KeyExportError(`${impl.algorithm} keys have no PKCS#1 public format`);
      const { label, der } = impl.pkcs1Public();
      return format === 'pkcs1-der' ? der : utf8(encodePem(label, der));
    }
    case 'pkcs8-pem':
    case 'pkcs8-der': {
      if (!impl.spki) throw new KeyExportError(`${impl.algorithm} keys have no PKCS#8 public format`);
      const der = impl.spki();
      return format === 'pkcs8-der' ? der : utf8(encodePem('PUBLIC KEY', der));
    }
    default:
      throw new KeyExportError(`unknown public key format ${JSON.stringify(format)}`);
  }
}

