/**
 * Keys on PKCS#11 tokens (smart cards, YubiKey PIV, HSMs, SoftHSM), as AsyncSSH's
 * `load_pkcs11_keys`: the private key never leaves the token, which signs through the provider
 * module (the native binding of @ssh/crypto-native loads it; signatures run on the thread pool).
 * RSA (ssh-rsa, rsa-sha2-256/512 as PKCS#1 v1.5 over a DigestInfo), NIST ECDSA P-256/384/521 and
 * Ed25519 (CKM_EDDSA) keys; X.509 certificates with a key's CKA_ID come along with it.
 * @module
 */

import { createHash } from 'node:crypto';
import { nativePkcs11, nativeStatus, type NativePkcs11, type Pkcs11Module } from '@ssh/crypto-native';
import { SshError, Writer } from '@ssh/wire';
import { p1363SignatureBlob } from '../algs/ecdsa.ts';
import { RSA_SIG_HASHES } from '../algs/rsa.ts';
import { importPublicKey, importX509Certificate } from '../index.ts';
import type { SSHKey } from '../key.ts';
import type { SSHX509Certificate } from '../x509/certificate.ts';

/** A PKCS#11 failure: the provider cannot be loaded, the PIN is wrong, the token refused to sign. */
export class Pkcs11Error extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.Pkcs11Error');
  /** The CK_RV of the failing call, when a PKCS#11 call failed. */
  readonly rv: number | undefined;

  constructor(message: string, options?: { cause?: unknown; rv?: number }) {
    super('SSH_ERR_PKCS11', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.rv = options?.rv;
  }
}

export interface LoadPkcs11KeysOptions {
  /** Whether X.509 certificates on the token are loaded with the keys they certify (default true). */
  readonly loadCerts?: boolean;
  /** Only the token with this label. */
  readonly tokenLabel?: string;
  /** Only the token with this serial number (text, or its bytes). */
  readonly tokenSerial?: string | Uint8Array;
  /** Only the key with this label. */
  readonly keyLabel?: string;
  /** Only the key with this CKA_ID (bytes, or hex text). */
  readonly keyId?: string | Uint8Array;
}

// PKCS#11 constants (the standard's numbers).
const CKO_CERTIFICATE = 1;
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;
const CKA_LABEL = 0x3;
const CKA_VALUE = 0x11;
const CKA_CERTIFICATE_TYPE = 0x80;
const CKA_KEY_TYPE = 0x100;
const CKA_ID = 0x102;
const CKA_SIGN = 0x108;
const CKA_MODULUS = 0x120;
const CKA_PUBLIC_EXPONENT = 0x122;
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;
const CKK_RSA = 0;
const CKK_EC = 3;
const CKK_EC_EDWARDS = 0x40;
const CKC_X_509 = 0;
const CKM_RSA_PKCS = 0x1;
const CKM_ECDSA = 0x1041;
const CKM_EDDSA = 0x1057;
const CKF_LOGIN_REQUIRED = 0x4;
const CKF_PROTECTED_AUTHENTICATION_PATH = 0x100;

/** CK_RV names for the failures a user can do something about. */
const RV_NAMES: Readonly<Record<number, string>> = {
  0x5: 'CKR_GENERAL_ERROR',
  0x6: 'CKR_FUNCTION_FAILED',
  0x30: 'CKR_DEVICE_ERROR',
  0x32: 'CKR_DEVICE_REMOVED',
  0x82: 'CKR_OBJECT_HANDLE_INVALID',
  0xa0: 'CKR_PIN_INCORRECT',
  0xa2: 'CKR_PIN_LEN_RANGE',
  0xa3: 'CKR_PIN_EXPIRED',
  0xa4: 'CKR_PIN_LOCKED',
  0xb0: 'CKR_SESSION_CLOSED',
  0xb3: 'CKR_SESSION_HANDLE_INVALID',
  0xe0: 'CKR_TOKEN_NOT_PRESENT',
  0x101: 'CKR_USER_NOT_LOGGED_IN',
};

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1) by hash, for the hashes SSH's RSA signatures use. */
const DIGEST_INFO: Readonly<Record<string, string>> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** NIST curves by the DER of their OID in CKA_EC_PARAMS. */
const CURVES: Readonly<Record<string, { readonly name: string; readonly hash: string; readonly size: number }>> = {
  '06082a8648ce3d030107': { name: 'nistp256', hash: 'sha256', size: 32 },
  '06052b81040022': { name: 'nistp384', hash: 'sha384', size: 48 },
  '06052b81040023': { name: 'nistp521', hash: 'sha512', size: 66 },
};

/** Ed25519 in CKA_EC_PARAMS: its OID (RFC 8410), or the PrintableString "edwards25519" of PKCS#11 3.0. */
const ED25519_PARAMS = new Set(['06032b6570', '130c656477617264733235353139']);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function pkcs11Error(cause: unknown, doing: string): Pkcs11Error {
  if (cause instanceof Pkcs11Error) return cause;
  const rv = (cause as { rv?: unknown }).rv;
  if (typeof rv === 'number') {
    const name = RV_NAMES[rv] ?? `CK_RV 0x${rv.toString(16)}`;
    return new Pkcs11Error(`PKCS#11: ${doing}: ${name}`, { cause, rv });
  }
  return new Pkcs11Error(`PKCS#11: ${doing}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

function binding(): NativePkcs11 {
  const p11 = nativePkcs11();
  if (p11 === undefined) {
    const { available, reason } = nativeStatus();
    throw new Pkcs11Error(`PKCS#11 needs the native binding of @ssh/crypto-native (${available ? 'built without PKCS#11 support' : reason})`);
  }
  return p11;
}

/**
 * One loaded module per provider path for the life of the process: a provider is initialized once
 * per process (a second C_Initialize is refused), and its sessions outlive any one call.
 */
const modules = new Map<string, Pkcs11Module>();

function loadModule(p11: NativePkcs11, provider: string): Pkcs11Module {
  let module = modules.get(provider);
  if (module === undefined) {
    try {
      module = p11.load(provider);
    } catch (cause) {
      throw pkcs11Error(cause, `cannot load ${provider}`);
    }
    modules.set(provider, module);
  }
  return module;
}

/**
 * A logged-in token: one session for finding objects and reading attributes (on the main thread)
 * and another, opened on first use, for signing (on the thread pool). PKCS#11 leaves it to the
 * application never to use a session from two threads at once, and a session runs one operation
 * at a time: signatures queue on theirs, and lookups never touch it.
 */
class TokenSession {
  readonly p11: NativePkcs11;
  readonly module: Pkcs11Module;
  readonly session: number;
  readonly slot: number;
  readonly tokenLabel: string;
  /** A digest of the PIN that logged in (undefined: none did), to refuse a different one later. */
  readonly pinDigest: string | undefined;
  private signSession: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(p11: NativePkcs11, module: Pkcs11Module, session: number, slot: number, tokenLabel: string, pinDigest: string | undefined) {
    this.p11 = p11;
    this.module = module;
    this.session = session;
    this.slot = slot;
    this.tokenLabel = tokenLabel;
    this.pinDigest = pinDigest;
  }

  sign(key: number, mechanism: number, data: Uint8Array): Promise<Uint8Array> {
    const run = this.queue.then(() => {
      // Login belongs to the token: a session opened after it is logged in too.
      this.signSession ??= this.p11.openSession(this.module, this.slot);
      return this.p11.sign(this.module, this.signSession, key, mechanism, data);
    });
    this.queue = run.catch(() => undefined);
    return run.catch((cause: unknown) => {
      throw pkcs11Error(cause, `signing with a key of token "${this.tokenLabel}"`);
    });
  }
}

/**
 * A key pair whose private half is on a PKCS#11 token. It presents its public key (or, once one
 * is set, an OpenSSH certificate) and signs through the token, like an agent's key pair, and is
 * accepted wherever client keys are.
 */
export class SSHPkcs11KeyPair {
  /** The public key. */
  readonly key: SSHKey;
  /** The key's CKA_ID on the token. */
  readonly keyId: Uint8Array;
  /** The key's CKA_LABEL, which is also its comment. */
  readonly keyLabel: string;
  /** The label of the token holding the key. */
  readonly tokenLabel: string;
  /** X.509 certificates on the token with the key's CKA_ID (loadCerts), end certificate first. */
  readonly x509Certificates: readonly SSHX509Certificate[];
  private readonly token: TokenSession;
  private readonly handle: number;
  private readonly keyType: number;
  private comment: string;

  /** @internal made by loadPkcs11Keys */
  constructor(token: TokenSession, handle: number, keyType: number, key: SSHKey, keyId: Uint8Array, keyLabel: string, certs: readonly SSHX509Certificate[]) {
    this.token = token;
    this.handle = handle;
    this.keyType = keyType;
    this.key = key;
    this.keyId = keyId;
    this.keyLabel = keyLabel;
    this.tokenLabel = token.tokenLabel;
    this.x509Certificates = certs;
    this.comment = keyLabel;
  }

  /** The key's algorithm name (ssh-rsa, ecdsa-sha2-nistp256, ssh-ed25519). */
  get algorithm(): string {
    return this.key.algorithm;
  }

  getAlgorithm(): string {
    return this.algorithm;
  }

  getKeyType(): string {
    return this.algorithm;
  }

  /** The public key blob. */
  get publicData(): Uint8Array {
    return this.key.publicData;
  }

  /** Signature algorithms the token can make with this key, preferred first. */
  get sigAlgorithms(): readonly string[] {
    return this.key.sigAlgorithms;
  }

  getComment(): string {
    return this.comment;
  }

  getCommentBytes(): Uint8Array {
    return new TextEncoder().encode(this.comment);
  }

  setComment(comment: string | Uint8Array): void {
    this.comment = typeof comment === 'string' ? comment : new TextDecoder().decode(comment);
  }

  /** The SSH signature blob of `data` with `sigAlgorithm` (default: the first of sigAlgorithms), made by the token. */
  async sign(data: Uint8Array, sigAlgorithm: string = this.sigAlgorithms[0] as string): Promise<Uint8Array> {
    if (!this.sigAlgorithms.includes(sigAlgorithm)) throw new Pkcs11Error(`${this.algorithm} cannot sign with ${sigAlgorithm}`);
    if (this.keyType === CKK_RSA) {
      const hash = RSA_SIG_HASHES[sigAlgorithm];
      const prefix = hash === undefined ? undefined : DIGEST_INFO[hash];
      if (hash === undefined || prefix === undefined) throw new Pkcs11Error(`no PKCS#1 digest for ${sigAlgorithm}`);
      const digestInfo = Buffer.concat([Buffer.from(prefix, 'hex'), createHash(hash).update(data).digest()]);
      const sig = await this.token.sign(this.handle, CKM_RSA_PKCS, digestInfo);
      return new Writer().utf8(sigAlgorithm).bytes(rsaPadded(sig, this.key)).finish();
    }
    if (this.keyType === CKK_EC) {
      const curve = curveOf(this.algorithm);
      const sig = await this.token.sign(this.handle, CKM_ECDSA, createHash(curve.hash).update(data).digest());
      if (sig.length !== 2 * curve.size) throw new Pkcs11Error(`the token returned a ${sig.length}-byte ECDSA signature for ${curve.name}`);
      return p1363SignatureBlob(sigAlgorithm, sig, curve.size);
    }
    const sig = await this.token.sign(this.handle, CKM_EDDSA, data);
    if (sig.length !== 64) throw new Pkcs11Error(`the token returned a ${sig.length}-byte Ed25519 signature`);
    return new Writer().utf8('ssh-ed25519').bytes(sig).finish();
  }
}

/** An RSA signature left-padded with zeros to the modulus length, as SSH sends it. */
function rsaPadded(sig: Uint8Array, key: SSHKey): Uint8Array {
  const size = Math.ceil(key.bits / 8);
  if (sig.length >= size) return sig;
  const out = new Uint8Array(size);
  out.set(sig, size - sig.length);
  return out;
}

function curveOf(algorithm: string): { readonly name: string; readonly hash: string; readonly size: number } {
  const curve = Object.values(CURVES).find((c) => algorithm === `ecdsa-sha2-${c.name}`);
  if (curve === undefined) throw new Pkcs11Error(`not a NIST ECDSA key: ${algorithm}`);
  return curve;
}

/** A CK_ULONG attribute (native byte order and width). */
function ulong(value: Uint8Array | null): number | undefined {
  if (value === null || (value.length !== 8 && value.length !== 4)) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.length);
  return value.length === 8 ? Number(view.getBigUint64(0, true)) : view.getUint32(0, true);
}

/** CKA_EC_POINT's point: a DER OCTET STRING around it (the standard), or the bare point (some modules). */
function ecPoint(value: Uint8Array, size: number): Uint8Array | undefined {
  if (value.length === size) return value;
  if (value[0] !== 0x04 || value.length < 2) return undefined;
  let length = value[1] as number;
  let at = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 2 || value.length < 2 + n) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | (value[2 + i] as number);
    at = 2 + n;
  }
  return length === size && at + length === value.length ? value.subarray(at) : undefined;
}

/** The public key of a token key from its own attributes or its public key object's, or undefined. */
function publicKeyOf(keyType: number, priv: readonly (Uint8Array | null)[], pub: readonly (Uint8Array | null)[] | undefined): SSHKey | undefined {
  const attr = (i: number): Uint8Array | null => priv[i] ?? pub?.[i] ?? null;
  // Attribute order: see ATTRS below.
  if (keyType === CKK_RSA) {
    const n = attr(3);
    const e = attr(4);
    if (n === null || e === null) return undefined;
    return importPublicKey(new Writer().utf8('ssh-rsa').mpint(toBigInt(e)).mpint(toBigInt(n)).finish());
  }
  const params = attr(5);
  const point = pub?.[6] ?? priv[6] ?? null;
  if (params === null || point === null) return undefined;
  if (keyType === CKK_EC) {
    const curve = CURVES[hex(params)];
    if (curve === undefined) return undefined;
    const q = ecPoint(point, 2 * curve.size + 1);
    if (q === undefined || q[0] !== 0x04) return undefined;
    return importPublicKey(new Writer().utf8(`ecdsa-sha2-${curve.name}`).utf8(curve.name).bytes(q).finish());
  }
  if (keyType === CKK_EC_EDWARDS && ED25519_PARAMS.has(hex(params))) {
    const a = ecPoint(point, 32);
    if (a === undefined) return undefined;
    return importPublicKey(new Writer().utf8('ssh-ed25519').bytes(a).finish());
  }
  return undefined;
}

function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${hex(b)}`);
}

/** The attributes read from every key object, in this order (publicKeyOf indexes them). */
const ATTRS = [CKA_KEY_TYPE, CKA_ID, CKA_LABEL, CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_EC_PARAMS, CKA_EC_POINT, CKA_SIGN] as const;

function asKeyId(id: string | Uint8Array): string {
  return typeof id === 'string' ? id.toLowerCase().replace(/[^0-9a-f]/g, '') : hex(id);
}

function asSerial(serial: string | Uint8Array): string {
  return typeof serial === 'string' ? serial : Buffer.from(serial).toString('latin1');
}

/** Tokens whose sessions are open, by provider and slot: a load again finds its keys there. */
const sessions = new Map<string, TokenSession>();

/**
 * Opens (or reuses) a session on a token and logs in. A reused session that the token no longer
 * knows (removed and inserted again) is replaced.
 */
function tokenSession(p11: NativePkcs11, module: Pkcs11Module, provider: string, slot: number, label: string, flags: number, pin: string | null | undefined): TokenSession {
  const key = `${provider}\0${slot}`;
  const pinDigest = pin === undefined || pin === null ? undefined : createHash('sha256').update(`${key}\0${pin}`).digest('hex');
  const known = sessions.get(key);
  if (known !== undefined) {
    try {
      p11.findObjects(module, known.session, CKO_CERTIFICATE);
    } catch {
      sessions.delete(key);
    }
  }
  const still = sessions.get(key);
  if (still !== undefined) {
    // Logged in already: the token checks no PIN again (C_Login answers "already logged in"),
    // so a PIN other than the one that logged in is refused here rather than let through.
    if (pinDigest !== undefined && still.pinDigest !== undefined && pinDigest !== still.pinDigest) {
      throw new Pkcs11Error(`PKCS#11: token "${label}" is logged in with another PIN`);
    }
    return still;
  }
  let session: number;
  try {
    session = p11.openSession(module, slot);
  } catch (cause) {
    throw pkcs11Error(cause, `opening a session on token "${label}"`);
  }
  let usedPin = false;
  if ((flags & CKF_LOGIN_REQUIRED) !== 0 || (pin !== undefined && pin !== null)) {
    const usePad = (flags & CKF_PROTECTED_AUTHENTICATION_PATH) !== 0 && (pin === undefined || pin === null);
    if (!usePad && (pin === undefined || pin === null)) {
      p11.closeSession(module, session);
      throw new Pkcs11Error(`PKCS#11: token "${label}" needs a PIN`);
    }
    try {
      p11.login(module, session, usePad ? null : new TextEncoder().encode(pin as string));
      usedPin = !usePad;
    } catch (cause) {
      try {
        p11.closeSession(module, session);
      } catch {
        // the login's error is the one to report
      }
      throw pkcs11Error(cause, `logging in to token "${label}"`);
    }
  }
  const token = new TokenSession(p11, module, session, slot, label, usedPin ? pinDigest : undefined);
  sessions.set(key, token);
  return token;
}

/**
 * Loads the signing keys of the tokens a PKCS#11 provider module offers (AsyncSSH
 * load_pkcs11_keys): `provider` is the module's path (e.g. /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so),
 * `pin` the user PIN (omitted or null for tokens with their own PIN pad or without login).
 * Keys the token cannot sign with, of types SSH has no name for, or without a readable public
 * half are left out. Throws Pkcs11Error (wrong PIN, provider not loadable, no native binding).
 */
export async function loadPkcs11Keys(provider: string, pin?: string | null, options: LoadPkcs11KeysOptions = {}): Promise<SSHPkcs11KeyPair[]> {
  const p11 = binding();
  const module = loadModule(p11, provider);
  let tokens;
  try {
    tokens = p11.tokens(module);
  } catch (cause) {
    throw pkcs11Error(cause, 'listing tokens');
  }
  const wantId = options.keyId === undefined ? undefined : asKeyId(options.keyId);
  const out: SSHPkcs11KeyPair[] = [];
  for (const t of tokens) {
    if (options.tokenLabel !== undefined && t.label !== options.tokenLabel) continue;
    if (options.tokenSerial !== undefined && t.serial !== asSerial(options.tokenSerial)) continue;
    if ((t.flags & 0x400) === 0) continue; // CKF_TOKEN_INITIALIZED: an empty slot of SoftHSM and others
    const token = tokenSession(p11, module, provider, t.slot, t.label, t.flags, pin);
    try {
      for (const key of readKeys(token, options, wantId)) out.push(key); // not push(...): no stack limit on a token's key count
    } catch (cause) {
      throw pkcs11Error(cause, `reading the keys of token "${t.label}"`);
    }
  }
  return out;
}

function readKeys(token: TokenSession, options: LoadPkcs11KeysOptions, wantId: string | undefined): SSHPkcs11KeyPair[] {
  const { p11, module, session } = token;
  const attrs = (object: number): (Uint8Array | null)[] => p11.getAttributes(module, session, object, ATTRS);
  const publics = new Map<string, (Uint8Array | null)[]>();
  for (const object of p11.findObjects(module, session, CKO_PUBLIC_KEY)) {
    const a = attrs(object);
    if (a[1] !== null && a[1] !== undefined) publics.set(hex(a[1]), a);
  }
  const certs = new Map<string, SSHX509Certificate[]>();
  if (options.loadCerts ?? true) {
    for (const object of p11.findObjects(module, session, CKO_CERTIFICATE)) {
      const [type, id, value] = p11.getAttributes(module, session, object, [CKA_CERTIFICATE_TYPE, CKA_ID, CKA_VALUE]);
      if (ulong(type ?? null) !== CKC_X_509 || !id || !value) continue;
      try {
        const list = certs.get(hex(id)) ?? [];
        list.push(importX509Certificate(value));
        certs.set(hex(id), list);
      } catch {
        // a certificate we cannot read is no reason to lose the key
      }
    }
  }
  const out: SSHPkcs11KeyPair[] = [];
  for (const object of p11.findObjects(module, session, CKO_PRIVATE_KEY)) {
    const a = attrs(object);
    const keyType = ulong(a[0] ?? null);
    const id = a[1] ?? new Uint8Array(0);
    const label = a[2] ? Buffer.from(a[2]).toString('utf8') : '';
    const canSign = a[7] === null || a[7] === undefined || a[7][0] !== 0;
    if (keyType === undefined || !canSign) continue;
    if (options.keyLabel !== undefined && label !== options.keyLabel) continue;
    if (wantId !== undefined && hex(id) !== wantId) continue;
    let key: SSHKey | undefined;
    try {
      key = publicKeyOf(keyType, a, publics.get(hex(id)));
    } catch {
      key = undefined; // a malformed public half: the key is not usable for SSH
    }
    if (key === undefined) continue;
    const matching = (certs.get(hex(id)) ?? []).filter((c) => c.key.equals(key));
    out.push(new SSHPkcs11KeyPair(token, object, keyType, key, id, label, matching));
  }
  return out;
}
