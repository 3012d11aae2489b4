/**
 * The CTAP2-over-USB-HID security-key backend: what AsyncSSH does with python-fido2 and OpenSSH
 * with sk-usbhid.c. CTAP2 where the token speaks it, U2F (ECDSA only) where it does not;
 * several tokens are told apart by asking each whether it knows the key handle without a touch.
 * @module
 */

import type {
  SecurityKeyBackend,
  SkEnrollRequest,
  SkEnrollResult,
  SkLoadResidentRequest,
  SkResidentKey,
  SkSignRequest,
  SkSignResult,
} from '../backend.ts';
import {
  SK_FLAG_FORCE_OPERATION,
  SK_FLAG_RESIDENT_KEY,
  SK_FLAG_USER_PRESENCE_REQD,
  SK_FLAG_USER_VERIFICATION_REQD,
  SecurityKeyError,
} from '../backend.ts';
import { checkAttestation } from './attestation.ts';
import { AUTH_DATA_FLAG, checkedAuthenticatorData, equalBytes, sha256 } from './auth-data.ts';
import { type CborMap, type CborValue, encodeCbor } from './cbor.ts';
import { coseAlgorithmFor, derSignatureToRaw } from './cose.ts';
import { Ctap2Session, PERMISSION, type PinUvAuth } from './ctap2.ts';
import { type CtapOperation, CtapHidChannel, type HidDevice, KEEPALIVE_STATUS } from './ctaphid.ts';
import { listHidrawDevices, openHidraw } from './hidraw.ts';
import { CTAP_STATUS, statusError } from './status.ts';
import { u2fAuthenticate, u2fKnowsKeyHandle, u2fRegister } from './u2f.ts';

export interface CtapBackendOptions {
  /** The authenticators to talk to (default: the FIDO hidraw devices on Linux). They are closed after each call. */
  readonly devices?: () => Promise<HidDevice[]>;
  /** How long one call may take, touches included (default 30 s). */
  readonly timeoutMs?: number;
  /** Told when an authenticator waits for a touch (once per call), to prompt the user. */
  readonly onTouchNeeded?: (devicePath: string) => void;
  /**
   * With several authenticators, how long each may take to say whether it holds a key (default
   * 5 s), so that one that hangs does not use up the time of the one that has it.
   */
  readonly probeTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
/** CTAP2 limits user ids to 64 bytes. CTAP 2.1 §6.1.2 (PublicKeyCredentialUserEntity). */
const MAX_USER_ID = 64;
/** credProtect levels. CTAP 2.1 §12.1. */
const CRED_PROTECT = { UV_OPTIONAL_WITH_CREDENTIAL_ID_LIST: 2, UV_REQUIRED: 3 } as const;

interface Connection {
  readonly device: HidDevice;
  readonly channel: CtapHidChannel;
  /** Undefined for a U2F-only token. */
  readonly ctap2: Ctap2Session | undefined;
}

function userText(userId: Uint8Array): string {
  let end = userId.length;
  while (end > 0 && userId[end - 1] === 0) end--;
  return new TextDecoder().decode(userId.subarray(0, end));
}

/** The authenticator data a U2F registration would have had (fido-u2f attestation, WebAuthn §8.6): presence and attested data, counter 0. */
function u2fAuthData(appHash: Uint8Array, keyHandle: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const cose = encodeCbor(
    new Map<number, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, publicKey.subarray(1, 33)],
      [-3, publicKey.subarray(33, 65)],
    ]),
  );
  const out = new Uint8Array(37 + 16 + 2 + keyHandle.length + cose.length);
  out.set(appHash, 0);
  out[32] = AUTH_DATA_FLAG.UP | AUTH_DATA_FLAG.AT;
  out[53] = keyHandle.length >>> 8;
  out[54] = keyHandle.length & 0xff;
  out.set(keyHandle, 55);
  out.set(cose, 55 + keyHandle.length);
  return out;
}

export class CtapBackend implements SecurityKeyBackend {
  private readonly listDevices: () => Promise<HidDevice[]>;
  private readonly timeoutMs: number;
  private readonly onTouchNeeded: ((devicePath: string) => void) | undefined;
  private readonly probeTimeoutMs: number;
  private readonly discovering: boolean;

  constructor(options: CtapBackendOptions = {}) {
    this.discovering = options.devices === undefined;
    this.listDevices = options.devices ?? (() => listHidrawDevices());
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onTouchNeeded = options.onTouchNeeded;
    this.probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  }

  private operation(): CtapOperation {
    let told = false;
    return {
      deadline: Date.now() + this.timeoutMs,
      onKeepalive: (status, devicePath) => {
        if (status !== KEEPALIVE_STATUS.UPNEEDED || told) return;
        told = true;
        this.onTouchNeeded?.(devicePath);
      },
    };
  }

  /** The devices a call may use: the one named, or all that were found. Never empty. */
  private async devices(named: string | undefined): Promise<HidDevice[]> {
    let all: HidDevice[];
    try {
      all = await this.listDevices();
    } catch (cause) {
      throw new SecurityKeyError('device-not-found', `cannot list security keys: ${(cause as Error).message}`, { cause });
    }
    if (named !== undefined) {
      const match = all.find((d) => d.path === named);
      await Promise.all(all.filter((d) => d !== match).map((d) => d.close().catch(() => undefined)));
      if (match) return [match];
      // Discovery only lists what it recognises; a path the user names is worth a try all the same.
      if (this.discovering) return [openHidraw(named)];
      throw new SecurityKeyError('device-not-found', `no security key at ${named}`);
    }
    if (all.length === 0) {
      const where =
        process.platform === 'linux'
          ? 'no FIDO security key found among /dev/hidraw* (is one plugged in, and readable by this user?)'
          : `CTAP2 over USB HID is implemented for Linux hidraw only, not ${process.platform}`;
      throw new SecurityKeyError('device-not-found', `${where}; OpenSSH security-key middleware (a SecurityKeyProvider library path) is the alternative`);
    }
    return all;
  }

  private async connect(device: HidDevice, op: CtapOperation): Promise<Connection> {
    const channel = await CtapHidChannel.open(device, op);
    if (!channel.supportsCbor) {
      if (!channel.supportsMsg) throw new SecurityKeyError('unsupported', `${device.path}: the device speaks neither CTAP2 nor U2F`);
      return { device, channel, ctap2: undefined };
    }
    try {
      const ctap2 = await Ctap2Session.open(channel, op);
      if (!ctap2.supportsFido2 && channel.supportsMsg) return { device, channel, ctap2: undefined };
      return { device, channel, ctap2 };
    } catch (err) {
      // A token that announces CBOR and then refuses getInfo is a U2F token with a wrong flag.
      if (err instanceof SecurityKeyError && err.status === CTAP_STATUS.INVALID_COMMAND && channel.supportsMsg) return { device, channel, ctap2: undefined };
      throw err;
    }
  }

  private async closeAll(devices: readonly HidDevice[]): Promise<void> {
    await Promise.all(devices.map((d) => d.close().catch(() => undefined)));
  }

  async enroll(request: SkEnrollRequest): Promise<SkEnrollResult> {
    if (request.userId.length > MAX_USER_ID) throw new SecurityKeyError('general', `a user id of ${request.userId.length} bytes (at most ${MAX_USER_ID})`);
    const op = this.operation();
    const devices = await this.devices(request.device);
    try {
      const conn = devices.length === 1 ? await this.connect(devices[0] as HidDevice, op) : await this.selectByTouch(devices, op);
      return conn.ctap2 ? await this.enrollCtap2(conn.ctap2, request, op) : await this.enrollU2f(conn, request, op);
    } finally {
      await this.closeAll(devices);
    }
  }

  /**
   * With several authenticators and none named, the one the user touches, as OpenSSH's
   * sk-usbhid picks one to enroll on: each is asked for a touch at once (Ctap2Session.touch(), or
   * a U2F registration for a dummy application), and the others are cancelled when one answers.
   * The user then touches it again for the operation itself.
   */
  private async selectByTouch(devices: readonly HidDevice[], op: CtapOperation): Promise<Connection> {
    const probe: CtapOperation = { ...op, deadline: Math.min(op.deadline, Date.now() + this.probeTimeoutMs) };
    const opened = await Promise.allSettled(devices.map((d) => this.connect(d, probe)));
    const conns = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (conns.length === 0) throw (opened[0] as PromiseRejectedResult).reason;
    if (conns.length === 1) return conns[0] as Connection;
    let chosen: Connection | undefined;
    // A touch notice of its own (onTouchNeeded): the operation that follows asks for another touch.
    const waiting: CtapOperation = { ...this.operation(), deadline: op.deadline, abandoned: () => chosen !== undefined };
    const touches = conns.map(async (conn) => {
      if (conn.ctap2) await conn.ctap2.touch(waiting);
      else await u2fRegister(conn.channel, new Uint8Array(32), sha256('.dummy'), waiting);
      return conn;
    });
    // The losers end later (cancelled); their devices are closed with the others after the call.
    for (const touch of touches) touch.catch(() => undefined);
    try {
      chosen = await Promise.any(touches);
    } catch (err) {
      const reasons = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
      throw reasons.find((e) => e instanceof SecurityKeyError && e.kind !== 'timeout') ?? reasons[0];
    }
    // The others still wait for a touch: CTAPHID_CANCEL ends a CTAP2 wait; U2F polling stops by itself.
    await Promise.all(conns.filter((c) => c !== chosen && c.ctap2 !== undefined).map((c) => c.channel.cancel()));
    return chosen;
  }

  private async enrollCtap2(session: Ctap2Session, request: SkEnrollRequest, op: CtapOperation): Promise<SkEnrollResult> {
    const resident = (request.flags & SK_FLAG_RESIDENT_KEY) !== 0;
    const verify = (request.flags & SK_FLAG_USER_VERIFICATION_REQD) !== 0;
    const clientDataHash = sha256(request.challenge);
    const name = request.userName ?? (userText(request.userId) || 'openssh');

    let pinUvAuth: PinUvAuth | undefined;
    let uvOption: boolean | undefined;
    if (request.pin !== undefined) {
      if (resident && (request.flags & SK_FLAG_FORCE_OPERATION) === 0) {
        // As sk-usbhid.c: without force, an existing resident key of this user is not overwritten.
        const lookup = await session.pinUvAuthToken(request.pin, PERMISSION.GET_ASSERTION, request.application, op);
        if (await this.residentExists(session, request.application, request.userId, lookup, op)) {
          throw new SecurityKeyError('credential-exists', `${session.path}: a resident key for ${request.application} and this user already exists (force overwrites it)`);
        }
      }
      pinUvAuth = await session.pinUvAuthToken(request.pin, PERMISSION.MAKE_CREDENTIAL, request.application, op);
    } else if (verify) {
      if (session.option('uv') !== true) throw this.pinNeeded(session);
      uvOption = true;
    }

    const extensions: CborMap = new Map();
    if ((resident || verify) && session.info.extensions.includes('credProtect')) {
      // As sk-usbhid.c: resident and verify-required keys are not handed out without user verification.
      extensions.set('credProtect', verify ? CRED_PROTECT.UV_REQUIRED : CRED_PROTECT.UV_OPTIONAL_WITH_CREDENTIAL_ID_LIST);
    }
    const response = await session.makeCredential(
      {
        clientDataHash,
        rp: { id: request.application, name: request.application },
        user: { id: request.userId, name, displayName: name },
        alg: coseAlgorithmFor(request.alg),
        extensions,
        options: { ...(resident ? { rk: true } : {}), ...(uvOption ? { uv: true } : {}) },
        ...(pinUvAuth ? { pinUvAuth } : {}),
      },
      op,
    );
    const authData = checkedAuthenticatorData(response.authData, request.application);
    const credential = authData.credential;
    if (credential === undefined) throw new SecurityKeyError('general', `${session.path}: the new credential came without attested credential data`);
    if (credential.publicKey.alg !== request.alg) throw new SecurityKeyError('general', `${session.path}: asked for an ${request.alg} key, got an ${credential.publicKey.alg} one`);
    const attestation = checkAttestation(response.fmt, response.attStmt, response.authData, clientDataHash, credential);
    return {
      publicKey: credential.publicKey.publicKey,
      keyHandle: credential.credentialId,
      flags: request.flags & ~SK_FLAG_FORCE_OPERATION,
      attestationSignature: attestation.signature,
      attestationCertificate: attestation.certificate,
      authData: response.authData,
    };
  }

  private async enrollU2f(conn: Connection, request: SkEnrollRequest, op: CtapOperation): Promise<SkEnrollResult> {
    const path = conn.device.path;
    if (request.alg !== 'ecdsa') throw new SecurityKeyError('unsupported', `${path}: a U2F-only security key makes ECDSA keys only`);
    if (request.flags & (SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_VERIFICATION_REQD)) {
      throw new SecurityKeyError('unsupported', `${path}: a U2F-only security key has neither resident keys nor user verification`);
    }
    const clientDataHash = sha256(request.challenge);
    const appHash = sha256(request.application);
    const reg = await u2fRegister(conn.channel, clientDataHash, appHash, op);
    const authData = u2fAuthData(appHash, reg.keyHandle, reg.publicKey);
    const attStmt: CborMap = new Map<string, CborValue>([
      ['sig', reg.signature],
      ['x5c', [reg.certificate]],
    ]);
    checkAttestation('fido-u2f', attStmt, authData, clientDataHash, { credentialId: reg.keyHandle, publicKey: { alg: 'ecdsa', publicKey: reg.publicKey } });
    return {
      publicKey: reg.publicKey,
      keyHandle: reg.keyHandle,
      flags: request.flags & ~SK_FLAG_FORCE_OPERATION,
      attestationSignature: reg.signature,
      attestationCertificate: reg.certificate,
      authData,
    };
  }

  private pinNeeded(session: Ctap2Session): SecurityKeyError {
    if (session.option('clientPin') === true) return new SecurityKeyError('pin-required', `${session.path}: user verification needs the security key's PIN`);
    return statusError(CTAP_STATUS.PIN_NOT_SET, session.path);
  }

  /** Whether a resident credential of `userId` exists for the application (GetAssertion without allowList, no touch). */
  private async residentExists(session: Ctap2Session, application: string, userId: Uint8Array, auth: PinUvAuth, op: CtapOperation): Promise<boolean> {
    const clientDataHash = sha256('');
    let assertion;
    try {
      assertion = await session.getAssertion({ rpId: application, clientDataHash, options: { up: false }, pinUvAuth: auth }, op);
    } catch (err) {
      if (err instanceof SecurityKeyError && err.status === CTAP_STATUS.NO_CREDENTIALS) return false;
      throw err;
    }
    const count = Math.min(assertion.numberOfCredentials ?? 1, 1000);
    for (let i = 0; ; i++) {
      if (assertion.userId !== undefined && equalBytes(assertion.userId, userId)) return true;
      if (i + 1 >= count) return false;
      assertion = await session.getNextAssertion(op);
    }
  }

  async sign(request: SkSignRequest): Promise<SkSignResult> {
    const op = this.operation();
    const devices = await this.devices(request.device);
    try {
      const conn = await this.deviceFor(devices, request, op);
      return conn.ctap2 ? await this.signCtap2(conn.ctap2, request, op) : await this.signU2f(conn, request, op);
    } finally {
      await this.closeAll(devices);
    }
  }

  /** Whether the token knows the key handle, asked without a touch (sk-usbhid.c's sk_try, AsyncSSH's up=false pre-check). */
  private async knows(conn: Connection, request: SkSignRequest, op: CtapOperation): Promise<boolean> {
    if (conn.ctap2 === undefined) {
      if (request.alg !== 'ecdsa') return false;
      return u2fKnowsKeyHandle(conn.channel, sha256(request.application), request.keyHandle, op);
    }
    try {
      await conn.ctap2.getAssertion({ rpId: request.application, clientDataHash: sha256(''), allowList: [{ id: request.keyHandle }], options: { up: false } }, op);
      return true;
    } catch (err) {
      if (!(err instanceof SecurityKeyError)) throw err;
      if (err.status === CTAP_STATUS.NO_CREDENTIALS || err.status === CTAP_STATUS.INVALID_CREDENTIAL) return false;
      // Tokens that insist on a touch or a PIN even to look do hold the credential.
      if (err.status === CTAP_STATUS.UP_REQUIRED || err.kind === 'pin-required') return true;
      throw err;
    }
  }

  /**
   * The token that holds the key handle. A credential that needs user verification is invisible
   * to a question without it, so then the one token there is gets the request, and with several
   * the caller has to name one.
   */
  private async deviceFor(devices: readonly HidDevice[], request: SkSignRequest, op: CtapOperation): Promise<Connection> {
    const blind = (request.flags & SK_FLAG_USER_VERIFICATION_REQD) !== 0;
    if (devices.length === 1) {
      const conn = await this.connect(devices[0] as HidDevice, op);
      if (conn.ctap2 === undefined && request.alg !== 'ecdsa') throw new SecurityKeyError('unsupported', `${conn.device.path}: a U2F-only security key has no Ed25519 keys`);
      if (!blind && !(await this.knows(conn, request, op))) throw statusError(CTAP_STATUS.NO_CREDENTIALS, conn.device.path);
      return conn;
    }
    const failures: string[] = [];
    for (const device of devices) {
      const probe: CtapOperation = { ...op, deadline: Math.min(op.deadline, Date.now() + this.probeTimeoutMs) };
      try {
        const conn = await this.connect(device, probe);
        if (await this.knows(conn, request, probe)) return conn;
        failures.push(`${device.path}: not this key's token`);
      } catch (err) {
        if (err instanceof SecurityKeyError && err.kind === 'timeout' && Date.now() >= op.deadline) throw err;
        failures.push((err as Error).message);
      }
    }
    const hint = blind ? ' (a key that requires user verification cannot be found without it: name its device)' : '';
    throw new SecurityKeyError('general', `none of the ${devices.length} security keys holds this credential${hint}: ${failures.join('; ')}`, {
      status: CTAP_STATUS.NO_CREDENTIALS,
    });
  }

  private async signCtap2(session: Ctap2Session, request: SkSignRequest, op: CtapOperation): Promise<SkSignResult> {
    const clientDataHash = sha256(request.message);
    let pinUvAuth: PinUvAuth | undefined;
    let uvOption: boolean | undefined;
    if (request.pin !== undefined) {
      pinUvAuth = await session.pinUvAuthToken(request.pin, PERMISSION.GET_ASSERTION, request.application, op);
    } else if (request.flags & SK_FLAG_USER_VERIFICATION_REQD) {
      if (session.option('uv') !== true) throw this.pinNeeded(session);
      uvOption = true;
    }
    const assertion = await session.getAssertion(
      {
        rpId: request.application,
        clientDataHash,
        allowList: [{ id: request.keyHandle }],
        options: { up: (request.flags & SK_FLAG_USER_PRESENCE_REQD) !== 0, ...(uvOption ? { uv: true } : {}) },
        ...(pinUvAuth ? { pinUvAuth } : {}),
      },
      op,
    );
    if (assertion.credentialId !== undefined && !equalBytes(assertion.credentialId, request.keyHandle)) {
      throw new SecurityKeyError('general', `${session.path}: the security key signed with another credential than the one asked for`);
    }
    const authData = checkedAuthenticatorData(assertion.authData, request.application);
    return { flags: authData.flags, counter: authData.counter, signature: this.signatureOf(request, assertion.signature, session.path), extensions: authData.extensions };
  }

  private async signU2f(conn: Connection, request: SkSignRequest, op: CtapOperation): Promise<SkSignResult> {
    const path = conn.device.path;
    if (request.alg !== 'ecdsa') throw new SecurityKeyError('unsupported', `${path}: a U2F-only security key has no Ed25519 keys`);
    if (request.flags & SK_FLAG_USER_VERIFICATION_REQD) throw new SecurityKeyError('unsupported', `${path}: a U2F-only security key cannot verify the user`);
    const auth = await u2fAuthenticate(conn.channel, sha256(request.message), sha256(request.application), request.keyHandle, op);
    return { flags: auth.flags, counter: auth.counter, signature: this.signatureOf(request, auth.signature, path), extensions: new Uint8Array(0) };
  }

  private signatureOf(request: SkSignRequest, signature: Uint8Array, path: string): Uint8Array {
    if (request.alg === 'ed25519') {
      if (signature.length !== 64) throw new SecurityKeyError('general', `${path}: an Ed25519 signature of ${signature.length} bytes`);
      return signature;
    }
    try {
      return derSignatureToRaw(signature);
    } catch (cause) {
      throw new SecurityKeyError('general', `${path}: malformed ECDSA signature from the security key: ${(cause as Error).message}`, { cause });
    }
  }

  async loadResidentKeys(request: SkLoadResidentRequest): Promise<SkResidentKey[]> {
    if (request.pin === undefined) throw new SecurityKeyError('pin-required', 'listing resident keys needs the security key PIN');
    const pin = request.pin;
    const op = this.operation();
    const devices = await this.devices(request.device);
    try {
      const keys: SkResidentKey[] = [];
      for (const device of devices) {
        const conn = await this.connect(device, op);
        const session = conn.ctap2;
        // U2F tokens and CTAP2 tokens without credential management have no resident keys to list.
        if (session === undefined || session.credentialManagementCommand() === undefined) continue;
        for (const key of await this.residentKeysOf(session, pin, op)) keys.push(key); // not push(...): no stack limit on the count
      }
      return keys;
    } finally {
      await this.closeAll(devices);
    }
  }

  private async residentKeysOf(session: Ctap2Session, pin: string, op: CtapOperation): Promise<SkResidentKey[]> {
    const auth = await session.pinUvAuthToken(pin, PERMISSION.CREDENTIAL_MANAGEMENT, undefined, op);
    const keys: SkResidentKey[] = [];
    for (const rp of await session.enumerateRps(auth, op)) {
      // As sk-usbhid.c: only SSH's relying parties, and only those whose id the token still knows.
      if (rp.rpId === undefined || rp.rpId.slice(0, 4).toLowerCase() !== 'ssh:') continue;
      if (!equalBytes(rp.rpIdHash, sha256(rp.rpId))) throw new SecurityKeyError('general', `${session.path}: rpIDHash of ${JSON.stringify(rp.rpId)} is not its hash`);
      for (const cred of await session.enumerateCredentials(rp.rpId, rp.rpIdHash, auth, op)) {
        if (cred.publicKey === undefined) continue;
        let flags = SK_FLAG_RESIDENT_KEY | SK_FLAG_USER_PRESENCE_REQD;
        // sk-usbhid.c asks for verification when the credential demands it and the token has no built-in UV of its own.
        if (cred.credProtect === CRED_PROTECT.UV_REQUIRED && session.option('uv') === undefined) flags |= SK_FLAG_USER_VERIFICATION_REQD;
        keys.push({ alg: cred.publicKey.alg, application: rp.rpId, publicKey: cred.publicKey.publicKey, keyHandle: cred.credentialId, flags, userId: cred.userId });
      }
    }
    return keys;
  }
}
