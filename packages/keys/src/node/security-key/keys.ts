/**
 * Security-key (FIDO) keys as AsyncSSH offers them: generating one on an authenticator
 * (`generateSecurityKey`, AsyncSSH's generate_private_key with an sk-* algorithm), loading the
 * resident credentials of one (`loadResidentKeys`), and signing with either through it
 * (`SSHSkKeyPair`, accepted wherever client keys are). Which backend reaches the authenticator:
 * see ./provider.ts.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { Writer } from '@ssh/wire';
import { p1363SignatureBlob } from '../../algs/ecdsa.ts';
import { SK_ECDSA, SK_ED25519, skKeyFromParts, skKeyParts, type SkKeyParts } from '../../algs/sk.ts';
import { SSHKey } from '../../key.ts';
import { SSHKeyPair } from '../../keypair.ts';
import type { SSHCertificate } from '../../certificate.ts';
import {
  SK_FLAG_RESIDENT_KEY,
  SK_FLAG_USER_PRESENCE_REQD,
  SK_FLAG_USER_VERIFICATION_REQD,
  SecurityKeyError,
  type SecurityKeyBackend,
  type SkKeyAlgorithm,
} from './backend.ts';
import { securityKeyBackend, type SecurityKeyProvider } from './provider.ts';

/** Where a backend is chosen: a provider (see provider.ts), a device path, and the PIN. */
export interface SecurityKeyAccess {
  /** 'internal' (CTAP2 over USB HID, the default), an OpenSSH middleware library's path, or a backend object. */
  readonly provider?: SecurityKeyProvider;
  /** One authenticator's device path instead of the first found. */
  readonly device?: string;
}

/**
 * What a program tells its user while an authenticator waits, as OpenSSH's ssh does ("Confirm
 * user presence for key ...", "Enter PIN for ... key"): the library itself never prints nor reads
 * a terminal.
 */
export interface SecurityKeyPrompts {
  /** Called before each signature the authenticator will wait for a touch for (the key's 0x01 flag). */
  readonly touch?: (key: SSHKey) => void;
  /**
   * Called when the authenticator asks for its PIN and none was given (a key that requires user
   * verification): answer the PIN, or undefined to give up with the authenticator's error.
   */
  readonly pin?: (key: SSHKey) => Promise<string | undefined> | string | undefined;
}

/** How a signature reaches the authenticator: its provider and device, a PIN, the prompts. */
export interface SecurityKeySignOptions extends SecurityKeyAccess {
  readonly pin?: string;
  readonly prompts?: SecurityKeyPrompts;
}

export interface GenerateSecurityKeyOptions extends SecurityKeyAccess {
  /** The FIDO application (relying party id): 'ssh:' by default; OpenSSH requires the 'ssh:' prefix. */
  readonly application?: string;
  /** The user name stored with a resident key (AsyncSSH's default 'AsyncSSH'). */
  readonly user?: string;
  /** The authenticator's PIN, when it has one and the key is resident or needs verification. */
  readonly pin?: string;
  /** Store the credential on the authenticator, so loadResidentKeys finds it again (default false). */
  readonly resident?: boolean;
  /** Ask for a touch on every signature (default true). */
  readonly touchRequired?: boolean;
  /** Ask for user verification (PIN or biometrics) on every signature, as ssh-keygen -O verify-required (default false). */
  readonly verifyRequired?: boolean;
  readonly comment?: string | Uint8Array;
}

export interface LoadResidentKeysOptions extends SecurityKeyAccess {
  /** Only credentials of this application (default 'ssh:'). */
  readonly application?: string;
  /** Only credentials stored for this user name. */
  readonly user?: string;
  /** Whether the loaded keys ask for a touch when they sign (default true). */
  readonly touchRequired?: boolean;
}

const ALGORITHMS: Record<string, SkKeyAlgorithm> = { [SK_ECDSA]: 'ecdsa', [SK_ED25519]: 'ed25519' };

/** Which backend made or loaded a key: it signs through the same one unless told otherwise. */
const keyProviders = new WeakMap<SSHKey, SecurityKeyAccess>();

/** The algorithm behind an sk-* key type name (the OpenSSH short names ecdsa-sk and ed25519-sk too). */
function skAlgorithm(algorithm: string): SkKeyAlgorithm {
  const alg = ALGORITHMS[algorithm] ?? (algorithm === 'ecdsa-sk' ? 'ecdsa' : algorithm === 'ed25519-sk' ? 'ed25519' : undefined);
  if (alg === undefined) throw new SecurityKeyError('unsupported', `${algorithm} is not a security-key algorithm (${SK_ECDSA} or ${SK_ED25519})`);
  return alg;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A user id as stored by the authenticator, without the zero padding some add. */
function trimZeros(id: Uint8Array): Uint8Array {
  let end = id.length;
  while (end > 0 && id[end - 1] === 0) end--;
  return id.subarray(0, end);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Generates a key on an authenticator (it may ask for a touch): the returned SSHKey holds the
 * key handle, which is all its private key file stores.
 */
export async function generateSecurityKey(algorithm: string, options: GenerateSecurityKeyOptions = {}): Promise<SSHKey> {
  const alg = skAlgorithm(algorithm);
  const application = options.application ?? 'ssh:';
  const user = options.user ?? 'AsyncSSH';
  let flags = options.touchRequired === false ? 0 : SK_FLAG_USER_PRESENCE_REQD;
  if (options.verifyRequired === true) flags |= SK_FLAG_USER_VERIFICATION_REQD;
  if (options.resident === true) flags |= SK_FLAG_RESIDENT_KEY;
  const backend = securityKeyBackend(options.provider);
  const result = await backend.enroll({
    alg,
    application,
    challenge: randomBytes(32),
    userId: utf8(user),
    userName: user,
    flags,
    ...(options.pin === undefined ? {} : { pin: options.pin }),
    ...(options.device === undefined ? {} : { device: options.device }),
  });
  const key = new SSHKey(
    skKeyFromParts({ alg, publicKey: result.publicKey, application, private: { flags: result.flags, keyHandle: result.keyHandle, reserved: new Uint8Array(0) } }),
    options.comment,
  );
  keyProviders.set(key, accessOf(options));
  return key;
}

function accessOf(options: SecurityKeyAccess): SecurityKeyAccess {
  return { ...(options.provider === undefined ? {} : { provider: options.provider }), ...(options.device === undefined ? {} : { device: options.device }) };
}

/**
 * The resident credentials of an authenticator as key pairs that sign through it (AsyncSSH's
 * load_resident_keys). CTAP2 authenticators list them only with their PIN.
 */
export async function loadResidentKeys(pin: string | undefined, options: LoadResidentKeysOptions = {}): Promise<SSHSkKeyPair[]> {
  const application = options.application ?? 'ssh:';
  const user = options.user === undefined ? undefined : utf8(options.user);
  const backend = securityKeyBackend(options.provider);
  const found = await backend.loadResidentKeys({ ...(pin === undefined ? {} : { pin }), ...(options.device === undefined ? {} : { device: options.device }) });
  const presence = options.touchRequired === false ? 0 : SK_FLAG_USER_PRESENCE_REQD;
  const out: SSHSkKeyPair[] = [];
  for (const rk of found) {
    if (rk.application !== application) continue;
    if (user !== undefined && !sameBytes(trimZeros(rk.userId), user)) continue;
    const flags = (rk.flags & ~SK_FLAG_USER_PRESENCE_REQD) | presence | SK_FLAG_RESIDENT_KEY;
    const key = new SSHKey(skKeyFromParts({ alg: rk.alg, publicKey: rk.publicKey, application: rk.application, private: { flags, keyHandle: rk.keyHandle, reserved: new Uint8Array(0) } }));
    keyProviders.set(key, accessOf(options));
    // A credential that asks for user verification at every signature gets the PIN it was listed with.
    const verify = (flags & SK_FLAG_USER_VERIFICATION_REQD) !== 0 && pin !== undefined;
    out.push(new SSHSkKeyPair(key, undefined, { ...accessOf(options), ...(verify ? { pin } : {}) }));
  }
  return out;
}

/** The parts of a private security key, or a SecurityKeyError naming what `key` is instead. */
function privateParts(key: SSHKey): SkKeyParts & { readonly private: NonNullable<SkKeyParts['private']> } {
  const parts = skKeyParts(key.impl);
  if (parts === undefined) throw new SecurityKeyError('unsupported', `${key.algorithm} is not a security key`);
  if (parts.private === undefined) throw new SecurityKeyError('unsupported', `the ${key.algorithm} key has no key handle (a public key only)`);
  return parts as SkKeyParts & { readonly private: NonNullable<SkKeyParts['private']> };
}

/** Whether `key` is a security key with its key handle (what SSHSkKeyPair signs with). */
export function isSecurityKey(key: SSHKey): boolean {
  const parts = skKeyParts(key.impl);
  return parts?.private !== undefined;
}

/**
 * The SSH signature blob of `data` made by the authenticator holding `key` (PROTOCOL.u2f), checked
 * against the key before it is returned: a device that answers with something else is refused.
 */
export async function signWithSecurityKey(key: SSHKey, data: Uint8Array, options: SecurityKeySignOptions = {}): Promise<Uint8Array> {
  const parts = privateParts(key);
  const access = { ...keyProviders.get(key), ...accessOf(options) };
  const backend: SecurityKeyBackend = securityKeyBackend(access.provider);
  const attempt = (pin: string | undefined): ReturnType<SecurityKeyBackend['sign']> => {
    if ((parts.private.flags & SK_FLAG_USER_PRESENCE_REQD) !== 0) options.prompts?.touch?.(key);
    return backend.sign({
      alg: parts.alg,
      application: parts.application,
      keyHandle: parts.private.keyHandle,
      message: data,
      flags: parts.private.flags,
      ...(pin === undefined ? {} : { pin }),
      ...(access.device === undefined ? {} : { device: access.device }),
    });
  };
  let result: Awaited<ReturnType<SecurityKeyBackend['sign']>>;
  try {
    result = await attempt(options.pin);
  } catch (error) {
    // Asked once, as ssh does: a wrong PIN is the authenticator's pin-invalid, not another prompt.
    const ask = options.prompts?.pin;
    if (!(error instanceof SecurityKeyError) || error.kind !== 'pin-required' || options.pin !== undefined || ask === undefined) throw error;
    const pin = await ask(key);
    if (pin === undefined) throw error;
    result = await attempt(pin);
  }
  if (result.extensions.length > 0) {
    // The token signed extensions, but the sk-* signature formats have no field for them, so no
    // verifier could reconstruct what was signed.
    throw new SecurityKeyError('unsupported', 'the authenticator added signed extensions, which SSH signatures cannot carry');
  }
  const head =
    parts.alg === 'ecdsa'
      ? p1363SignatureBlob(SK_ECDSA, result.signature, 32)
      : new Writer(96).utf8(SK_ED25519).bytes(result.signature).finish();
  const blob = new Writer(head.length + 5).raw(head).u8(result.flags).u32(result.counter).finish();
  if (!key.verify(data, blob)) throw new SecurityKeyError('general', 'the authenticator returned a signature that does not verify with the key');
  return blob;
}

/**
 * A security key with its key handle, which signs through its authenticator: what
 * loadResidentKeys returns, and what key files of sk-* keys become as client keys.
 */
export class SSHSkKeyPair {
  readonly key: SSHKey;
  readonly certificate: SSHCertificate | undefined;
  private readonly access: SecurityKeySignOptions;

  constructor(key: SSHKey, certificate?: SSHCertificate, access: SecurityKeySignOptions = {}) {
    privateParts(key);
    this.key = key;
    this.certificate = certificate;
    this.access = { ...accessOf(access), ...(access.pin === undefined ? {} : { pin: access.pin }), ...(access.prompts === undefined ? {} : { prompts: access.prompts }) };
  }

  /** A pair from a loaded key pair (a key file of an sk-* key, with its certificate). */
  static fromKeyPair(pair: SSHKeyPair, access: SecurityKeySignOptions = {}): SSHSkKeyPair {
    return new SSHSkKeyPair(pair.key, pair.certificate, access);
  }

  get algorithm(): string {
    return this.key.algorithm;
  }

  get publicData(): Uint8Array {
    return (this.certificate ?? this.key).publicData;
  }

  get sigAlgorithms(): readonly string[] {
    return this.key.sigAlgorithms;
  }

  /** The application (FIDO relying party id) the key was made for. */
  get application(): string {
    return privateParts(this.key).application;
  }

  /** The key's sk-api.h flags: 0x01 touch, 0x04 verification, 0x20 resident. */
  get flags(): number {
    return privateParts(this.key).private.flags;
  }

  getComment(): string | undefined {
    return this.key.getComment() ?? undefined;
  }

  /** The SSH signature blob of `data`, made by the authenticator (it may wait for a touch). */
  sign(data: Uint8Array, sigAlgorithm?: string): Promise<Uint8Array> {
    if (sigAlgorithm !== undefined && !this.key.sigAlgorithms.includes(sigAlgorithm)) {
      return Promise.reject(new SecurityKeyError('unsupported', `${this.key.algorithm} cannot sign with ${sigAlgorithm}`));
    }
    return signWithSecurityKey(this.key, data, this.access);
  }

  /** An SSHKeyPair holding the same key and certificate (to write the key handle file). */
  toKeyPair(): SSHKeyPair {
    return new SSHKeyPair(this.key, this.certificate);
  }
}
