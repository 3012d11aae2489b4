/**
 * Security-key (FIDO/U2F) keys: sk-ecdsa-sha2-nistp256@openssh.com and sk-ssh-ed25519@openssh.com
 * (OpenSSH PROTOCOL.u2f), with verification of sk and webauthn-sk signatures. Signing needs the
 * authenticator, which only an asynchronous call can reach (@ssh/keys/node's security-key
 * module): here the synchronous `sign` fails, and skKeyParts/skKeyFromParts let that module
 * read a key's handle and build keys from what an authenticator returns.
 * @module
 */

import { createHash } from 'node:crypto';
import { Reader, Writer } from '@ssh/wire';
import { KeyImportError, SignatureError } from '../errors.ts';
import { concat, toBase64Url, utf8 } from '../internal/bytes.ts';
import { EcdsaKey, ecdsaFamily } from './ecdsa.ts';
import { type EdKey, eddsaFamily } from './eddsa.ts';
import { safeVerify, unsupported, type KeyFamily, type KeyImpl } from './impl.ts';

export const SK_ECDSA = 'sk-ecdsa-sha2-nistp256@openssh.com';
export const SK_ED25519 = 'sk-ssh-ed25519@openssh.com';
export const WEBAUTHN_SK_ECDSA = 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com';

/** Signature flags (PROTOCOL.u2f): the user touched the token (presence), and proved who they are. */
export const SK_USER_PRESENCE_REQD = 0x01;
export const SK_USER_VERIFICATION_REQD = 0x04;

/**
 * The flags byte of a security-key signature blob (what the token attests: presence,
 * verification), or undefined when `signature` is not one or is malformed. The flags are signed,
 * so they mean something only once the signature has verified.
 */
export function skSignatureFlags(signature: Uint8Array): number | undefined {
  try {
    const r = new Reader(signature);
    const algorithm = r.latin1('signature algorithm');
    if (algorithm !== SK_ECDSA && algorithm !== SK_ED25519 && algorithm !== WEBAUTHN_SK_ECDSA) return undefined;
    r.bytes('signature');
    return r.u8('flags');
  } catch {
    return undefined;
  }
}

const SK_ECDSA_SIGS: readonly string[] = [SK_ECDSA, WEBAUTHN_SK_ECDSA];
const SK_ED25519_SIGS: readonly string[] = [SK_ED25519];

/** Token-held private material: only a handle the token understands. */
export interface SkPrivate {
  readonly flags: number;
  readonly keyHandle: Uint8Array;
  readonly reserved: Uint8Array;
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** What the token signed: SHA256(application) || flags || counter || extensions || SHA256(message). */
function signedBlob(application: string, flags: number, counter: number, extensions: Uint8Array, messageHash: Uint8Array): Uint8Array {
  const head = new Writer(64).raw(sha256(utf8(application))).u8(flags).u32(counter).finish();
  return concat(head, extensions, messageHash);
}

class SkKey implements KeyImpl {
  readonly inner: EcdsaKey | EdKey;
  readonly application: string;
  readonly priv: SkPrivate | undefined;
  readonly external = true;

  constructor(inner: EcdsaKey | EdKey, application: string, priv?: SkPrivate) {
    this.inner = inner;
    this.application = application;
    this.priv = priv;
  }

  private get isEcdsa(): boolean {
    return this.inner instanceof EcdsaKey;
  }

  get algorithm(): string {
    return this.isEcdsa ? SK_ECDSA : SK_ED25519;
  }

  get sigAlgorithms(): readonly string[] {
    return this.isEcdsa ? SK_ECDSA_SIGS : SK_ED25519_SIGS;
  }

  get label(): string {
    return this.isEcdsa ? 'ECDSA-SK' : 'ED25519-SK';
  }

  get bits(): number {
    return 256;
  }

  get hasPrivate(): boolean {
    return this.priv !== undefined;
  }

  writePublic(w: Writer): void {
    this.inner.writePublic(w);
    w.utf8(this.application);
  }

  writePrivate(w: Writer): void {
    if (!this.priv) throw new KeyImportError('security key has no private part');
    this.writePublic(w);
    w.u8(this.priv.flags).bytes(this.priv.keyHandle).bytes(this.priv.reserved);
  }

  sign(): Uint8Array {
    throw new SignatureError('a security key signs through its authenticator: use SSHSkKeyPair or signWithSecurityKey from @ssh/keys/node');
  }

  verify(sigAlgorithm: string, data: Uint8Array, body: Reader): boolean {
    if (!this.sigAlgorithms.includes(sigAlgorithm)) return false;
    return safeVerify(() => {
      const sig = body.bytes('signature');
      const flags = body.u8('flags');
      const counter = body.u32('counter');
      if (sigAlgorithm === WEBAUTHN_SK_ECDSA) {
        const origin = body.utf8('origin');
        const clientData = body.bytes('clientData');
        const extensions = body.bytes('extensions');
        body.end('signature');
        const expected = utf8(`{"type":"webauthn.get","challenge":"${toBase64Url(data)}","origin":"${origin}"`);
        if (clientData.length < expected.length) return false;
        for (let i = 0; i < expected.length; i++) if (clientData[i] !== expected[i]) return false;
        const blob = signedBlob(this.application, flags, counter, extensions, sha256(clientData));
        return (this.inner as EcdsaKey).verifyP1363(blob, new Reader(sig));
      }
      body.end('signature');
      const blob = signedBlob(this.application, flags, counter, new Uint8Array(0), sha256(data));
      return this.inner instanceof EcdsaKey ? this.inner.verifyP1363(blob, new Reader(sig)) : this.inner.verifyRaw(blob, sig);
    });
  }

  toPublic(): KeyImpl {
    return new SkKey(this.inner, this.application);
  }
}

function innerType(keyType: string): string {
  return keyType === SK_ECDSA ? 'ecdsa-sha2-nistp256' : 'ssh-ed25519';
}

function innerFamily(keyType: string): KeyFamily {
  return keyType === SK_ECDSA ? ecdsaFamily : eddsaFamily;
}

export const skFamily: KeyFamily = {
  keyTypes: [SK_ECDSA, SK_ED25519],
  sigAlgorithms: [...SK_ECDSA_SIGS, ...SK_ED25519_SIGS],
  oids: [],
  pkcs1PrivateLabels: [],
  pkcs1PublicLabels: [],
  decodePublic(keyType, r) {
    const inner = innerFamily(keyType).decodePublic(innerType(keyType), r) as EcdsaKey | EdKey;
    return new SkKey(inner, r.utf8('application'));
  },
  decodePrivate(keyType, r) {
    const inner = innerFamily(keyType).decodePublic(innerType(keyType), r) as EcdsaKey | EdKey;
    const application = r.utf8('application');
    const flags = r.u8('flags');
    const keyHandle = r.bytes('key handle');
    const reserved = r.bytes('reserved');
    return new SkKey(inner, application, { flags, keyHandle, reserved });
  },
  fromPkcs8: () => unsupported('PKCS#8'),
  fromSpki: () => unsupported('SPKI'),
  fromPkcs1Private: () => unsupported('PKCS#1'),
  fromPkcs1Public: () => unsupported('PKCS#1'),
};

/** What a security key is made of: its authenticator's public key, application and, when private, handle. */
export interface SkKeyParts {
  readonly alg: 'ecdsa' | 'ed25519';
  /** ECDSA: the uncompressed P-256 point (65 bytes); Ed25519: the 32-byte key. */
  readonly publicKey: Uint8Array;
  readonly application: string;
  /** Present for a private key (a handle file or a resident credential). */
  readonly private?: SkPrivate;
}

/** The parts of a security key, or undefined when `impl` is not one. */
export function skKeyParts(impl: KeyImpl): SkKeyParts | undefined {
  if (!(impl instanceof SkKey)) return undefined;
  const w = new Writer(128);
  impl.inner.writePublic(w);
  const r = new Reader(w.finish());
  if (impl.inner instanceof EcdsaKey) r.latin1('curve');
  const publicKey = r.bytes('public key');
  return { alg: impl.inner instanceof EcdsaKey ? 'ecdsa' : 'ed25519', publicKey, application: impl.application, ...(impl.priv ? { private: impl.priv } : {}) };
}

/** A security key from its parts (a bad point or key length is a KeyImportError). */
export function skKeyFromParts(parts: SkKeyParts): KeyImpl {
  const keyType = parts.alg === 'ecdsa' ? SK_ECDSA : SK_ED25519;
  const w = new Writer(128);
  if (parts.alg === 'ecdsa') w.latin1('nistp256');
  w.bytes(parts.publicKey);
  const r = new Reader(w.finish());
  const inner = innerFamily(keyType).decodePublic(innerType(keyType), r) as EcdsaKey | EdKey;
  return new SkKey(inner, parts.application, parts.private);
}
