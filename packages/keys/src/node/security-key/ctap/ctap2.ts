/**
 * The CTAP2 authenticator API over a CTAPHID channel. FIDO CTAP 2.1 §6: authenticatorGetInfo
 * (§6.4), MakeCredential (§6.1), GetAssertion and GetNextAssertion (§6.2, §6.3), ClientPIN with
 * PIN/UV auth protocols one and two (§6.5), CredentialManagement (§6.8, and the 0x41 preview
 * command of CTAP 2.1-PRE devices). Requests and responses are CBOR maps with integer keys.
 * @module
 */

import { SecurityKeyError } from '../backend.ts';
import {
  type CborMap,
  type CborValue,
  asArray,
  asBool,
  asBytes,
  asInt,
  asMap,
  asText,
  decodeCbor,
  encodeCbor,
  need,
} from './cbor.ts';
import { type ParsedCoseKey, ecdhPointFromCose, parseCoseKey } from './cose.ts';
import { CTAPHID, type CtapHidChannel, type CtapOperation } from './ctaphid.ts';
import { type PinProtocolVersion, type PinUvAuthProtocol, pinHashLeft16, paddedPin, pinProtocol } from './pin-protocol.ts';
import { CTAP_STATUS, statusError } from './status.ts';

export const CTAP2_CMD = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  GET_NEXT_ASSERTION: 0x08,
  CREDENTIAL_MANAGEMENT: 0x0a,
  SELECTION: 0x0b,
  CREDENTIAL_MANAGEMENT_PREVIEW: 0x41,
} as const;

/** ClientPIN subcommands. §6.5.5. */
export const CLIENT_PIN = { GET_RETRIES: 1, GET_KEY_AGREEMENT: 2, SET_PIN: 3, GET_PIN_TOKEN: 5, GET_TOKEN_WITH_PIN_PERMISSIONS: 9 } as const;
/** pinUvAuthToken permissions. §6.5.5.7. */
export const PERMISSION = { MAKE_CREDENTIAL: 0x01, GET_ASSERTION: 0x02, CREDENTIAL_MANAGEMENT: 0x04 } as const;
/** CredentialManagement subcommands. §6.8. */
const CRED_MGMT = { ENUMERATE_RPS_BEGIN: 2, ENUMERATE_RPS_NEXT: 3, ENUMERATE_CREDENTIALS_BEGIN: 4, ENUMERATE_CREDENTIALS_NEXT: 5 } as const;
/** A device that claims more RPs or credentials than this is not believed (the loops are bounded). */
const MAX_ENUMERATION = 1000;

export interface AuthenticatorInfo {
  readonly versions: readonly string[];
  readonly extensions: readonly string[];
  readonly aaguid: Uint8Array;
  readonly options: ReadonlyMap<string, boolean>;
  readonly maxMsgSize: number | undefined;
  readonly pinUvAuthProtocols: readonly number[];
  /** COSE algorithms, when the device lists them (CTAP 2.1). */
  readonly algorithms: readonly number[] | undefined;
}

/** Run a parser over device output: malformed structure becomes a `general` SecurityKeyError. */
function parsing<T>(context: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof SecurityKeyError) throw cause;
    throw new SecurityKeyError('general', `${context}: malformed response from the security key: ${(cause as Error).message}`, { cause });
  }
}

function textArray(v: CborValue, field: string): string[] {
  return asArray(v, field).map((s) => asText(s, field));
}

/** Decode an authenticatorGetInfo response map. §6.4. */
export function parseGetInfo(map: CborMap): AuthenticatorInfo {
  const options = new Map<string, boolean>();
  if (map.has(4)) for (const [k, v] of asMap(map.get(4), 'getInfo options')) options.set(asText(k, 'getInfo option name'), asBool(v, `getInfo option ${k}`));
  const aaguid = asBytes(need(map, 3, 'getInfo aaguid'), 'getInfo aaguid');
  if (aaguid.length !== 16) throw new SecurityKeyError('general', `getInfo: AAGUID of ${aaguid.length} bytes`);
  return {
    versions: textArray(need(map, 1, 'getInfo versions'), 'getInfo versions'),
    extensions: map.has(2) ? textArray(map.get(2), 'getInfo extensions') : [],
    aaguid,
    options,
    maxMsgSize: map.has(5) ? asInt(map.get(5), 'getInfo maxMsgSize') : undefined,
    pinUvAuthProtocols: map.has(6) ? asArray(map.get(6), 'getInfo pinUvAuthProtocols').map((p) => asInt(p, 'getInfo pinUvAuthProtocols')) : [],
    algorithms: map.has(10)
      ? asArray(map.get(10), 'getInfo algorithms').flatMap((a) => {
          const alg = asMap(a, 'getInfo algorithm').get('alg');
          return typeof alg === 'number' ? [alg] : [];
        })
      : undefined,
  };
}

export interface CredentialDescriptor {
  readonly id: Uint8Array;
}

export interface MakeCredentialRequest {
  readonly clientDataHash: Uint8Array;
  readonly rp: { readonly id: string; readonly name: string };
  readonly user: { readonly id: Uint8Array; readonly name: string; readonly displayName: string };
  readonly alg: number;
  readonly excludeList?: readonly CredentialDescriptor[];
  readonly extensions?: CborMap;
  readonly options?: { readonly rk?: boolean; readonly uv?: boolean };
  readonly pinUvAuth?: PinUvAuth;
}

export interface MakeCredentialResponse {
  readonly fmt: string;
  readonly authData: Uint8Array;
  readonly attStmt: CborMap;
}

export interface GetAssertionRequest {
  readonly rpId: string;
  readonly clientDataHash: Uint8Array;
  readonly allowList?: readonly CredentialDescriptor[];
  readonly options?: { readonly up?: boolean; readonly uv?: boolean };
  readonly pinUvAuth?: PinUvAuth;
}

export interface GetAssertionResponse {
  readonly credentialId: Uint8Array | undefined;
  readonly authData: Uint8Array;
  readonly signature: Uint8Array;
  readonly userId: Uint8Array | undefined;
  readonly numberOfCredentials: number | undefined;
}

/** A pinUvAuthToken and the protocol that made it: enough to authenticate requests. */
export interface PinUvAuth {
  readonly protocol: PinUvAuthProtocol;
  readonly token: Uint8Array;
}

export interface ResidentCredential {
  readonly rpId: string;
  readonly userId: Uint8Array;
  readonly userName: string | undefined;
  readonly credentialId: Uint8Array;
  /** Undefined for a key type PROTOCOL.u2f has no name for (the credential is left out of SSH's view). */
  readonly publicKey: ParsedCoseKey | undefined;
  /** The credProtect policy (1-3) when the device says. */
  readonly credProtect: number | undefined;
}

function descriptors(list: readonly CredentialDescriptor[]): CborValue[] {
  return list.map((d) => new Map<string, CborValue>([['id', d.id], ['type', 'public-key']]));
}

function optionsMap(options: Record<string, boolean | undefined>): CborMap | undefined {
  const map: CborMap = new Map();
  for (const [k, v] of Object.entries(options)) if (v !== undefined) map.set(k, v);
  return map.size === 0 ? undefined : map;
}

function parseAssertion(map: CborMap): GetAssertionResponse {
  const credential = map.has(1) ? asMap(map.get(1), 'assertion credential') : undefined;
  const user = map.has(4) ? asMap(map.get(4), 'assertion user') : undefined;
  return {
    credentialId: credential ? asBytes(need(credential, 'id', 'assertion credential id'), 'assertion credential id') : undefined,
    authData: asBytes(need(map, 2, 'assertion authData'), 'assertion authData'),
    signature: asBytes(need(map, 3, 'assertion signature'), 'assertion signature'),
    userId: user ? asBytes(need(user, 'id', 'assertion user id'), 'assertion user id') : undefined,
    numberOfCredentials: map.has(5) ? asInt(map.get(5), 'numberOfCredentials') : undefined,
  };
}

/** A CTAP2 conversation with one authenticator, after authenticatorGetInfo. */
export class Ctap2Session {
  readonly channel: CtapHidChannel;
  readonly info: AuthenticatorInfo;

  private constructor(channel: CtapHidChannel, info: AuthenticatorInfo) {
    this.channel = channel;
    this.info = info;
  }

  /** Ask for authenticatorGetInfo; a device that refuses it does not speak CTAP2 (the caller falls back to U2F). */
  static async open(channel: CtapHidChannel, op: CtapOperation): Promise<Ctap2Session> {
    const map = await command(channel, CTAP2_CMD.GET_INFO, undefined, op, 'authenticatorGetInfo');
    return new Ctap2Session(channel, parsing(`${channel.device.path}: authenticatorGetInfo`, () => parseGetInfo(map)));
  }

  private parse<T>(context: string, parse: () => T): T {
    return parsing(`${this.path}: ${context}`, parse);
  }

  get path(): string {
    return this.channel.device.path;
  }

  get supportsFido2(): boolean {
    return this.info.versions.some((v) => v.startsWith('FIDO_2'));
  }

  option(name: string): boolean | undefined {
    return this.info.options.get(name);
  }

  /** The PIN/UV auth protocol to use: the first of the device's list (its preference) that we know. */
  pinProtocolVersion(): PinProtocolVersion {
    const listed = this.info.pinUvAuthProtocols.find((p): p is PinProtocolVersion => p === 1 || p === 2);
    if (listed !== undefined) return listed;
    if (this.info.pinUvAuthProtocols.length > 0) throw new SecurityKeyError('unsupported', `${this.path}: no PIN/UV auth protocol in common (the device offers ${this.info.pinUvAuthProtocols.join(', ')})`);
    return 1;
  }

  private async keyAgreement(protocol: PinUvAuthProtocol, op: CtapOperation): Promise<{ platformKey: CborMap; sharedSecret: Uint8Array }> {
    const res = await command(this.channel, CTAP2_CMD.CLIENT_PIN, new Map([[1, protocol.version], [2, CLIENT_PIN.GET_KEY_AGREEMENT]]), op, 'getKeyAgreement');
    const peer = this.parse('getKeyAgreement', () => ecdhPointFromCose(asMap(need(res, 1, 'keyAgreement'), 'keyAgreement')));
    return protocol.encapsulate(peer);
  }

  /**
   * A pinUvAuthToken from the PIN. CTAP 2.1 devices (option pinUvAuthToken) get a token scoped to
   * `permissions` (and `rpId`); older ones get a getPinToken token, which carries every permission.
   */
  async pinUvAuthToken(pin: string, permissions: number, rpId: string | undefined, op: CtapOperation): Promise<PinUvAuth> {
    const clientPin = this.option('clientPin');
    if (clientPin === undefined) throw new SecurityKeyError('unsupported', `${this.path}: the security key has no PIN support`);
    if (!clientPin) throw statusError(CTAP_STATUS.PIN_NOT_SET, this.path);
    const protocol = pinProtocol(this.pinProtocolVersion());
    const { platformKey, sharedSecret } = await this.keyAgreement(protocol, op);
    const params: CborMap = new Map<number, CborValue>([
      [1, protocol.version],
      [3, platformKey],
      [6, protocol.encrypt(sharedSecret, pinHashLeft16(pin))],
    ]);
    if (this.option('pinUvAuthToken') === true) {
      params.set(2, CLIENT_PIN.GET_TOKEN_WITH_PIN_PERMISSIONS);
      params.set(9, permissions);
      if (rpId !== undefined) params.set(10, rpId);
    } else {
      params.set(2, CLIENT_PIN.GET_PIN_TOKEN);
    }
    const res = await command(this.channel, CTAP2_CMD.CLIENT_PIN, params, op, 'getPinToken');
    const encrypted = this.parse('getPinToken', () => asBytes(need(res, 2, 'pinUvAuthToken'), 'pinUvAuthToken'));
    const token = protocol.decrypt(sharedSecret, encrypted);
    if (protocol.version === 2 ? token.length !== 32 : token.length !== 16 && token.length !== 32) {
      throw new SecurityKeyError('general', `${this.path}: a pinUvAuthToken of ${token.length} bytes`);
    }
    return { protocol, token };
  }

  /** Set the first PIN of a device that has none. §6.5.5.5. */
  async setPin(pin: string, op: CtapOperation): Promise<void> {
    const protocol = pinProtocol(this.pinProtocolVersion());
    const { platformKey, sharedSecret } = await this.keyAgreement(protocol, op);
    const newPinEnc = protocol.encrypt(sharedSecret, paddedPin(pin));
    const params = new Map<number, CborValue>([
      [1, protocol.version],
      [2, CLIENT_PIN.SET_PIN],
      [3, platformKey],
      [4, protocol.authenticate(sharedSecret, newPinEnc)],
      [5, newPinEnc],
    ]);
    await command(this.channel, CTAP2_CMD.CLIENT_PIN, params, op, 'setPIN');
  }

  /** PIN retries left. §6.5.5.3. */
  async pinRetries(op: CtapOperation): Promise<number> {
    const res = await command(this.channel, CTAP2_CMD.CLIENT_PIN, new Map([[1, this.pinProtocolVersion()], [2, CLIENT_PIN.GET_RETRIES]]), op, 'getPINRetries');
    return this.parse('getPINRetries', () => asInt(need(res, 3, 'pinRetries'), 'pinRetries'));
  }

  /**
   * Waits for the user to touch this authenticator, and does nothing else: authenticatorSelection
   * on CTAP 2.1 (§6.9); on CTAP 2.0, a makeCredential with a zero-length pinAuth (§5.5.8.1), which
   * a device answers after the touch with PIN_NOT_SET or PIN_INVALID and no credential.
   */
  async touch(op: CtapOperation): Promise<void> {
    if (this.info.versions.includes('FIDO_2_1')) {
      await command(this.channel, CTAP2_CMD.SELECTION, undefined, op, 'authenticatorSelection');
      return;
    }
    const params = new Map<number, CborValue>([
      [1, new Uint8Array(32)],
      [2, new Map([['id', '.dummy']])],
      [3, new Map<string, CborValue>([['id', new Uint8Array([0])], ['name', 'dummy']])],
      [4, [new Map<string, CborValue>([['alg', -7], ['type', 'public-key']])]],
      [8, new Uint8Array(0)],
      [9, 1],
    ]);
    try {
      await command(this.channel, CTAP2_CMD.MAKE_CREDENTIAL, params, op, 'authenticatorMakeCredential (touch)');
    } catch (err) {
      if (err instanceof SecurityKeyError && (err.status === CTAP_STATUS.PIN_NOT_SET || err.status === CTAP_STATUS.PIN_INVALID)) return;
      throw err;
    }
    // Answered OK: a device that made a credential for '.dummy' all the same was touched too.
  }

  async makeCredential(req: MakeCredentialRequest, op: CtapOperation): Promise<MakeCredentialResponse> {
    const params = new Map<number, CborValue>([
      [1, req.clientDataHash],
      [2, new Map([['id', req.rp.id], ['name', req.rp.name]])],
      [3, new Map<string, CborValue>([['id', req.user.id], ['name', req.user.name], ['displayName', req.user.displayName]])],
      [4, [new Map<string, CborValue>([['alg', req.alg], ['type', 'public-key']])]],
    ]);
    if (req.excludeList && req.excludeList.length > 0) params.set(5, descriptors(req.excludeList));
    if (req.extensions && req.extensions.size > 0) params.set(6, req.extensions);
    const options = optionsMap({ rk: req.options?.rk, uv: req.options?.uv });
    if (options) params.set(7, options);
    if (req.pinUvAuth) {
      params.set(8, req.pinUvAuth.protocol.authenticate(req.pinUvAuth.token, req.clientDataHash));
      params.set(9, req.pinUvAuth.protocol.version);
    }
    const res = await command(this.channel, CTAP2_CMD.MAKE_CREDENTIAL, params, op, 'authenticatorMakeCredential');
    return this.parse('authenticatorMakeCredential', () => ({
      fmt: asText(need(res, 1, 'fmt'), 'fmt'),
      authData: asBytes(need(res, 2, 'authData'), 'authData'),
      attStmt: asMap(need(res, 3, 'attStmt'), 'attStmt'),
    }));
  }

  async getAssertion(req: GetAssertionRequest, op: CtapOperation): Promise<GetAssertionResponse> {
    const params = new Map<number, CborValue>([
      [1, req.rpId],
      [2, req.clientDataHash],
    ]);
    if (req.allowList && req.allowList.length > 0) params.set(3, descriptors(req.allowList));
    const options = optionsMap({ up: req.options?.up, uv: req.options?.uv });
    if (options) params.set(5, options);
    if (req.pinUvAuth) {
      params.set(6, req.pinUvAuth.protocol.authenticate(req.pinUvAuth.token, req.clientDataHash));
      params.set(7, req.pinUvAuth.protocol.version);
    }
    const res = await command(this.channel, CTAP2_CMD.GET_ASSERTION, params, op, 'authenticatorGetAssertion');
    return this.parse('authenticatorGetAssertion', () => parseAssertion(res));
  }

  async getNextAssertion(op: CtapOperation): Promise<GetAssertionResponse> {
    const res = await command(this.channel, CTAP2_CMD.GET_NEXT_ASSERTION, undefined, op, 'authenticatorGetNextAssertion');
    return this.parse('authenticatorGetNextAssertion', () => parseAssertion(res));
  }

  /** Whether the device can enumerate resident credentials, and with which command byte. */
  credentialManagementCommand(): number | undefined {
    if (this.option('credMgmt') === true) return CTAP2_CMD.CREDENTIAL_MANAGEMENT;
    if (this.option('credentialMgmtPreview') === true) return CTAP2_CMD.CREDENTIAL_MANAGEMENT_PREVIEW;
    return undefined;
  }

  private async credMgmt(sub: number, subParams: CborMap | undefined, auth: PinUvAuth | undefined, op: CtapOperation, context: string): Promise<CborMap> {
    const cmd = this.credentialManagementCommand();
    if (cmd === undefined) throw new SecurityKeyError('unsupported', `${this.path}: the security key cannot list resident credentials`);
    const params = new Map<number, CborValue>([[1, sub]]);
    if (subParams) params.set(2, subParams);
    if (auth) {
      const encoded = subParams ? encodeCbor(subParams) : new Uint8Array(0);
      const message = new Uint8Array(1 + encoded.length);
      message[0] = sub;
      message.set(encoded, 1);
      params.set(3, auth.protocol.version);
      params.set(4, auth.protocol.authenticate(auth.token, message));
    }
    return command(this.channel, cmd, params, op, context);
  }

  /** The relying parties with resident credentials: their ids and rpIdHashes. */
  async enumerateRps(auth: PinUvAuth, op: CtapOperation): Promise<{ rpId: string | undefined; rpIdHash: Uint8Array }[]> {
    let first: CborMap;
    try {
      first = await this.credMgmt(CRED_MGMT.ENUMERATE_RPS_BEGIN, undefined, auth, op, 'enumerateRPsBegin');
    } catch (err) {
      if (err instanceof SecurityKeyError && err.status === CTAP_STATUS.NO_CREDENTIALS) return [];
      throw err;
    }
    const readRp = (m: CborMap) =>
      this.parse('enumerateRPs', () => {
        const rp = asMap(need(m, 3, 'rp'), 'rp');
        const id = rp.get('id');
        const hash = asBytes(need(m, 4, 'rpIDHash'), 'rpIDHash');
        if (hash.length !== 32) throw new SecurityKeyError('general', `${this.path}: an rpIDHash of ${hash.length} bytes`);
        return { rpId: typeof id === 'string' ? id : undefined, rpIdHash: hash };
      });
    const total = this.parse('enumerateRPsBegin', () => asInt(need(first, 5, 'totalRPs'), 'totalRPs'));
    if (total < 1 || total > MAX_ENUMERATION) throw new SecurityKeyError('general', `${this.path}: the security key claims ${total} relying parties`);
    const out = [readRp(first)];
    for (let i = 1; i < total; i++) out.push(readRp(await this.credMgmt(CRED_MGMT.ENUMERATE_RPS_NEXT, undefined, undefined, op, 'enumerateRPsGetNextRP')));
    return out;
  }

  /** The resident credentials of one relying party. */
  async enumerateCredentials(rpId: string, rpIdHash: Uint8Array, auth: PinUvAuth, op: CtapOperation): Promise<ResidentCredential[]> {
    let first: CborMap;
    try {
      first = await this.credMgmt(CRED_MGMT.ENUMERATE_CREDENTIALS_BEGIN, new Map([[1, rpIdHash]]), auth, op, 'enumerateCredentialsBegin');
    } catch (err) {
      if (err instanceof SecurityKeyError && err.status === CTAP_STATUS.NO_CREDENTIALS) return [];
      throw err;
    }
    const readCredential = (m: CborMap): ResidentCredential =>
      this.parse('enumerateCredentials', () => {
        const user = asMap(need(m, 6, 'user'), 'user');
        const descriptor = asMap(need(m, 7, 'credentialID'), 'credentialID');
        let publicKey: ParsedCoseKey | undefined;
        try {
          publicKey = parseCoseKey(asMap(need(m, 8, 'publicKey'), 'publicKey'));
        } catch {
          publicKey = undefined; // a WebAuthn credential of another key type on the same RP
        }
        const name = user.get('name');
        return {
          rpId,
          userId: asBytes(need(user, 'id', 'user id'), 'user id'),
          userName: typeof name === 'string' ? name : undefined,
          credentialId: asBytes(need(descriptor, 'id', 'credential id'), 'credential id'),
          publicKey,
          credProtect: m.has(10) ? asInt(m.get(10), 'credProtect') : undefined,
        };
      });
    const total = this.parse('enumerateCredentialsBegin', () => asInt(need(first, 9, 'totalCredentials'), 'totalCredentials'));
    if (total < 1 || total > MAX_ENUMERATION) throw new SecurityKeyError('general', `${this.path}: the security key claims ${total} credentials`);
    const out = [readCredential(first)];
    for (let i = 1; i < total; i++) {
      out.push(readCredential(await this.credMgmt(CRED_MGMT.ENUMERATE_CREDENTIALS_NEXT, undefined, undefined, op, 'enumerateCredentialsGetNextCredential')));
    }
    return out;
  }
}

/** One CTAP2 command: the command byte, then its parameters as CBOR; the answer's status byte, then its map. */
export async function command(channel: CtapHidChannel, cmd: number, params: CborMap | undefined, op: CtapOperation, context: string): Promise<CborMap> {
  const body = params ? encodeCbor(params) : new Uint8Array(0);
  const request = new Uint8Array(1 + body.length);
  request[0] = cmd;
  request.set(body, 1);
  const response = await channel.transact(CTAPHID.CBOR, request, op);
  const status = response[0];
  if (status === undefined) throw new SecurityKeyError('general', `${channel.device.path}: ${context}: empty response`);
  if (status !== CTAP_STATUS.OK) throw statusError(status, `${channel.device.path}: ${context}`);
  if (response.length === 1) return new Map();
  return parsing(`${channel.device.path}: ${context}`, () => asMap(decodeCbor(response.subarray(1), { maxDepth: 8 }), context));
}
