/**
 * Importing keys from any supported format, detected from the data itself.
 * @module
 */

import { Reader, SshError } from '@ssh/wire';
import { familyForKeyType } from './algs/index.ts';
import type { KeyImpl } from './algs/impl.ts';
import { KeyEncryptionError, KeyImportError } from './errors.ts';
import { decodeOpensshPrivateBinary, isOpensshPrivateBinary, OPENSSH_LABEL } from './formats/openssh-private.ts';
import { decryptLegacyPem, decryptPkcs8, isEncryptedPkcs8, parseDecrypted } from './formats/pbe.ts';
import { decodePemBlocks, type PemBlock } from './formats/pem.ts';
import { decodePpk, isPpk } from './formats/putty.ts';
import { decodePkcs1Private, decodePkcs1Public, decodePkcs8, decodeSpki, tryEach } from './formats/pkcs.ts';
import { decodeRfc4716Blocks, parseOpensshPublicLine } from './formats/public.ts';
import { latin1, utf8 } from './internal/bytes.ts';
import { SSHKey } from './key.ts';

/** Key data: text, or bytes (text formats as UTF-8, or binary DER / openssh-key-v1 / SSH blob). */
export type KeyData = string | Uint8Array;
/** A passphrase as text (UTF-8) or bytes. */
export type Passphrase = string | Uint8Array;

/** Runs an import, turning anything but our typed errors into a KeyImportError. */
export function guardImport<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof KeyImportError || e instanceof KeyEncryptionError) throw e;
    if (e instanceof SshError) throw new KeyImportError(e.message.slice(5), { cause: e });
    throw new KeyImportError('invalid key data', { cause: e });
  }
}

function asText(data: KeyData): string {
  return typeof data === 'string' ? data : latin1(data);
}

function asBinary(data: KeyData): Uint8Array {
  return typeof data === 'string' ? utf8(data) : data;
}

const PRIVATE_LABELS = new Set([OPENSSH_LABEL, 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'DSA PRIVATE KEY', 'EC PRIVATE KEY']);

function privateFromPem(block: PemBlock, passphrase: Passphrase | undefined): SSHKey[] {
  switch (block.label) {
    case OPENSSH_LABEL:
      return decodeOpensshPrivateBinary(block.data, passphrase).map((k) => new SSHKey(k.impl, k.comment));
    case 'PRIVATE KEY':
      return [new SSHKey(decodePkcs8(block.data))];
    case 'ENCRYPTED PRIVATE KEY': {
      const plain = decryptPkcs8(block.data, passphrase);
      return [new SSHKey(parseDecrypted(() => decodePkcs8(plain)))];
    }
    default: {
      if (block.headers.get('Proc-Type')?.includes('ENCRYPTED')) {
        const plain = decryptLegacyPem(block.headers, block.data, passphrase);
        return [new SSHKey(parseDecrypted(() => decodePkcs1Private(plain, block.label)))];
      }
      return [new SSHKey(decodePkcs1Private(block.data, block.label))];
    }
  }
}

function privateFromBinary(data: Uint8Array, passphrase: Passphrase | undefined): SSHKey[] {
  if (isOpensshPrivateBinary(data)) {
    return decodeOpensshPrivateBinary(data, passphrase).map((k) => new SSHKey(k.impl, k.comment));
  }
  if (isEncryptedPkcs8(data)) {
    const plain = decryptPkcs8(data, passphrase);
    return [new SSHKey(parseDecrypted(() => decodePkcs8(plain)))];
  }
  return [new SSHKey(tryEach([() => decodePkcs8(data), () => decodePkcs1Private(data)]))];
}

/** Every private key in `data` (several PEM blocks, or several keys in one openssh-key-v1 file). */
export function importPrivateKeyList(data: KeyData, passphrase?: Passphrase): SSHKey[] {
  return guardImport(() => {
    const text = asText(data);
    if (isPpk(text)) {
      const k = decodePpk(typeof data === 'string' ? data : new TextDecoder().decode(data), passphrase);
      return [new SSHKey(k.impl, k.comment)];
    }
    if (text.includes('-----BEGIN ')) {
      const blocks = decodePemBlocks(text).filter((b) => PRIVATE_LABELS.has(b.label));
      if (blocks.length === 0) throw new KeyImportError('no private key found');
      return blocks.flatMap((b) => privateFromPem(b, passphrase));
    }
    return privateFromBinary(asBinary(data), passphrase);
  });
}

/**
 * A private key in any supported format: openssh-key-v1, PKCS#1 / SEC1 / DSA (PEM, DER, legacy
 * PEM encryption), PKCS#8 (PEM, DER, PBES1/PBES2 encrypted), PuTTY .ppk v2/v3. Throws KeyEncryptionError when the
 * passphrase is missing or wrong, KeyImportError for anything else it cannot read.
 */
export function importPrivateKey(data: KeyData, passphrase?: Passphrase): SSHKey {
  return importPrivateKeyList(data, passphrase)[0] as SSHKey;
}

/** Decodes an SSH public key blob (RFC 4253 §6.6). */
export function decodePublicBlob(blob: Uint8Array): KeyImpl {
  return guardImport(() => {
    const r = new Reader(blob);
    const keyType = r.utf8('key type', 256);
    const family = familyForKeyType(keyType);
    if (!family) throw new KeyImportError(`unknown key type ${JSON.stringify(keyType)}`);
    const impl = family.decodePublic(keyType, r);
    r.end('public key');
    return impl;
  });
}

function publicFromText(text: string): SSHKey[] {
  if (text.includes('---- BEGIN SSH2 PUBLIC KEY ----')) {
    return decodeRfc4716Blocks(text).map((b) => new SSHKey(decodePublicBlob(b.blob), b.comment));
  }
  if (text.includes('-----BEGIN ')) {
    const out: SSHKey[] = [];
    for (const block of decodePemBlocks(text)) {
      if (block.label === 'PUBLIC KEY') out.push(new SSHKey(decodeSpki(block.data)));
      else if (block.label === 'RSA PUBLIC KEY') out.push(new SSHKey(decodePkcs1Public(block.data, block.label)));
    }
    return out;
  }
  const out: SSHKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = parseOpensshPublicLine(line);
    if (!parsed) throw new KeyImportError('not an OpenSSH public key line');
    out.push(new SSHKey(decodePublicBlob(parsed.blob), parsed.comment));
  }
  return out;
}

function looksLikeBlob(data: Uint8Array): boolean {
  if (data.length < 8) return false;
  const n = ((data[0] as number) << 24) | ((data[1] as number) << 16) | ((data[2] as number) << 8) | (data[3] as number);
  if (n < 3 || n > 64 || n + 4 > data.length) return false;
  for (let i = 4; i < 4 + n; i++) {
    const c = data[i] as number;
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** Every public key in `data`. */
export function importPublicKeyList(data: KeyData): SSHKey[] {
  return guardImport(() => {
    if (typeof data !== 'string') {
      if (looksLikeBlob(data)) return [new SSHKey(decodePublicBlob(data))];
      if (data[0] === 0x30) return [new SSHKey(tryEach([() => decodeSpki(data), () => decodePkcs1Public(data)]))];
    }
    const keys = publicFromText(asText(data));
    if (keys.length === 0) throw new KeyImportError('no public key found');
    return keys;
  });
}

/** A public key in any supported format: OpenSSH line, RFC 4716, PKCS#1/PKCS#8 PEM or DER, or a raw SSH blob. */
export function importPublicKey(data: KeyData): SSHKey {
  return importPublicKeyList(data)[0] as SSHKey;
}

/**
 * Reads a private key's fields (as `SSHKey.encodePrivateFields` writes them) of key type
 * `keyType` from `r`, leaving the reader after them: what an ssh-agent ADD_IDENTITY body holds
 * before its comment and constraints.
 */
export function readPrivateKeyFields(keyType: string, r: Reader, comment?: string | Uint8Array): SSHKey {
  return guardImport(() => {
    const family = familyForKeyType(keyType);
    if (!family) throw new KeyImportError(`unknown key type ${JSON.stringify(keyType)}`);
    return new SSHKey(family.decodePrivate(keyType, r), comment);
  });
}
