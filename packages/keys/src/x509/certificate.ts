/**
 * X.509 certificates (RFC 5280) for SSH (RFC 6187): parse, create (self-signed or CA-signed),
 * check chains to trusted roots with AsyncSSH's purpose and subject rules, and the x509v3-*
 * SSH public key encoding.
 * @module
 */

import { Commented } from '../internal/commented.ts';
import { createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { Reader, Writer, parseAddress } from '@ssh/wire';
import type { KeyImpl } from '../algs/impl.ts';
import {
  contextTag,
  der,
  derAlgorithm,
  derBitString,
  derExplicit,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSequenceOf,
  DerReader,
  isOid,
  TAG,
} from '../asn1.ts';
import { CertificateError, KeyImportError } from '../errors.ts';
import { decodeSpki } from '../formats/pkcs.ts';
import { decodePemBlocks, encodePem } from '../formats/pem.ts';
import { asBytes, equalBytes, latin1, utf8 } from '../internal/bytes.ts';
import { SSHKey } from '../key.ts';
import { MAX_U64, parseTimeValue, type TimeValue } from '../time.ts';
import { decodeName, encodeName, matchSubject, nameToString, parseName, type NameAttribute } from './name.ts';

/**
 * Purpose names: the SSH ones are RFC 6187's id-kp 21 (client) and 22 (server), as OpenSSL,
 * PKIX-SSH and AsyncSSH use them.
 */
export const X509_PURPOSES: Readonly<Record<string, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  secureShellClient: '1.3.6.1.5.5.7.3.21',
  secureShellServer: '1.3.6.1.5.5.7.3.22',
};
const ANY_PURPOSE = '2.5.29.37.0';

/** Signature algorithm OIDs -> [hash, key family]. */
const SIG_ALGS: Readonly<Record<string, readonly [string | null, string]>> = {
  '1.2.840.113549.1.1.5': ['sha1', 'rsa'],
  '1.2.840.113549.1.1.14': ['sha224', 'rsa'],
  '1.2.840.113549.1.1.11': ['sha256', 'rsa'],
  '1.2.840.113549.1.1.12': ['sha384', 'rsa'],
  '1.2.840.113549.1.1.13': ['sha512', 'rsa'],
  '1.2.840.10045.4.1': ['sha1', 'ec'],
  '1.2.840.10045.4.3.2': ['sha256', 'ec'],
  '1.2.840.10045.4.3.3': ['sha384', 'ec'],
  '1.2.840.10045.4.3.4': ['sha512', 'ec'],
  '1.2.840.10040.4.3': ['sha1', 'dsa'],
  '2.16.840.1.101.3.4.3.2': ['sha256', 'dsa'],
  '1.3.101.112': [null, 'ed'],
  '1.3.101.113': [null, 'ed'],
};

/** The SSH x509v3 algorithm names for a key type. */
export function x509Algorithms(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['x509v3-rsa2048-sha256', 'x509v3-ssh-rsa'];
  if (keyType.startsWith('ecdsa-sha2-') || keyType === 'ssh-dss' || keyType === 'ssh-ed25519' || keyType === 'ssh-ed448') {
    return [`x509v3-${keyType}`];
  }
  return [];
}

/** The plain SSH signature algorithm behind an x509v3 name. */
export function x509BaseSigAlgorithm(name: string): string | undefined {
  if (name === 'x509v3-rsa2048-sha256') return 'rsa-sha2-256';
  if (name === 'x509v3-ssh-rsa') return 'ssh-rsa';
  return name.startsWith('x509v3-') ? name.slice('x509v3-'.length) : undefined;
}

/**
 * Epoch seconds of a UTC calendar time, refusing fields out of range (Date.UTC would roll
 * 2030-13-01 over into 2031, and read years below 100 as 19xx).
 */
function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): bigint {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second);
  if (month < 1 || month > 12 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new KeyImportError('bad X.509 time');
  return BigInt(d.getTime() / 1000);
}

function readTime(r: DerReader): bigint {
  const el = r.element();
  const text = latin1(el.content);
  let m: RegExpExecArray | null;
  if (el.tag === TAG.UTC_TIME && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    return utcSeconds(yy < 50 ? 2000 + yy : 1900 + yy, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  if (el.tag === TAG.GENERALIZED_TIME && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return utcSeconds(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  throw new KeyImportError('bad X.509 time');
}

function encodeTime(t: bigint): Uint8Array {
  if (t >= 253402300799n) return der(TAG.GENERALIZED_TIME, utf8('99991231235959Z'));
  const d = new Date(Number(t) * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const body = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050 ? der(TAG.UTC_TIME, utf8(`${p(y % 100)}${body}`)) : der(TAG.GENERALIZED_TIME, utf8(`${p(y, 4)}${body}`));
}

export interface X509Extensions {
  /** Whether a basicConstraints extension is present (`isCA` is false without one). */
  readonly hasBasicConstraints: boolean;
  readonly isCA: boolean;
  readonly pathLength: number | undefined;
  /** Extended key usage OIDs, or undefined when absent. */
  readonly purposes: readonly string[] | undefined;
  /** Key usage keyCertSign (may sign certificates), or undefined without a keyUsage extension. */
  readonly keyCertSign: boolean | undefined;
  /** Whether a subjectAltName extension is present (its names below, of the kinds we use). */
  readonly hasAltNames: boolean;
  readonly dnsNames: readonly string[];
  readonly emails: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** An X.509 certificate. */
export class SSHX509Certificate extends Commented {
  /** DER encoding. */
  readonly data: Uint8Array;
  readonly key: SSHKey;
  readonly subject: readonly NameAttribute[];
  readonly issuer: readonly NameAttribute[];
  readonly serial: bigint;
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly extensions: X509Extensions;
  readonly signatureAlgorithm: string;
  private readonly tbs: Uint8Array;
  private readonly signatureValue: Uint8Array;

  constructor(data: Uint8Array, comment?: string | Uint8Array) {
    super(comment);
    this.data = data;
    const outer = new DerReader(data).sequence('Certificate');
    const tbsEl = outer.expect(TAG.SEQUENCE, 'TBSCertificate');
    this.tbs = tbsEl.raw;
    const sigAlg = outer.sequence('signatureAlgorithm');
    this.signatureAlgorithm = sigAlg.oid('signature algorithm');
    this.signatureValue = outer.bitString('signatureValue');
    outer.end('Certificate');

    const t = DerReader.of(tbsEl);
    if (t.peekTag() === contextTag(0)) {
      const v = DerReader.of(t.element()).smallInt('version');
      if (v !== 2) throw new KeyImportError(`unsupported X.509 version ${v + 1}`);
    }
    this.serial = t.integer('serialNumber');
    const innerAlg = t.sequence('signature').oid('signature algorithm');
    if (innerAlg !== this.signatureAlgorithm) throw new KeyImportError('X.509 signature algorithms disagree');
    this.issuer = decodeName(t);
    const validity = t.sequence('Validity');
    this.validAfter = readTime(validity);
    this.validBefore = readTime(validity);
    this.subject = decodeName(t);
    this.key = new SSHKey(decodeSpki(t.expect(TAG.SEQUENCE, 'SubjectPublicKeyInfo').raw));
    let isCA = false;
    let pathLength: number | undefined;
    let purposes: string[] | undefined;
    let keyCertSign: boolean | undefined;
    let hasAltNames = false;
    let hasBasicConstraints = false;
    const dnsNames: string[] = [];
    const emails: string[] = [];
    const ipAddresses: string[] = [];
    while (!t.atEnd) {
      const el = t.element();
      if (el.tag !== contextTag(3)) continue;
      const exts = DerReader.of(el).sequence('Extensions');
      while (!exts.atEnd) {
        const ext = exts.sequence('Extension');
        const oid = ext.oid('extnID');
        if (ext.peekTag() === TAG.BOOLEAN) ext.element();
        const value = new DerReader(ext.octetString('extnValue'));
        if (oid === '2.5.29.19') {
          hasBasicConstraints = true;
          const bc = value.sequence('BasicConstraints');
          if (bc.peekTag() === TAG.BOOLEAN) isCA = (bc.element().content[0] ?? 0) !== 0;
          if (bc.peekTag() === TAG.INTEGER) pathLength = bc.smallInt('pathLenConstraint');
        } else if (oid === '2.5.29.37') {
          const seq = value.sequence('ExtKeyUsage');
          purposes = [];
          while (!seq.atEnd) purposes.push(seq.oid('KeyPurposeId'));
        } else if (oid === '2.5.29.15') {
          // KeyUsage BIT STRING: an unused-bits byte, then bits from the most significant;
          // keyCertSign is bit 5.
          const bits = value.expect(TAG.BIT_STRING, 'KeyUsage').content;
          keyCertSign = ((bits[1] ?? 0) & 0x04) !== 0;
        } else if (oid === '2.5.29.17') {
          hasAltNames = true;
          const names = value.sequence('GeneralNames');
          while (!names.atEnd) {
            const n = names.element();
            if (n.tag === 0x82) dnsNames.push(latin1(n.content));
            else if (n.tag === 0x81) emails.push(latin1(n.content));
            else if (n.tag === 0x87) ipAddresses.push(formatIp(n.content));
          }
        }
      }
    }
    this.extensions = { hasBasicConstraints, isCA, pathLength, purposes, keyCertSign, hasAltNames, dnsNames, emails, ipAddresses };
  }

  /** Subject in RFC 4514 form ("CN=host,O=Example"). */
  get subjectName(): string {
    return nameToString(this.subject);
  }

  get issuerName(): string {
    return nameToString(this.issuer);
  }

  /** x509v3-* algorithm names this certificate can sign with in SSH, preferred first. */
  get sigAlgorithms(): readonly string[] {
    return x509Algorithms(this.key.algorithm);
  }

  get algorithm(): string {
    return this.sigAlgorithms[0] ?? `x509v3-${this.key.algorithm}`;
  }

  getAlgorithm(): string {
    return this.algorithm;
  }




  /** True when `issuerKey` signed this certificate. */
  verifySignature(issuerKey: SSHKey): boolean {
    const alg = SIG_ALGS[this.signatureAlgorithm];
    if (!alg || !issuerKey.impl.spki) return false;
    try {
      const key = createPublicKey({ key: Buffer.from(issuerKey.impl.spki()), format: 'der', type: 'spki' });
      return nodeVerify(alg[0], this.tbs, key, this.signatureValue);
    } catch {
      return false;
    }
  }

  /** True when the certificate is self-signed (issuer = subject, signature by its own key). */
  get isSelfSigned(): boolean {
    return nameToString(this.issuer) === nameToString(this.subject) && this.verifySignature(this.key);
  }

  /** 'pem' or 'der'. */
  exportCertificate(format: 'pem' | 'der' = 'pem'): Uint8Array {
    return format === 'der' ? this.data : utf8(encodePem('CERTIFICATE', this.data));
  }
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** Parses DER or PEM ("CERTIFICATE" blocks) into certificates. */
export function importX509CertificateList(data: string | Uint8Array): SSHX509Certificate[] {
  try {
    const text = typeof data === 'string' ? data : latin1(data);
    if (text.includes('-----BEGIN CERTIFICATE-----')) {
      const certs = decodePemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => new SSHX509Certificate(b.data));
      if (certs.length === 0) throw new KeyImportError('no certificate found');
      return certs;
    }
    return [new SSHX509Certificate(asBytes(data))];
  } catch (e) {
    if (e instanceof KeyImportError) throw e;
    throw new KeyImportError('invalid X.509 certificate', { cause: e });
  }
}

export function importX509Certificate(data: string | Uint8Array): SSHX509Certificate {
  return importX509CertificateList(data)[0] as SSHX509Certificate;
}

export interface X509CertificateOptions {
  /** Issuer name (default: the subject, for self-signed). */
  readonly issuer?: string;
  /** The issuer's certificate, whose subject becomes the issuer name. */
  readonly issuerCert?: SSHX509Certificate;
  readonly serial?: bigint | number;
  /** DNS names (host certificates) or e-mail style principals (user certificates) for subjectAltName. */
  readonly principals?: readonly string[];
  /**
   * How `principals` are written: 'user' as rfc822Name (e-mail) entries, where AsyncSSH looks for a
   * user's name; 'host' as DNS names and IP addresses. Default: 'user' for
   * generateX509UserCertificate, otherwise by the name ('@' e-mail, IP address, else DNS).
   */
  readonly principalKind?: 'host' | 'user';
  readonly validAfter?: TimeValue;
  readonly validBefore?: TimeValue;
  /** Extended key usage names or OIDs; 'any' omits the extension. */
  readonly purposes?: string | readonly string[];
  /** Hash for RSA/ECDSA/DSA signatures (default sha256). */
  readonly hashAlg?: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  readonly ca?: boolean;
  readonly pathLength?: number;
  readonly comment?: string | Uint8Array;
  readonly now?: number;
}

const SIG_OIDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  rsa: { sha1: '1.2.840.113549.1.1.5', sha224: '1.2.840.113549.1.1.14', sha256: '1.2.840.113549.1.1.11', sha384: '1.2.840.113549.1.1.12', sha512: '1.2.840.113549.1.1.13' },
  ec: { sha1: '1.2.840.10045.4.1', sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' },
  dsa: { sha1: '1.2.840.10040.4.3', sha256: '2.16.840.1.101.3.4.3.2' },
};

function signatureAlgorithmFor(signer: KeyImpl, hash: string): { oid: string; hash: string | null; params: boolean } {
  if (signer.algorithm === 'ssh-ed25519') return { oid: '1.3.101.112', hash: null, params: false };
  if (signer.algorithm === 'ssh-ed448') return { oid: '1.3.101.113', hash: null, params: false };
  const family = signer.algorithm === 'ssh-rsa' ? 'rsa' : signer.algorithm === 'ssh-dss' ? 'dsa' : signer.algorithm.startsWith('ecdsa-') ? 'ec' : undefined;
  const oid = family ? SIG_OIDS[family]?.[hash] : undefined;
  if (!family || !oid) throw new CertificateError(`cannot sign X.509 certificates with ${signer.algorithm} and ${hash}`);
  return { oid, hash, params: family === 'rsa' };
}

function ext(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? derSequence(derOid(oid), der(TAG.BOOLEAN, Uint8Array.of(0xff)), derOctetString(value)) : derSequence(derOid(oid), derOctetString(value));
}

/** An X.509 serial as RFC 5280 §4.1.2.2 allows: a non-negative integer of at most 20 octets. */
function x509Serial(serial: bigint | number): bigint {
  const v = typeof serial === 'bigint' ? serial : Number.isInteger(serial) ? BigInt(serial) : undefined;
  if (v === undefined || v < 0n || v >= 1n << 159n) throw new CertificateError(`X.509 serial ${String(serial)} is not an integer from 0 to 2^159 - 1`);
  return v;
}

/** Creates and signs an X.509 certificate for `subjectKey` with `signer` (private). */
export function createX509Certificate(signer: SSHKey, subjectKey: SSHKey, subject: string, options: X509CertificateOptions = {}): SSHX509Certificate {
  if (!signer.hasPrivate || !signer.impl.pkcs8) throw new CertificateError('the signing key has no private part');
  if (!subjectKey.impl.spki) throw new CertificateError(`${subjectKey.algorithm} keys cannot be put in X.509 certificates`);
  const now = options.now ?? Date.now() / 1000;
  const sig = signatureAlgorithmFor(signer.impl, options.hashAlg ?? 'sha256');
  const algId = sig.params ? derAlgorithm(sig.oid, derNull()) : derAlgorithm(sig.oid);
  const subjectName = parseName(subject);
  const issuerName = options.issuerCert ? options.issuerCert.subject : options.issuer !== undefined ? parseName(options.issuer) : subjectName;
  const validAfter = options.validAfter === undefined ? 0n : parseTimeValue(options.validAfter, now);
  const validBefore = options.validBefore === undefined ? MAX_U64 : parseTimeValue(options.validBefore, now);
  if (validBefore <= validAfter) throw new CertificateError('validBefore must be later than validAfter');
  const serial = options.serial === undefined ? BigInt(`0x${Buffer.from(randomBytes(8)).toString('hex')}`) & ((1n << 63n) - 1n) : x509Serial(options.serial);
  if (options.pathLength !== undefined && !(Number.isSafeInteger(options.pathLength) && options.pathLength >= 0)) {
    throw new CertificateError(`pathLength ${options.pathLength} is not a non-negative integer`);
  }

  const exts: Uint8Array[] = [];
  exts.push(ext('2.5.29.19', true, options.ca ? derSequence(der(TAG.BOOLEAN, Uint8Array.of(0xff)), ...(options.pathLength === undefined ? [] : [derInteger(options.pathLength)])) : derSequence()));
  if (options.ca) exts.push(ext('2.5.29.15', true, der(TAG.BIT_STRING, Uint8Array.of(1, 0x06))));
  const purposes = options.purposes === undefined ? [] : typeof options.purposes === 'string' ? [options.purposes] : [...options.purposes];
  if (purposes.length > 0 && !purposes.includes('any')) {
    const oids = purposes.map((p) => {
      const oid = X509_PURPOSES[p] ?? p;
      // A name we do not know is no OID: derOid would write it as 0.0.
      if (!isOid(oid)) throw new CertificateError(`unknown purpose ${JSON.stringify(p.length > 40 ? `${p.slice(0, 40)}...` : p)}`);
      return derOid(oid);
    });
    exts.push(ext('2.5.29.37', false, derSequenceOf(oids)));
  }
  if (options.principals && options.principals.length > 0) {
    const names = options.principals.map((p) => {
      if (options.principalKind === 'user') return der(0x81, utf8(p));
      const ip = parseAddress(p)?.bytes;
      if (ip) return der(0x87, ip);
      return der(p.includes('@') && options.principalKind !== 'host' ? 0x81 : 0x82, utf8(p));
    });
    exts.push(ext('2.5.29.17', false, derSequenceOf(names)));
  }
  const tbs = derSequence(
    derExplicit(0, derInteger(2)),
    derInteger(serial),
    algId,
    encodeName(issuerName),
    derSequence(encodeTime(validAfter), encodeTime(validBefore)),
    encodeName(subjectName),
    subjectKey.impl.spki(),
    derExplicit(3, derSequenceOf(exts)),
  );
  const privateKey = { key: Buffer.from(signer.impl.pkcs8()), format: 'der' as const, type: 'pkcs8' as const };
  const signature = new Uint8Array(nodeSign(sig.hash, tbs, privateKey));
  return new SSHX509Certificate(derSequence(tbs, algId, derBitString(signature)), options.comment);
}

export interface X509ChainOptions {
  /** Purposes the end certificate must allow (names or OIDs; 'any' to skip). */
  readonly purposes?: string | readonly string[];
  /** Subject patterns the end certificate must match (AsyncSSH / PKIX-SSH syntax). */
  readonly subjects?: readonly string[];
  /**
   * A principal the end certificate must name: for a host (the default) a DNS name or IP address
   * of its subjectAltName, for a user an email address; the subject's CN only when the
   * certificate has no subjectAltName (AsyncSSH's rule).
   */
  readonly principal?: string;
  readonly principalKind?: 'host' | 'user';
  readonly now?: number;
}

/**
 * Checks `chain` (end certificate first, then intermediates) up to one of `trustedRoots`: every
 * signature, validity window and CA flag, the end certificate's purposes, subject and principal.
 * Throws CertificateError naming the failure.
 */
export function verifyX509Chain(chain: readonly SSHX509Certificate[], trustedRoots: readonly SSHX509Certificate[], options: X509ChainOptions = {}): void {
  const end = chain[0];
  if (!end) throw new CertificateError('empty certificate chain');
  const now = BigInt(Math.floor(options.now ?? Date.now() / 1000));
  const checkTime = (c: SSHX509Certificate) => {
    if (now < c.validAfter) throw new CertificateError(`certificate ${c.subjectName} is not yet valid`);
    if (now > c.validBefore) throw new CertificateError(`certificate ${c.subjectName} has expired`);
  };
  const sameName = (a: readonly NameAttribute[], b: readonly NameAttribute[]) => nameToString(a) === nameToString(b);
  // An issuer may sign certificates (keyUsage keyCertSign where it has a keyUsage) and have at
  // most pathLenConstraint CA certificates below it before the end certificate (RFC 5280 §4.2.1.9).
  const mayIssue = (issuer: SSHX509Certificate, casBelow: number): void => {
    const e = issuer.extensions;
    if (e.keyCertSign === false) throw new CertificateError(`${issuer.subjectName} may not sign certificates (key usage)`);
    if (e.pathLength !== undefined && casBelow > e.pathLength) throw new CertificateError(`${issuer.subjectName} allows ${e.pathLength} CA certificates below it`);
  };
  let current = end;
  let casBelow = 0;
  const path = [...chain.slice(1)];
  for (let depth = 0; depth <= chain.length + 1; depth++) {
    checkTime(current);
    const root = trustedRoots.find((r) => equalBytes(r.data, current.data) || (sameName(r.subject, current.issuer) && current.verifySignature(r.key)));
    if (root) {
      checkTime(root);
      if (!equalBytes(root.data, current.data)) {
        // Only a self-signed root without basicConstraints (an X.509 v1 root) issues without saying
        // it is a CA, as OpenSSL allows; one that says CA:FALSE issues nothing.
        const legacyRoot = root.isSelfSigned && !root.extensions.hasBasicConstraints;
        if (!root.extensions.isCA && !legacyRoot) throw new CertificateError('trusted root is not a CA');
        mayIssue(root, casBelow);
      }
      break;
    }
    const nextIndex = path.findIndex((c) => sameName(c.subject, current.issuer) && current.verifySignature(c.key));
    if (nextIndex < 0) throw new CertificateError(`no trusted issuer for ${current.subjectName}`);
    const next = path.splice(nextIndex, 1)[0] as SSHX509Certificate;
    if (!next.extensions.isCA) throw new CertificateError(`${next.subjectName} is not a CA`);
    mayIssue(next, casBelow);
    casBelow++;
    current = next;
    if (depth === chain.length + 1) throw new CertificateError('certificate chain too long');
  }
  const wanted = options.purposes === undefined ? [] : typeof options.purposes === 'string' ? [options.purposes] : [...options.purposes];
  if (wanted.length > 0 && !wanted.includes('any') && end.extensions.purposes !== undefined && !end.extensions.purposes.includes(ANY_PURPOSE)) {
    const oids = wanted.map((p) => X509_PURPOSES[p] ?? p);
    if (!oids.some((o) => end.extensions.purposes?.includes(o))) throw new CertificateError('certificate purposes do not allow this use');
  }
  if (options.subjects && !options.subjects.some((s) => matchSubject(s, end.subject))) {
    throw new CertificateError(`certificate subject ${end.subjectName} is not allowed`);
  }
  if (options.principal !== undefined) {
    const e = end.extensions;
    const names = !e.hasAltNames
      ? end.subject.filter((a) => a.oid === '2.5.4.3').map((a) => a.value)
      : options.principalKind === 'user'
        ? e.emails
        : [...e.dnsNames, ...e.ipAddresses];
    if (!names.includes(options.principal)) throw new CertificateError(`certificate is not valid for ${JSON.stringify(options.principal)}`);
  }
}

/** RFC 6187 §3.1 public key blob: the chain (end certificate first) and OCSP responses. */
export function encodeX509Blob(algorithm: string, chain: readonly SSHX509Certificate[], ocsp: readonly Uint8Array[] = []): Uint8Array {
  const w = new Writer(4096).utf8(algorithm).u32(chain.length);
  for (const c of chain) w.bytes(c.data);
  w.u32(ocsp.length);
  for (const o of ocsp) w.bytes(o);
  return w.finish();
}

/** Parses an RFC 6187 x509v3-* public key blob. */
export function decodeX509Blob(blob: Uint8Array): { algorithm: string; chain: SSHX509Certificate[]; ocsp: Uint8Array[] } {
  try {
    const r = new Reader(blob);
    const algorithm = r.utf8('algorithm', 256);
    if (!algorithm.startsWith('x509v3-')) throw new KeyImportError('not an x509v3 public key');
    const count = r.u32('certificate count');
    if (count < 1 || count > 16) throw new KeyImportError('bad certificate count');
    const chain: SSHX509Certificate[] = [];
    for (let i = 0; i < count; i++) chain.push(new SSHX509Certificate(r.bytes('certificate')));
    const n = r.u32('OCSP response count');
    if (n > 16) throw new KeyImportError('bad OCSP response count');
    const ocsp: Uint8Array[] = [];
    for (let i = 0; i < n; i++) ocsp.push(r.bytes('OCSP response'));
    r.end('x509v3 public key');
    if (!(chain[0] as SSHX509Certificate).sigAlgorithms.includes(algorithm)) throw new KeyImportError('x509v3 algorithm does not match the certificate key');
    return { algorithm, chain, ocsp };
  } catch (e) {
    if (e instanceof KeyImportError) throw e;
    throw new KeyImportError('invalid x509v3 public key', { cause: e });
  }
}
