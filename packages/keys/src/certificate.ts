/**
 * OpenSSH certificates, *-cert-v01@openssh.com (OpenSSH PROTOCOL.certkeys): parse, create, sign
 * with any CA key, and check (signature, type, validity window, principals, critical options).
 * @module
 */

import { Commented } from './internal/commented.ts';
import { randomBytes } from 'node:crypto';
import { Reader, WireError, Writer, matchCidrList, unmapAddress } from '@ssh/wire';
import { familyForKeyType } from './algs/index.ts';
import { CertificateError, KeyImportError } from './errors.ts';
import { decodeRfc4716Blocks, encodeOpensshPublic, encodeRfc4716, parseOpensshPublicLine } from './formats/public.ts';
import { decodePublicBlob, guardImport } from './import.ts';
import { looseUtf8, utf8 } from './internal/bytes.ts';
import { SSHKey } from './key.ts';
import { MAX_U64, parseTimeValue, type TimeValue } from './time.ts';

export const CERT_TYPE_USER = 1;
export const CERT_TYPE_HOST = 2;
export type CertificateKind = 'user' | 'host';

const CERT_SUFFIX = '-cert-v01@openssh.com';

/** The certificate type for a key type ('ssh-ed25519' -> 'ssh-ed25519-cert-v01@openssh.com'). */
export function certTypeFor(keyType: string): string {
  return `${keyType.replace(/@openssh\.com$/, '')}${CERT_SUFFIX}`;
}

/** The key type a certificate type certifies, or undefined when `certType` is not one. */
export function keyTypeOfCert(certType: string): string | undefined {
  if (!certType.endsWith(CERT_SUFFIX)) return undefined;
  const base = certType.slice(0, -CERT_SUFFIX.length);
  const keyType = base.startsWith('sk-') ? `${base}@openssh.com` : base;
  return familyForKeyType(keyType) ? keyType : undefined;
}

/** Every certificate type we read. */
export function certificateTypes(keyTypes: readonly string[]): string[] {
  return keyTypes.map(certTypeFor);
}

/** Signature algorithm names for a certificate of `keyType` ('rsa-sha2-256-cert-v01@openssh.com', ...). */
function certSigAlgorithms(key: SSHKey, certType: string): string[] {
  if (key.algorithm === 'ssh-rsa') return ['rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', certType];
  return [certType];
}

/** Critical options and extensions: name -> raw data (the inner string's content, or empty). */
export type CertOptions = ReadonlyMap<string, Uint8Array>;

/** OpenSSH neither signs (ssh-keygen -s) nor reads certificates listing more principals than this. */
const MAX_PRINCIPALS = 256;

const KNOWN_CRITICAL = new Set(['force-command', 'source-address', 'verify-required']);
/** The user certificate extensions sshd acts on: flags, whose data must be empty. */
const KNOWN_EXTENSIONS = new Set(['no-touch-required', 'permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc']);

/**
 * Critical options or extensions as sshd, ssh-keygen -L and AsyncSSH read them: in any order
 * (PROTOCOL.certkeys asks for lexical order, which those do not enforce), and a name given again
 * is no parse error either (the first holds here; `repeated` lists such names for validate()).
 */
function readOptions(raw: Uint8Array, field: string): { options: Map<string, Uint8Array>; repeated: Set<string> } {
  const r = new Reader(raw);
  const options = new Map<string, Uint8Array>();
  const repeated = new Set<string>();
  while (!r.atEnd) {
    const name = r.utf8(`${field} name`, 1024);
    const data = r.bytes(`${field} data`);
    if (options.has(name)) repeated.add(name);
    else options.set(name, data);
  }
  return { options, repeated };
}

function writeOptions(w: Writer, options: CertOptions): void {
  const names = [...options.keys()].sort();
  w.nested((inner) => {
    for (const name of names) inner.utf8(name).bytes(options.get(name) as Uint8Array);
  });
}

/** The string inside an option's data (force-command, source-address). */
function optionString(data: Uint8Array | undefined): string | undefined {
  if (data === undefined) return undefined;
  try {
    const r = new Reader(data);
    const s = r.utf8('option value');
    r.end('option');
    return s;
  } catch {
    return undefined;
  }
}

function stringOption(value: string): Uint8Array {
  return new Writer(value.length + 8).utf8(value).finish();
}

export interface CertificateFields {
  readonly kind: CertificateKind;
  readonly keyId: string;
  readonly serial: bigint;
  readonly principals: readonly string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: CertOptions;
  readonly extensions: CertOptions;
  readonly nonce: Uint8Array;
  readonly reserved: Uint8Array;
}

/** An OpenSSH certificate. */
export class SSHCertificate extends Commented implements CertificateFields {
  /** Certificate type, e.g. 'ssh-ed25519-cert-v01@openssh.com'. */
  readonly algorithm: string;
  /** The certified public key. */
  readonly key: SSHKey;
  /** The CA key that signed it. */
  readonly signingKey: SSHKey;
  readonly kind: CertificateKind;
  readonly keyId: string;
  readonly serial: bigint;
  readonly principals: readonly string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: CertOptions;
  readonly extensions: CertOptions;
  readonly nonce: Uint8Array;
  readonly reserved: Uint8Array;
  /** The CA's signature blob. */
  readonly signature: Uint8Array;
  /** The whole certificate blob. */
  readonly publicData: Uint8Array;
  /** Length of the signed prefix of `publicData`. */
  private readonly signedLength: number;
  /** Critical options named more than once (sshd refuses a second force-command or source-address). */
  private readonly repeatedCritical: ReadonlySet<string>;

  constructor(blob: Uint8Array, comment?: string | Uint8Array) {
    super(comment);
    this.publicData = blob;
    const r = new Reader(blob);
    this.algorithm = r.utf8('certificate type', 256);
    const keyType = keyTypeOfCert(this.algorithm);
    if (!keyType) throw new KeyImportError(`unknown certificate type ${JSON.stringify(this.algorithm)}`);
    const family = familyForKeyType(keyType);
    if (!family) throw new KeyImportError(`unknown key type ${keyType}`);
    this.nonce = r.bytes('nonce');
    this.key = new SSHKey(family.decodePublic(keyType, r));
    this.serial = r.u64('serial');
    const type = r.u32('type');
    if (type !== CERT_TYPE_USER && type !== CERT_TYPE_HOST) throw new KeyImportError(`unknown certificate type ${type}`);
    this.kind = type === CERT_TYPE_USER ? 'user' : 'host';
    this.keyId = r.utf8('key id');
    const pr = new Reader(r.bytes('valid principals'));
    const principals: string[] = [];
    while (!pr.atEnd) {
      if (principals.length === MAX_PRINCIPALS) throw new KeyImportError(`certificate lists more than ${MAX_PRINCIPALS} principals`);
      principals.push(pr.utf8('principal'));
    }
    this.principals = principals;
    this.validAfter = r.u64('valid after');
    this.validBefore = r.u64('valid before');
    const critical = readOptions(r.bytes('critical options'), 'critical options');
    this.criticalOptions = critical.options;
    this.repeatedCritical = critical.repeated;
    this.extensions = readOptions(r.bytes('extensions'), 'extensions').options;
    this.reserved = r.bytes('reserved');
    const signingBlob = r.bytes('signature key');
    if (keyTypeOfCert(new Reader(signingBlob).utf8('signature key type', 256))) {
      throw new KeyImportError('certificate signed by a certificate');
    }
    this.signingKey = new SSHKey(decodePublicBlob(signingBlob));
    this.signedLength = r.offset;
    this.signature = r.bytes('signature');
    r.end('certificate');
  }

  /** Signature algorithms that present this certificate ('rsa-sha2-512-cert-v01@openssh.com', ...). */
  get sigAlgorithms(): readonly string[] {
    return certSigAlgorithms(this.key, this.algorithm);
  }

  getAlgorithm(): string {
    return this.algorithm;
  }




  /** force-command critical option. */
  get forceCommand(): string | undefined {
    return optionString(this.criticalOptions.get('force-command'));
  }

  /** source-address critical option, split into its comma-separated entries. */
  get sourceAddress(): string[] | undefined {
    return optionString(this.criticalOptions.get('source-address'))?.split(',');
  }

  /** verify-required critical option. */
  get verifyRequired(): boolean {
    return this.criticalOptions.has('verify-required');
  }

  /**
   * The algorithm the CA signed with, as its signature blob names it ('rsa-sha2-512', 'ssh-rsa'
   * for an RSA CA using SHA-1, 'ssh-ed25519', ...): what OpenSSH's CASignatureAlgorithms judges.
   * '' when the blob does not start with a name.
   */
  get signatureAlgorithm(): string {
    try {
      return new Reader(this.signature).utf8('signature algorithm', 256);
    } catch {
      return '';
    }
  }

  /** True when the CA signature over the certificate is valid. */
  verifySignature(): boolean {
    return this.signingKey.verify(this.publicData.subarray(0, this.signedLength), this.signature);
  }

  /**
   * Checks the certificate for use: CA signature, kind, validity at `now` (epoch seconds),
   * `principal` among the principals (an empty list allows any), no unknown critical options,
   * no corrupt or repeated known options nor corrupt extensions (sshd refuses those), and (when given) the CA among
   * `trustedCAs`. With `clientAddress` (a server authenticating a user: the client's IP address,
   * '' when unknown), a user certificate's source-address must list it, as sshd requires. With `caSignatureAlgorithms`, the CA must have signed with one of those
   * algorithms (OpenSSH's CASignatureAlgorithms). Throws CertificateError naming the failure.
   */
  validate(options: {
    kind: CertificateKind;
    principal?: string;
    now?: number;
    trustedCAs?: readonly SSHKey[];
    clientAddress?: string;
    caSignatureAlgorithms?: readonly string[];
  }): void {
    if (!this.verifySignature()) throw new CertificateError('certificate signature is invalid');
    if (options.caSignatureAlgorithms && !options.caSignatureAlgorithms.includes(this.signatureAlgorithm)) {
      throw new CertificateError(`certificate is signed with ${JSON.stringify(this.signatureAlgorithm)}, which is not an allowed CA signature algorithm`);
    }
    if (options.trustedCAs && !options.trustedCAs.some((ca) => ca.equals(this.signingKey))) {
      throw new CertificateError('certificate is not signed by a trusted CA');
    }
    if (this.kind !== options.kind) throw new CertificateError(`certificate is a ${this.kind} certificate, not ${options.kind}`);
    const now = BigInt(Math.floor(options.now ?? Date.now() / 1000));
    if (now < this.validAfter) throw new CertificateError('certificate is not yet valid');
    if (now >= this.validBefore) throw new CertificateError('certificate has expired');
    if (options.principal !== undefined && this.principals.length > 0 && !this.principals.includes(options.principal)) {
      throw new CertificateError(`certificate is not valid for principal ${JSON.stringify(options.principal)}`);
    }
    // Host certificates have no critical options defined (PROTOCOL.certkeys): OpenSSH and AsyncSSH
    // refuse any, known to user certificates or not.
    for (const [name, data] of this.criticalOptions) {
      if (this.kind === 'host') throw new CertificateError(`host certificate carries critical option ${JSON.stringify(name)}`);
      if (!KNOWN_CRITICAL.has(name)) throw new CertificateError(`unsupported critical option ${JSON.stringify(name)}`);
      // As sshd: an option whose data is not what it defines is corrupt, and so is the certificate
      // (a force-command that could not be read would otherwise be no restriction at all). sshd
      // reads the strings as C strings, so a NUL in one makes it corrupt too. A string that is not
      // UTF-8 sshd would take as bytes; it is refused here, where a command is a string.
      const wellFormed = name === 'verify-required' ? data.length === 0 : optionString(data)?.includes('\0') === false;
      if (!wellFormed) throw new CertificateError(`certificate critical option ${JSON.stringify(name)} is corrupt`);
      // sshd refuses a second force-command or source-address (which of two would bind?); a
      // repeated verify-required only says it again.
      if (name !== 'verify-required' && this.repeatedCritical.has(name)) {
        throw new CertificateError(`certificate has more than one ${JSON.stringify(name)} critical option`);
      }
    }
    if (this.kind === 'user') {
      for (const [name, data] of this.extensions) {
        if (KNOWN_EXTENSIONS.has(name) && data.length !== 0) throw new CertificateError(`certificate extension ${JSON.stringify(name)} is corrupt (it takes no data)`);
      }
    }
    if (options.clientAddress !== undefined && this.kind === 'user' && this.criticalOptions.has('source-address')) {
      const sources = this.sourceAddress;
      const address = unmapAddress(options.clientAddress);
      const allowed = sources === undefined ? -1 : matchCidrList(address, sources);
      if (allowed === -1) throw new CertificateError('certificate source-address is malformed');
      if (allowed !== 1) throw new CertificateError(`certificate is not valid from address ${JSON.stringify(address)}`);
    }
  }

  /** 'openssh' (one line) or 'rfc4716'. */
  exportCertificate(format: 'openssh' | 'rfc4716' = 'openssh'): Uint8Array {
    return utf8(format === 'rfc4716' ? encodeRfc4716(this.publicData, this.getComment()) : encodeOpensshPublic(this.algorithm, this.publicData, this.getComment()));
  }
}

/** Options of `generateUserCertificate` / `generateHostCertificate` (AsyncSSH's names). */
export interface CertificateOptions {
  readonly serial?: bigint | number;
  readonly principals?: readonly string[];
  /** Default: 0 (always valid from the past). */
  readonly validAfter?: TimeValue;
  /** Default: forever. */
  readonly validBefore?: TimeValue;
  /** Signature algorithm of the CA (default: the CA key's first; rsa-sha2-512 for RSA CAs). */
  readonly sigAlg?: string;
  readonly comment?: string | Uint8Array;
  /** Clock for 'now' and relative times, epoch seconds (default: the current time). */
  readonly now?: number;
}

export interface UserCertificateOptions extends CertificateOptions {
  readonly forceCommand?: string;
  /** Addresses and CIDR ranges; joined with commas. */
  readonly sourceAddress?: readonly string[] | string;
  readonly verifyRequired?: boolean;
  readonly permitX11Forwarding?: boolean;
  readonly permitAgentForwarding?: boolean;
  readonly permitPortForwarding?: boolean;
  readonly permitPty?: boolean;
  readonly permitUserRc?: boolean;
  /** When false, adds no-touch-required (security keys). */
  readonly touchRequired?: boolean;
  /** Extra extensions by name (value: data, empty for flags). */
  readonly extensions?: ReadonlyMap<string, Uint8Array>;
}

/** A certificate serial: an integer from 0 to 2^64 - 1 (CertificateError otherwise, not the writer's RangeError). */
function certSerial(serial: bigint | number | undefined): bigint {
  if (serial === undefined) return 0n;
  const v = typeof serial === 'bigint' ? serial : Number.isInteger(serial) ? BigInt(serial) : undefined;
  if (v === undefined || v < 0n || v > MAX_U64) throw new CertificateError(`certificate serial ${String(serial)} is not an integer from 0 to 2^64 - 1`);
  return v;
}

/** Signs a certificate for `subject` with `ca`. */
export function createCertificate(ca: SSHKey, subject: SSHKey, kind: CertificateKind, keyId: string, options: UserCertificateOptions = {}): SSHCertificate {
  if (!ca.hasPrivate) throw new CertificateError('the CA key has no private part');
  const now = options.now ?? Date.now() / 1000;
  const critical = new Map<string, Uint8Array>();
  const extensions = new Map<string, Uint8Array>();
  if (kind === 'user') {
    if (options.forceCommand !== undefined) critical.set('force-command', stringOption(options.forceCommand));
    if (options.sourceAddress !== undefined) {
      const list = typeof options.sourceAddress === 'string' ? options.sourceAddress : options.sourceAddress.join(',');
      critical.set('source-address', stringOption(list));
    }
    if (options.verifyRequired) critical.set('verify-required', new Uint8Array(0));
    const flags: [string, boolean | undefined][] = [
      ['permit-X11-forwarding', options.permitX11Forwarding],
      ['permit-agent-forwarding', options.permitAgentForwarding],
      ['permit-port-forwarding', options.permitPortForwarding],
      ['permit-pty', options.permitPty],
      ['permit-user-rc', options.permitUserRc],
    ];
    for (const [name, on] of flags) if (on ?? true) extensions.set(name, new Uint8Array(0));
    if (options.touchRequired === false) extensions.set('no-touch-required', new Uint8Array(0));
    for (const [name, data] of options.extensions ?? []) {
      if (!(data instanceof Uint8Array)) throw new CertificateError(`extension ${JSON.stringify(name)} must be bytes`);
      extensions.set(name, data);
    }
  }
  if ((options.principals?.length ?? 0) > MAX_PRINCIPALS) throw new CertificateError(`a certificate may list at most ${MAX_PRINCIPALS} principals`);
  const certType = certTypeFor(subject.algorithm);
  const validAfter = options.validAfter === undefined ? 0n : parseTimeValue(options.validAfter, now);
  const validBefore = options.validBefore === undefined ? MAX_U64 : parseTimeValue(options.validBefore, now);
  if (validBefore <= validAfter) throw new CertificateError('validBefore must be later than validAfter');
  const w = new Writer(1024).utf8(certType).bytes(new Uint8Array(randomBytes(32)));
  subject.impl.writePublic(w);
  w.u64(certSerial(options.serial)).u32(kind === 'user' ? CERT_TYPE_USER : CERT_TYPE_HOST).utf8(keyId);
  w.nested((p) => {
    for (const principal of options.principals ?? []) p.utf8(principal);
  });
  w.u64(validAfter).u64(validBefore);
  writeOptions(w, critical);
  writeOptions(w, extensions);
  w.bytes(new Uint8Array(0)).bytes(ca.publicData);
  const sigAlg = options.sigAlg ?? (ca.algorithm === 'ssh-rsa' ? 'rsa-sha2-512' : undefined);
  const signature = ca.sign(w.bytesView().slice(), sigAlg);
  w.bytes(signature);
  return new SSHCertificate(w.finish(), options.comment);
}

/** Parses a certificate blob (wrapping decode failures in KeyImportError). */
export function decodeCertificateBlob(blob: Uint8Array, comment?: string): SSHCertificate {
  return guardImport(() => {
    try {
      return new SSHCertificate(blob, comment);
    } catch (e) {
      if (e instanceof WireError) throw new KeyImportError(`invalid certificate: ${e.message.slice(5)}`, { cause: e });
      throw e;
    }
  });
}

/** Every certificate in `data`: OpenSSH lines, RFC 4716 blocks, or one raw blob. */
export function importCertificateList(data: string | Uint8Array): SSHCertificate[] {
  return guardImport(() => {
    if (typeof data !== 'string' && data.length >= 4 && data[0] === 0 && data[1] === 0) return [decodeCertificateBlob(data)];
    const text = typeof data === 'string' ? data : looseUtf8(data);
    if (text.includes('---- BEGIN SSH2 PUBLIC KEY ----')) {
      const certs = decodeRfc4716Blocks(text).map((b) => decodeCertificateBlob(b.blob, b.comment));
      if (certs.length === 0) throw new KeyImportError('no certificate found');
      return certs;
    }
    const out: SSHCertificate[] = [];
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const parsed = parseOpensshPublicLine(line);
      if (!parsed) throw new KeyImportError('not an OpenSSH certificate line');
      out.push(decodeCertificateBlob(parsed.blob, parsed.comment));
    }
    if (out.length === 0) throw new KeyImportError('no certificate found');
    return out;
  });
}

/** A certificate in OpenSSH or RFC 4716 format, or a raw blob. */
export function importCertificate(data: string | Uint8Array): SSHCertificate {
  return importCertificateList(data)[0] as SSHCertificate;
}
