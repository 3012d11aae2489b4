/**
 * A software FIDO authenticator speaking CTAPHID at the 64-byte report level, for tests of the
 * CTAP2/HID security-key backend where no token (and no /dev/uhid) is at hand. An in-memory
 * device: write() feeds its CTAPHID state machine, read() yields its reports. It implements
 * FIDO CTAP 2.1 as a token does: §11.2 CTAPHID (INIT, PING, MSG, CBOR, CANCEL, WINK, KEEPALIVE
 * while it waits for a touch, ERROR), §6.4 GetInfo, §6.1 MakeCredential (ES256, EdDSA, rk,
 * excludeList, credProtect), §6.2/§6.3 GetAssertion/GetNextAssertion, §6.5 ClientPIN (protocols
 * one and two: set PIN, key agreement, PIN tokens, retries), §6.8 CredentialManagement
 * enumerations; and U2F raw messages (register, authenticate, check-only) over MSG.
 *
 * It does not import @ssh/keys: it is the peer the client is tested against, written from the
 * specifications separately, so a misreading shared by both sides is less likely to pass.
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  timingSafeEqual,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import { type Cbor, CborRejected, cborDecode, cborEncode, hkdf32, selfSignedCertificate, sha256 } from './soft-fido-codec.ts';

export interface SoftFidoOptions {
  /** The device's name, as HidDevice.path. Default `soft-fido`. */
  readonly path?: string;
  /** A U2F-only token: no CBOR capability, MSG only. */
  readonly u2fOnly?: boolean;
  /** A PIN already set. */
  readonly pin?: string;
  /** Built-in user verification (options.uv = true; uv requests succeed without a PIN). */
  readonly builtInUv?: boolean;
  /** The user refuses every presence check (CTAP2_ERR_OPERATION_DENIED; a U2F token is just never touched). */
  readonly denyPresence?: boolean;
  /** How long a touch takes to come (ms), with KEEPALIVE (UPNEEDED) meanwhile. Default 0. */
  readonly touchDelayMs?: number;
  /** Never answers anything (for timeout tests). */
  readonly unresponsive?: boolean;
  /** A CTAP 2.0 token: no FIDO_2_1, no pinUvAuthToken permissions, credentialMgmtPreview (0x41) only. */
  readonly ctap20?: boolean;
  /** PIN/UV auth protocols offered, in preference order. Default [2, 1]. */
  readonly pinUvAuthProtocols?: readonly number[];
  /** Attestation of new credentials: self (packed, by the new key), basic (packed, by a certificate), none. Default self. */
  readonly attestation?: 'self' | 'basic' | 'none';
  /** Misbehaviour knobs: answer with authenticator data for another RP. */
  readonly lieAboutRpIdHash?: boolean;
}

export interface SoftFidoCredential {
  readonly id: Uint8Array;
  /** Undefined for a credential made by U2F register, which names the application by its hash only. */
  readonly rpId: string | undefined;
  readonly rpIdHash: Uint8Array;
  readonly alg: -7 | -8;
  readonly userId: Uint8Array;
  readonly userName: string | undefined;
  readonly resident: boolean;
  readonly credProtect: number;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

const REPORT = 64;
const BROADCAST = 0xffffffff;
const MAX_MSG = 7609;
const CMD = { PING: 0x01, MSG: 0x03, INIT: 0x06, WINK: 0x08, CBOR: 0x10, CANCEL: 0x11, KEEPALIVE: 0x3b, ERROR: 0x3f } as const;
const ERR = { INVALID_CMD: 0x01, INVALID_PAR: 0x02, INVALID_LEN: 0x03, INVALID_SEQ: 0x04, CHANNEL_BUSY: 0x06, INVALID_CHANNEL: 0x0b } as const;
const ST = {
  OK: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  CREDENTIAL_EXCLUDED: 0x19,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  INVALID_SUBCOMMAND: 0x3e,
  UNAUTHORIZED_PERMISSION: 0x40,
} as const;
const SW_OK = 0x9000;
const SW_CONDITIONS = 0x6985;
const SW_WRONG_DATA = 0x6a80;
const SW_INS = 0x6d00;
const PERM = { MC: 0x01, GA: 0x02, CM: 0x04 } as const;
const MAX_RETRIES = 8;

/** A CTAP2 error status the handler answers with. */
class Fault extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`CTAP status 0x${status.toString(16)}`);
    this.status = status;
  }
}

function m(entries: [number | string, Cbor | undefined][]): Map<number | string, Cbor> {
  const out = new Map<number | string, Cbor>();
  for (const [k, v] of entries) if (v !== undefined) out.set(k, v);
  return out;
}

function field<T extends Cbor>(map: Map<number | string, Cbor>, key: number | string, check: (v: Cbor) => v is T): T | undefined {
  if (!map.has(key)) return undefined;
  const v = map.get(key) as Cbor;
  if (!check(v)) throw new Fault(ST.INVALID_PARAMETER);
  return v;
}
const isBytes = (v: Cbor | undefined): v is Uint8Array => v instanceof Uint8Array;
const isText = (v: Cbor | undefined): v is string => typeof v === 'string';
const isInt = (v: Cbor | undefined): v is number => typeof v === 'number';
const isMap = (v: Cbor | undefined): v is Map<number | string, Cbor> => v instanceof Map;
const isArray = (v: Cbor | undefined): v is Cbor[] => Array.isArray(v);
const isBool = (v: Cbor | undefined): v is boolean => typeof v === 'boolean';

function required<T>(v: T | undefined): T {
  if (v === undefined) throw new Fault(ST.MISSING_PARAMETER);
  return v;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** COSE_Key of a credential public key (or of the key agreement key, alg -25). */
function coseKey(publicKey: KeyObject, alg: number): Map<number | string, Cbor> {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x as string, 'base64url');
  if (jwk.kty === 'OKP') return m([[1, 1], [3, alg], [-1, 6], [-2, x]]);
  return m([[1, 2], [3, alg], [-1, 1], [-2, x], [-3, Buffer.from(jwk.y as string, 'base64url')]]);
}

/** The authenticator side of one PIN/UV auth protocol. CTAP 2.1 §6.5.6, §6.5.7. */
function protocolOps(version: number) {
  const v1 = version === 1;
  const aesKey = (shared: Uint8Array) => (v1 ? shared : shared.subarray(32));
  return {
    kdf(z: Uint8Array): Uint8Array {
      if (v1) return sha256(z);
      const salt = Buffer.alloc(32);
      return Buffer.concat([hkdf32(z, salt, 'CTAP2 HMAC key'), hkdf32(z, salt, 'CTAP2 AES key')]);
    },
    encrypt(shared: Uint8Array, plain: Uint8Array): Uint8Array {
      const iv = v1 ? Buffer.alloc(16) : randomBytes(16);
      const c = createCipheriv('aes-256-cbc', aesKey(shared), iv).setAutoPadding(false);
      const body = Buffer.concat([c.update(plain), c.final()]);
      return v1 ? body : Buffer.concat([iv, body]);
    },
    decrypt(shared: Uint8Array, data: Uint8Array): Uint8Array {
      const iv = v1 ? Buffer.alloc(16) : data.subarray(0, 16);
      const body = v1 ? data : data.subarray(16);
      if (body.length === 0 || body.length % 16 !== 0) throw new Fault(ST.INVALID_PARAMETER);
      const d = createDecipheriv('aes-256-cbc', aesKey(shared), iv).setAutoPadding(false);
      return Buffer.concat([d.update(body), d.final()]);
    },
    verify(key: Uint8Array, message: Uint8Array, param: Uint8Array): boolean {
      const mac = createHmac('sha256', !v1 && key.length === 64 ? key.subarray(0, 32) : key).update(message).digest();
      return same(v1 ? mac.subarray(0, 16) : mac, param);
    },
  };
}

interface Token {
  readonly value: Uint8Array;
  readonly protocol: number;
  permissions: number;
  readonly rpId: string | undefined;
}

type Presence = 'touched' | 'denied' | 'cancelled';

export class SoftFido {
  readonly path: string;
  /** Every credential it made, resident or not, oldest first. */
  readonly credentials: SoftFidoCredential[] = [];
  /** CTAP2 command bytes received, in order (tests check what the client asked). */
  readonly commands: number[] = [];
  counter = 0;
  pinRetries = MAX_RETRIES;
  /** CTAPHID_CANCELs that reached a request in progress. */
  cancels = 0;

  private readonly opts: SoftFidoOptions;
  private pin: string | undefined;
  private readonly aaguid = randomBytes(16);
  private readonly attestationKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private readonly attestationCert: Uint8Array;
  private keyAgreement: ECDH = createECDH('prime256v1');
  private token: Token | undefined;
  private consecutivePinFailures = 0;
  private nextCid = 0x01000000;
  private readonly channels = new Set<number>();
  private rx: { cid: number; cmd: number; buf: Buffer; filled: number; seq: number } | undefined;
  private busy: { cid: number; cancel: () => void } | undefined;
  private readonly out: Uint8Array[] = [];
  private readonly readers: ((r: Uint8Array | undefined) => void)[] = [];
  private u2fTouchAt: number | undefined;
  private pendingAssertions: { creds: SoftFidoCredential[]; clientDataHash: Uint8Array; flags: number; rpIdHash: Uint8Array } | undefined;
  private pendingRps: string[] = [];
  private pendingCreds: SoftFidoCredential[] = [];

  constructor(options: SoftFidoOptions = {}) {
    this.opts = options;
    this.path = options.path ?? 'soft-fido';
    this.pin = options.pin;
    this.keyAgreement.generateKeys();
    this.attestationCert = selfSignedCertificate(this.attestationKey.publicKey, this.attestationKey.privateKey, 'Soft FIDO attestation');
  }

  /** The PIN now set, if any. */
  get currentPin(): string | undefined {
    return this.pin;
  }

  /** Unplug and replug: lifts PIN_AUTH_BLOCKED, forgets the token and channels. */
  powerCycle(): void {
    this.consecutivePinFailures = 0;
    this.token = undefined;
    this.channels.clear();
    this.keyAgreement = createECDH('prime256v1');
    this.keyAgreement.generateKeys();
  }

  // -------------------------------------------------------------------------------------------
  // HidDevice

  async write(report: Uint8Array): Promise<void> {
    if (report.length !== REPORT) throw new Error(`a report has ${REPORT} bytes, not ${report.length}`);
    if (this.opts.unresponsive) return;
    this.receive(Buffer.from(report));
  }

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    const next = this.out.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.readers.indexOf(deliver);
        if (i >= 0) this.readers.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      const deliver = (r: Uint8Array | undefined) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.readers.push(deliver);
    });
  }

  /**
   * The host lets go of the device, as closing /dev/hidrawN does: a pending read ends, what was
   * queued for the host is dropped, a request in progress is cancelled. The token itself stays
   * (credentials, PIN, counter), and the next write opens it again.
   */
  async close(): Promise<void> {
    this.busy?.cancel();
    this.busy = undefined;
    this.rx = undefined;
    this.out.length = 0;
    for (const r of this.readers.splice(0)) r(undefined);
  }

  private emit(report: Uint8Array): void {
    const reader = this.readers.shift();
    if (reader) reader(report);
    else this.out.push(report);
  }

  private send(cid: number, cmd: number, payload: Uint8Array): void {
    const first = Buffer.alloc(REPORT);
    first.writeUInt32BE(cid, 0);
    first[4] = 0x80 | cmd;
    first.writeUInt16BE(payload.length, 5);
    Buffer.from(payload.subarray(0, REPORT - 7)).copy(first, 7);
    this.emit(first);
    for (let at = REPORT - 7, seq = 0; at < payload.length; at += REPORT - 5, seq++) {
      const cont = Buffer.alloc(REPORT);
      cont.writeUInt32BE(cid, 0);
      cont[4] = seq;
      Buffer.from(payload.subarray(at, at + REPORT - 5)).copy(cont, 5);
      this.emit(cont);
    }
  }

  private error(cid: number, code: number): void {
    this.send(cid, CMD.ERROR, Uint8Array.of(code));
  }

  // -------------------------------------------------------------------------------------------
  // CTAPHID

  private receive(report: Buffer): void {
    const cid = report.readUInt32BE(0);
    const b4 = report[4] as number;
    if (!(b4 & 0x80)) {
      // Continuation packets nobody is waiting for are ignored. §11.2.4.
      if (this.rx === undefined || this.rx.cid !== cid) return;
      if (b4 !== this.rx.seq) {
        this.rx = undefined;
        this.error(cid, ERR.INVALID_SEQ);
        return;
      }
      this.rx.seq++;
      this.fill(report.subarray(5));
      return;
    }
    const cmd = b4 & 0x7f;
    const length = report.readUInt16BE(5);
    if (cmd === CMD.CANCEL) {
      if (this.busy?.cid === cid) {
        this.cancels++;
        this.busy.cancel();
      }
      return;
    }
    if (cid !== BROADCAST && !this.channels.has(cid)) return this.error(cid, ERR.INVALID_CHANNEL);
    if (cid === BROADCAST && cmd !== CMD.INIT) return this.error(cid, ERR.INVALID_CHANNEL);
    if (this.rx !== undefined && this.rx.cid !== cid) return this.error(cid, ERR.CHANNEL_BUSY);
    if (this.busy !== undefined && cmd !== CMD.INIT) return this.error(cid, ERR.CHANNEL_BUSY);
    if (length > MAX_MSG) return this.error(cid, ERR.INVALID_LEN);
    this.rx = { cid, cmd, buf: Buffer.alloc(length), filled: 0, seq: 0 };
    this.fill(report.subarray(7));
  }

  private fill(data: Uint8Array): void {
    const rx = this.rx as NonNullable<SoftFido['rx']>;
    const take = Math.min(data.length, rx.buf.length - rx.filled);
    Buffer.from(data.subarray(0, take)).copy(rx.buf, rx.filled);
    rx.filled += take;
    if (rx.filled < rx.buf.length) return;
    this.rx = undefined;
    this.dispatch(rx.cid, rx.cmd, rx.buf);
  }

  private dispatch(cid: number, cmd: number, payload: Buffer): void {
    switch (cmd) {
      case CMD.INIT: {
        if (payload.length !== 8) return this.error(cid, ERR.INVALID_LEN);
        let assigned = cid;
        if (cid === BROADCAST) {
          assigned = this.nextCid++;
          this.channels.add(assigned);
        }
        const caps = this.opts.u2fOnly ? 0x01 : 0x05; // WINK, and CBOR unless U2F-only; MSG always (NMSG clear)
        return this.send(cid, CMD.INIT, Buffer.concat([payload, be32(assigned), Buffer.from([2, 1, 0, 0, caps])]));
      }
      case CMD.PING:
        return this.send(cid, CMD.PING, payload);
      case CMD.WINK:
        return this.send(cid, CMD.WINK, new Uint8Array(0));
      case CMD.MSG:
        return this.send(cid, CMD.MSG, this.u2f(payload));
      case CMD.CBOR:
        if (this.opts.u2fOnly) return this.error(cid, ERR.INVALID_CMD);
        return this.cbor(cid, payload);
      default:
        return this.error(cid, ERR.INVALID_CMD);
    }
  }

  private cbor(cid: number, payload: Buffer): void {
    let cancelled = false;
    const waiters: (() => void)[] = [];
    const job = {
      cid,
      cancel: () => {
        cancelled = true;
        for (const w of waiters.splice(0)) w();
      },
    };
    this.busy = job;
    const presence = (): Promise<Presence> => this.waitForTouch(cid, () => cancelled, waiters);
    const finish = (response: Uint8Array) => {
      // A request dropped by close() has nobody left to answer.
      if (this.busy !== job) return;
      this.busy = undefined;
      this.send(cid, CMD.CBOR, response);
    };
    this.ctap2(payload, presence).then(
      (body) => finish(Buffer.concat([Buffer.from([ST.OK]), body])),
      (err: unknown) => finish(Uint8Array.of(err instanceof Fault ? err.status : 0x7f)),
    );
  }

  /** The user's touch, KEEPALIVE (UPNEEDED) every 100 ms (or sooner) until it comes. */
  private waitForTouch(cid: number, cancelled: () => boolean, waiters: (() => void)[]): Promise<Presence> {
    const delay = this.opts.touchDelayMs ?? 0;
    if (delay === 0) return Promise.resolve(this.opts.denyPresence ? 'denied' : 'touched');
    return new Promise((resolve) => {
      const keepalive = () => {
        this.send(cid, CMD.KEEPALIVE, Uint8Array.of(2));
      };
      keepalive();
      const interval = setInterval(keepalive, Math.min(100, delay));
      const done = (result: Presence) => {
        clearInterval(interval);
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => done(this.opts.denyPresence ? 'denied' : 'touched'), delay);
      waiters.push(() => done('cancelled'));
      if (cancelled()) done('cancelled');
    });
  }

  // -------------------------------------------------------------------------------------------
  // CTAP2

  private async ctap2(payload: Buffer, presence: () => Promise<Presence>): Promise<Uint8Array> {
    const cmd = payload[0];
    if (cmd === undefined) throw new Fault(ST.INVALID_COMMAND);
    this.commands.push(cmd);
    let params = new Map<number | string, Cbor>();
    if (payload.length > 1) {
      let decoded: Cbor;
      try {
        decoded = cborDecode(payload.subarray(1));
      } catch (e) {
        if (e instanceof CborRejected) throw new Fault(ST.INVALID_CBOR);
        throw e;
      }
      if (!isMap(decoded)) throw new Fault(ST.INVALID_CBOR);
      params = decoded;
    }
    const touch = async () => {
      const p = await presence();
      if (p === 'denied') throw new Fault(ST.OPERATION_DENIED);
      if (p === 'cancelled') throw new Fault(ST.KEEPALIVE_CANCEL);
    };
    let result: Map<number | string, Cbor> | undefined;
    switch (cmd) {
      case 0x04:
        result = this.getInfo();
        break;
      case 0x01:
        result = await this.makeCredential(params, touch);
        break;
      case 0x02:
        result = await this.getAssertion(params, touch);
        break;
      case 0x08:
        result = this.getNextAssertion();
        break;
      case 0x06:
        result = this.clientPin(params);
        break;
      case 0x0b:
        // authenticatorSelection (CTAP 2.1 §6.9): a touch, nothing else.
        if (this.opts.ctap20 === true) throw new Fault(ST.INVALID_COMMAND);
        await touch();
        break;
      case 0x0a:
      case 0x41:
        if ((cmd === 0x41) !== (this.opts.ctap20 === true)) throw new Fault(ST.INVALID_COMMAND);
        result = this.credentialManagement(params);
        break;
      default:
        throw new Fault(ST.INVALID_COMMAND);
    }
    return result === undefined ? new Uint8Array(0) : cborEncode(result);
  }

  private protocols(): readonly number[] {
    return this.opts.pinUvAuthProtocols ?? [2, 1];
  }

  private getInfo(): Map<number | string, Cbor> {
    const ctap21 = !this.opts.ctap20;
    const options = m([
      ['rk', true],
      ['up', true],
      ['uv', this.opts.builtInUv ? true : undefined],
      ['clientPin', this.pin !== undefined],
      [ctap21 ? 'credMgmt' : 'credentialMgmtPreview', true],
      ['pinUvAuthToken', ctap21 ? true : undefined],
      ['makeCredUvNotRqd', ctap21 ? true : undefined],
    ]);
    return m([
      [1, ctap21 ? ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'] : ['U2F_V2', 'FIDO_2_0']],
      [2, ['credProtect']],
      [3, this.aaguid],
      [4, options],
      [5, 1200],
      [6, [...this.protocols()]],
      [10, ctap21 ? [m([['alg', -7], ['type', 'public-key']]), m([['alg', -8], ['type', 'public-key']])] : undefined],
    ]);
  }

  private rpHash(rpId: string): Buffer {
    return this.opts.lieAboutRpIdHash ? sha256(rpId, '#') : sha256(rpId);
  }

  /** Whether `param` authenticates `message` under the current token with `permission` for `rpId`. */
  private checkToken(protocol: number | undefined, param: Uint8Array, message: Uint8Array, permission: number, rpId: string | undefined): void {
    if (protocol === undefined) throw new Fault(ST.MISSING_PARAMETER);
    if (!this.protocols().includes(protocol)) throw new Fault(ST.INVALID_PARAMETER);
    const token = this.token;
    if (token === undefined || token.protocol !== protocol || !protocolOps(protocol).verify(token.value, message, param)) throw new Fault(ST.PIN_AUTH_INVALID);
    if ((token.permissions & permission) === 0) throw new Fault(ST.UNAUTHORIZED_PERMISSION);
    if (rpId !== undefined && token.rpId !== undefined && token.rpId !== rpId) throw new Fault(ST.UNAUTHORIZED_PERMISSION);
  }

  private async makeCredential(p: Map<number | string, Cbor>, touch: () => Promise<void>): Promise<Map<number | string, Cbor>> {
    const clientDataHash = required(field(p, 1, isBytes));
    const rp = required(field(p, 2, isMap));
    const user = required(field(p, 3, isMap));
    const params = required(field(p, 4, isArray));
    const rpId = required(field(rp, 'id', isText));
    const userId = required(field(user, 'id', isBytes));
    if (userId.length > 64) throw new Fault(ST.INVALID_PARAMETER);
    const algs = params.filter(isMap).filter((x) => x.get('type') === 'public-key').map((x) => x.get('alg'));
    const alg = algs.find((a): a is -7 | -8 => a === -7 || a === -8);
    if (alg === undefined) throw new Fault(ST.UNSUPPORTED_ALGORITHM);
    const options = field(p, 7, isMap) ?? new Map();
    const rk = field(options, 'rk', isBool) ?? false;
    const uvAsked = field(options, 'uv', isBool) ?? false;
    if (options.has('up')) throw new Fault(ST.INVALID_OPTION);
    if (uvAsked && !this.opts.builtInUv) throw new Fault(ST.INVALID_OPTION);
    const param = field(p, 8, isBytes);
    if (param !== undefined && param.length === 0) {
      // A zero-length pinUvAuthParam asks for a touch only (CTAP 2.0 §5.5.8.1, 2.1 §6.1.2 step 1):
      // how a platform lets the user pick one of several authenticators.
      await touch();
      throw new Fault(this.pin === undefined ? ST.PIN_NOT_SET : ST.PIN_INVALID);
    }
    let uv = uvAsked;
    if (param !== undefined) {
      this.checkToken(field(p, 9, isInt), param, clientDataHash, PERM.MC, rpId);
      uv = true;
    } else if (this.pin !== undefined && !uv && (rk || this.opts.ctap20)) {
      throw new Fault(ST.PUAT_REQUIRED);
    }
    const extensions = field(p, 6, isMap);
    const credProtect = extensions === undefined ? 1 : (field(extensions, 'credProtect', isInt) ?? 1);
    if (credProtect < 1 || credProtect > 3) throw new Fault(ST.INVALID_OPTION);
    const excluded = (field(p, 5, isArray) ?? []).filter(isMap).some((d) => {
      const id = d.get('id');
      return id instanceof Uint8Array && this.credentials.some((c) => c.rpId === rpId && same(c.id, id));
    });
    await touch();
    if (excluded) throw new Fault(ST.CREDENTIAL_EXCLUDED);
    const pair = alg === -7 ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const userName = field(user, 'name', isText);
    const credential: SoftFidoCredential = {
      id: randomBytes(rk ? 32 : 48),
      rpId,
      rpIdHash: sha256(rpId),
      alg,
      userId,
      userName,
      resident: rk,
      credProtect,
      publicKey: pair.publicKey,
      privateKey: pair.privateKey,
    };
    if (rk) {
      const old = this.credentials.findIndex((c) => c.resident && c.rpId === rpId && same(c.userId, userId));
      if (old >= 0) this.credentials.splice(old, 1);
    }
    this.credentials.push(credential);
    const ext = credProtect > 1 && extensions?.has('credProtect') ? cborEncode(m([['credProtect', credProtect]])) : undefined;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.rpHash(rpId),
      Buffer.from([0x01 | (uv ? 0x04 : 0) | 0x40 | (ext ? 0x80 : 0)]),
      be32(++this.counter),
      this.aaguid,
      idLen,
      credential.id,
      cborEncode(coseKey(pair.publicKey, alg)),
      ext ?? Buffer.alloc(0),
    ]);
    const signed = Buffer.concat([authData, clientDataHash]);
    const mode = this.opts.attestation ?? 'self';
    if (mode === 'none') return m([[1, 'none'], [2, authData], [3, new Map()]]);
    if (mode === 'basic') {
      const sig = sign('sha256', signed, this.attestationKey.privateKey);
      return m([[1, 'packed'], [2, authData], [3, m([['alg', -7], ['sig', sig], ['x5c', [this.attestationCert]]])]]);
    }
    const sig = sign(alg === -7 ? 'sha256' : null, signed, pair.privateKey);
    return m([[1, 'packed'], [2, authData], [3, m([['alg', alg], ['sig', sig]])]]);
  }

  private assertion(cred: SoftFidoCredential, clientDataHash: Uint8Array, flags: number, rpIdHash: Uint8Array, total: number | undefined): Map<number | string, Cbor> {
    const authData = Buffer.concat([rpIdHash, Buffer.from([flags]), be32(++this.counter)]);
    const sig = sign(cred.alg === -7 ? 'sha256' : null, Buffer.concat([authData, clientDataHash]), cred.privateKey);
    return m([
      [1, m([['id', cred.id], ['type', 'public-key']])],
      [2, authData],
      [3, sig],
      [4, cred.resident ? m([['id', cred.userId]]) : undefined],
      [5, total],
    ]);
  }

  private async getAssertion(p: Map<number | string, Cbor>, touch: () => Promise<void>): Promise<Map<number | string, Cbor>> {
    const rpId = required(field(p, 1, isText));
    const clientDataHash = required(field(p, 2, isBytes));
    const allowList = field(p, 3, isArray);
    const options = field(p, 5, isMap) ?? new Map();
    const up = field(options, 'up', isBool) ?? true;
    const uvAsked = field(options, 'uv', isBool) ?? false;
    if (uvAsked && !this.opts.builtInUv) throw new Fault(ST.INVALID_OPTION);
    const param = field(p, 6, isBytes);
    let uv = uvAsked;
    if (param !== undefined) {
      this.checkToken(field(p, 7, isInt), param, clientDataHash, PERM.GA, rpId);
      uv = true;
    }
    const hash = sha256(rpId);
    let creds: SoftFidoCredential[];
    if (allowList !== undefined) {
      const ids = allowList.filter(isMap).map((d) => d.get('id')).filter(isBytes);
      creds = this.credentials.filter((c) => same(c.rpIdHash, hash) && ids.some((id) => same(id, c.id)));
      creds = creds.filter((c) => c.credProtect < 3 || uv);
    } else {
      creds = this.credentials.filter((c) => c.resident && c.rpId === rpId).reverse();
      creds = creds.filter((c) => c.credProtect < 2 || uv);
    }
    if (creds.length === 0) throw new Fault(ST.NO_CREDENTIALS);
    if (up) await touch();
    const flags = (up ? 0x01 : 0) | (uv ? 0x04 : 0);
    const rpIdHash = this.rpHash(rpId);
    const [first, ...rest] = creds as [SoftFidoCredential, ...SoftFidoCredential[]];
    this.pendingAssertions = rest.length > 0 && allowList === undefined ? { creds: rest, clientDataHash, flags, rpIdHash } : undefined;
    return this.assertion(first, clientDataHash, flags, rpIdHash, allowList === undefined && creds.length > 1 ? creds.length : undefined);
  }

  private getNextAssertion(): Map<number | string, Cbor> {
    const pending = this.pendingAssertions;
    const next = pending?.creds.shift();
    if (pending === undefined || next === undefined) throw new Fault(ST.NOT_ALLOWED);
    return this.assertion(next, pending.clientDataHash, pending.flags, pending.rpIdHash, undefined);
  }

  private clientPin(p: Map<number | string, Cbor>): Map<number | string, Cbor> | undefined {
    const sub = required(field(p, 2, isInt));
    const protocol = field(p, 1, isInt);
    if (sub === 1) return m([[3, this.pinRetries]]);
    if (protocol === undefined) throw new Fault(ST.MISSING_PARAMETER);
    if (!this.protocols().includes(protocol)) throw new Fault(ST.INVALID_PARAMETER);
    const ops = protocolOps(protocol);
    const shared = (): Uint8Array => {
      const peer = required(field(p, 3, isMap));
      const x = required(field(peer, -2, isBytes));
      const y = required(field(peer, -3, isBytes));
      try {
        return ops.kdf(this.keyAgreement.computeSecret(Buffer.concat([Buffer.from([4]), x, y])));
      } catch {
        throw new Fault(ST.INVALID_PARAMETER);
      }
    };
    switch (sub) {
      case 2: {
        const pub = createPublicKey({ key: this.spkiOfKeyAgreement(), format: 'der', type: 'spki' });
        return m([[1, coseKey(pub, -25)]]);
      }
      case 3: {
        if (this.pin !== undefined) throw new Fault(ST.NOT_ALLOWED);
        const key = shared();
        const newPinEnc = required(field(p, 5, isBytes));
        if (!ops.verify(key, newPinEnc, required(field(p, 4, isBytes)))) throw new Fault(ST.PIN_AUTH_INVALID);
        const padded = ops.decrypt(key, newPinEnc);
        if (padded.length !== 64) throw new Fault(ST.PIN_POLICY_VIOLATION);
        const end = padded.indexOf(0);
        const pin = Buffer.from(padded.subarray(0, end < 0 ? 64 : end)).toString('utf8');
        if (Buffer.byteLength(pin) < 4) throw new Fault(ST.PIN_POLICY_VIOLATION);
        this.pin = pin;
        this.pinRetries = MAX_RETRIES;
        return undefined;
      }
      case 5:
      case 9: {
        if (sub === 9 && this.opts.ctap20) throw new Fault(ST.INVALID_SUBCOMMAND);
        if (this.pin === undefined) throw new Fault(ST.PIN_NOT_SET);
        if (this.pinRetries === 0) throw new Fault(ST.PIN_BLOCKED);
        if (this.consecutivePinFailures >= 3) throw new Fault(ST.PIN_AUTH_BLOCKED);
        const key = shared();
        const pinHash = ops.decrypt(key, required(field(p, 6, isBytes)));
        if (!same(pinHash.subarray(0, 16), sha256(this.pin).subarray(0, 16)) || pinHash.length !== 16) {
          this.pinRetries--;
          this.consecutivePinFailures++;
          this.keyAgreement = createECDH('prime256v1');
          this.keyAgreement.generateKeys();
          if (this.pinRetries === 0) throw new Fault(ST.PIN_BLOCKED);
          if (this.consecutivePinFailures >= 3) throw new Fault(ST.PIN_AUTH_BLOCKED);
          throw new Fault(ST.PIN_INVALID);
        }
        this.pinRetries = MAX_RETRIES;
        this.consecutivePinFailures = 0;
        let permissions = PERM.MC | PERM.GA | PERM.CM;
        let rpId: string | undefined;
        if (sub === 9) {
          permissions = required(field(p, 9, isInt));
          if (permissions === 0) throw new Fault(ST.INVALID_PARAMETER);
          rpId = field(p, 10, isText);
        }
        this.token = { value: randomBytes(32), protocol, permissions, rpId };
        return m([[2, ops.encrypt(key, this.token.value)]]);
      }
      default:
        throw new Fault(ST.INVALID_SUBCOMMAND);
    }
  }

  private spkiOfKeyAgreement(): Buffer {
    // The uncompressed point behind the fixed SPKI prefix of a P-256 key (RFC 5480).
    const prefix = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
    return Buffer.concat([prefix, this.keyAgreement.getPublicKey()]);
  }

  private credentialManagement(p: Map<number | string, Cbor>): Map<number | string, Cbor> | undefined {
    const sub = required(field(p, 1, isInt));
    const subParams = field(p, 2, isMap);
    if (sub === 1 || sub === 2 || sub === 4 || sub === 6) {
      const message = Buffer.concat([Buffer.from([sub]), subParams ? cborEncode(subParams) : Buffer.alloc(0)]);
      this.checkToken(field(p, 3, isInt), required(field(p, 4, isBytes)), message, PERM.CM, undefined);
    }
    const residents = this.credentials.filter((c) => c.resident);
    const credentialEntry = (c: SoftFidoCredential, total: number | undefined) =>
      m([
        [6, m([['id', c.userId], ['name', c.userName]])],
        [7, m([['id', c.id], ['type', 'public-key']])],
        [8, coseKey(c.publicKey, c.alg)],
        [9, total],
        [10, c.credProtect],
      ]);
    const rpEntry = (rpId: string, total: number | undefined) => m([[3, m([['id', rpId]])], [4, sha256(rpId)], [5, total]]);
    switch (sub) {
      case 1:
        return m([[1, residents.length], [2, Math.max(0, 25 - residents.length)]]);
      case 2: {
        const rps = [...new Set(residents.map((c) => c.rpId).filter(isText))];
        if (rps.length === 0) throw new Fault(ST.NO_CREDENTIALS);
        this.pendingRps = rps.slice(1);
        return rpEntry(rps[0] as string, rps.length);
      }
      case 3: {
        const next = this.pendingRps.shift();
        if (next === undefined) throw new Fault(ST.NOT_ALLOWED);
        return rpEntry(next, undefined);
      }
      case 4: {
        const hash = required(field(required(subParams), 1, isBytes));
        const creds = residents.filter((c) => same(c.rpIdHash, hash));
        if (creds.length === 0) throw new Fault(ST.NO_CREDENTIALS);
        this.pendingCreds = creds.slice(1);
        return credentialEntry(creds[0] as SoftFidoCredential, creds.length);
      }
      case 5: {
        const next = this.pendingCreds.shift();
        if (next === undefined) throw new Fault(ST.NOT_ALLOWED);
        return credentialEntry(next, undefined);
      }
      case 6: {
        const id = required(field(required(field(required(subParams), 2, isMap)), 'id', isBytes));
        const i = this.credentials.findIndex((c) => c.resident && same(c.id, id));
        if (i < 0) throw new Fault(ST.NO_CREDENTIALS);
        this.credentials.splice(i, 1);
        return undefined;
      }
      default:
        throw new Fault(ST.INVALID_SUBCOMMAND);
    }
  }

  // -------------------------------------------------------------------------------------------
  // U2F raw messages over CTAPHID_MSG

  private u2f(apdu: Buffer): Uint8Array {
    const sw = (code: number, data: Uint8Array = new Uint8Array(0)) => Buffer.concat([data, Buffer.from([code >> 8, code & 0xff])]);
    if (apdu.length < 4 || apdu[0] !== 0) return sw(0x6e00);
    const ins = apdu[1] as number;
    const p1 = apdu[2] as number;
    let data: Buffer = Buffer.alloc(0);
    if (apdu.length >= 7 && apdu[4] === 0) {
      const lc = apdu.readUInt16BE(5);
      if (7 + lc > apdu.length) return sw(0x6700);
      data = apdu.subarray(7, 7 + lc);
    } else if (apdu.length > 5) {
      data = apdu.subarray(5, 5 + (apdu[4] as number));
    }
    if (ins === 0x03) return sw(SW_OK, Buffer.from('U2F_V2'));
    if (ins === 0x01) {
      if (data.length !== 64) return sw(0x6700);
      if (!this.u2fTouched()) return sw(SW_CONDITIONS);
      const challenge = data.subarray(0, 32);
      const app = data.subarray(32, 64);
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const raw = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
      const kh = randomBytes(64);
      this.credentials.push({ id: kh, rpId: undefined, rpIdHash: Buffer.from(app), alg: -7, userId: new Uint8Array(0), userName: undefined, resident: false, credProtect: 1, ...pair });
      const sig = sign('sha256', Buffer.concat([Buffer.from([0]), app, challenge, kh, raw]), this.attestationKey.privateKey);
      return sw(SW_OK, Buffer.concat([Buffer.from([0x05]), raw, Buffer.from([kh.length]), kh, this.attestationCert, sig]));
    }
    if (ins === 0x02) {
      if (data.length < 65 || data.length !== 65 + (data[64] as number)) return sw(0x6700);
      const challenge = data.subarray(0, 32);
      const app = data.subarray(32, 64);
      const kh = data.subarray(65);
      const cred = this.credentials.find((c) => c.alg === -7 && same(c.id, kh) && same(c.rpIdHash, app));
      if (cred === undefined) return sw(SW_WRONG_DATA);
      if (p1 === 0x07) return sw(SW_CONDITIONS);
      if (p1 !== 0x03 && p1 !== 0x08) return sw(SW_WRONG_DATA);
      if (p1 === 0x03 && !this.u2fTouched()) return sw(SW_CONDITIONS);
      const flags = p1 === 0x03 ? 0x01 : 0x00;
      const counter = be32(++this.counter);
      const sig = sign('sha256', Buffer.concat([app, Buffer.from([flags]), counter, challenge]), cred.privateKey);
      return sw(SW_OK, Buffer.concat([Buffer.from([flags]), counter, sig]));
    }
    return sw(SW_INS);
  }

  /** U2F presence: the first request starts the wait, requests until the touch answer "not yet", the next one after it consumes it. */
  private u2fTouched(): boolean {
    if (this.opts.denyPresence) return false;
    const delay = this.opts.touchDelayMs ?? 0;
    if (delay === 0) return true;
    const now = Date.now();
    if (this.u2fTouchAt === undefined) {
      this.u2fTouchAt = now + delay;
      return false;
    }
    if (now < this.u2fTouchAt) return false;
    this.u2fTouchAt = undefined;
    return true;
  }
}

/** A fresh software authenticator. It has the HidDevice shape of @ssh/keys/node's CTAP backend. */
export function softFido(options: SoftFidoOptions = {}): SoftFido {
  return new SoftFido(options);
}
