/**
 * A software FIDO authenticator behind OpenSSH's security-key middleware API (sk-api.h), for
 * tests that have no token and no /dev/uhid: native/soft-sk-provider.c is a SecurityKeyProvider
 * library, built here on demand, that forwards each call over a Unix socket (SSH_SOFT_SK_SOCKET)
 * to the authenticator this module runs in the test process with node:crypto. ssh-keygen, ssh
 * and ssh-agent load it as they load a real provider (inside ssh-sk-helper, which inherits their
 * environment), and so can our own middleware backend: both then enroll and sign against the
 * same credentials.
 *
 * It behaves as a CTAP2 authenticator does under OpenSSH's sk-usbhid.c: ES256 and Ed25519
 * credentials scoped to their application, key handles it maps back to its keys, resident
 * credentials with 32-byte user ids ("user" option, zero-padded), a PIN when one is set (asked
 * for every enrollment and listing, and for signatures that need verification; missing or wrong:
 * SSH_SK_ERR_PIN_REQUIRED), presence and verification flags honoured, a counter per credential,
 * SSH_SK_ERR_CREDENTIAL_EXISTS for a second resident credential of one application and user
 * unless forced. Self-attested ("packed", no certificate). Two conveniences no device has: with
 * no PIN set, resident keys are listed without one; and the touch can be refused.
 * @module
 */
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InteropError } from './errors.ts';
import { makeTempDir, removeTempDir, tempRoot } from './tmp.ts';

const PROVIDER_SOURCE = fileURLToPath(new URL('../native/soft-sk-provider.c', import.meta.url));
/** Where Debian's openssh-client has the helper that ssh-keygen, ssh and ssh-agent run providers in. */
export const SSH_SK_HELPER = '/usr/lib/openssh/ssh-sk-helper';

/** sk-api.h return codes. */
export const SK_ERR = { GENERAL: -1, UNSUPPORTED: -2, PIN_REQUIRED: -3, DEVICE_NOT_FOUND: -4, CREDENTIAL_EXISTS: -5 } as const;
const UP = 0x01;
const UV = 0x04;
const FORCE = 0x10;
const RESIDENT = 0x20;
/** The authenticator data flag of an enrollment's attested credential data. */
const AT = 0x40;
const USER_ID_LENGTH = 32;
/** Bound on a request frame (the library's answers are bounded the same way). */
const MAX_FRAME = 1024 * 1024;

export type SoftSkAlg = 'ecdsa' | 'ed25519';

export interface SoftSkOptions {
  /** The authenticator's PIN; without one, nothing that needs user verification can be done. */
  readonly pin?: string;
  /** Whether the user touches the authenticator when asked (default true); false: every touch times out. */
  readonly presence?: boolean;
  /** The sk-api major the library reports and lays its structures out for (default 10, OpenSSH 9.1 and later). */
  readonly apiVersion?: number;
  /** The name a "device" option must give, when a caller gives one (default 'soft-sk'). */
  readonly deviceName?: string;
  /**
   * How ECDSA's r and s are returned: 'minimal' (default) as sk-usbhid's BN_bn2bin gives them,
   * without leading zero bytes; 'short-r' signs until r has a leading zero byte, so that it comes
   * back shorter than 32 bytes (as one signature in 256 does); 'padded' as 33 bytes with a zero
   * in front (as a provider copying DER INTEGERs would).
   */
  readonly ecdsaScalars?: 'minimal' | 'short-r' | 'padded';
}

export interface SoftSkCredential {
  readonly alg: SoftSkAlg;
  readonly application: string;
  readonly keyHandle: Uint8Array;
  /** ECDSA: the uncompressed P-256 point (65 bytes); Ed25519: the 32-byte key. */
  readonly publicKey: Uint8Array;
  readonly publicKeyObject: KeyObject;
  readonly resident: boolean;
  /** 32 bytes: the "user" option zero-padded (zeros without one). */
  readonly userId: Uint8Array;
  /** Enrolled with SSH_SK_USER_VERIFICATION_REQD: every signature needs the PIN. */
  readonly verificationRequired: boolean;
  /** The signature counter's last value (0 until the first signature). */
  readonly counter: number;
}

/** One call the library forwarded, as the authenticator saw it. */
export interface SoftSkCall {
  readonly op: 'enroll' | 'sign' | 'load';
  readonly alg: number | undefined;
  readonly application: string | undefined;
  readonly flags: number | undefined;
  readonly pin: string | undefined;
  readonly options: Readonly<Record<string, string>>;
  /** What it answered: 0 or an SSH_SK_ERR_* code. */
  readonly status: number;
}

export interface SoftSkProvider {
  /** The provider library: pass it to ssh-keygen -w, SecurityKeyProvider or a MiddlewareBackend. */
  readonly library: string;
  readonly socket: string;
  /** The environment the library needs: spread it into a child's, or into process.env for in-process callers. */
  readonly env: Readonly<Record<'SSH_SOFT_SK_SOCKET', string>>;
  readonly apiVersion: number;
  /** Every credential made, in order (resident ones replaced by a forced enrollment are gone). */
  readonly credentials: readonly SoftSkCredential[];
  readonly calls: readonly SoftSkCall[];
  /** Sets or (undefined) clears the PIN. */
  setPin(pin: string | undefined): void;
  setPresence(presence: boolean): void;
  /** Closes the socket; the library then fails every call with SSH_SK_ERR_GENERAL. Idempotent. */
  stop(): Promise<void>;
}

// ------------------------------------------------------------------ building

const builds = new Map<string, Promise<string>>();

/**
 * Compiles C `source` into a shared library (`$CC`, default cc, with -shared -fPIC -O2) under the
 * per-process temporary root, once per source and defines; returns its path.
 */
export function buildSharedLibrary(source: string, defines: Readonly<Record<string, string | number>> = {}): Promise<string> {
  const compiler = process.env['CC'] || 'cc';
  const flags = ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`)];
  const key = createHash('sha256').update(JSON.stringify([compiler, flags, source])).digest('hex').slice(0, 24);
  let build = builds.get(key);
  if (build === undefined) {
    build = compile(compiler, flags, source, key);
    builds.set(key, build);
    build.catch(() => builds.delete(key));
  }
  return build;
}

async function compile(compiler: string, flags: readonly string[], source: string, key: string): Promise<string> {
  const dir = join(tempRoot(), 'native');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const input = join(dir, `${key}.c`);
  const output = join(dir, `lib${key}.so`);
  await writeFile(input, source);
  const partial = `${output}.${process.pid}.tmp`;
  await new Promise<void>((resolve, reject) => {
    execFile(compiler, [...flags, '-o', partial, input], { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new InteropError(`no C compiler to build a test library: ${compiler} not found (install gcc, or set CC)`, { cause: error }));
      } else reject(new InteropError(`${compiler} failed to build ${input}: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
  await rename(partial, output);
  return output;
}

/** The soft provider library for sk-api major `apiVersion` (7 to 10 are the layouts OpenSSH used). */
export async function buildSoftSkLibrary(apiVersion = 10): Promise<string> {
  return buildSharedLibrary(await readFile(PROVIDER_SOURCE, 'utf8'), { SOFT_SK_API_MAJOR: apiVersion });
}

// ------------------------------------------------------------------ encodings

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function str(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  return Buffer.concat([u32(bytes.length), bytes]);
}

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** A CBOR byte string (RFC 8949 major type 2). */
function cborBytes(data: Uint8Array): Buffer {
  const n = data.length;
  const head = n < 24 ? Buffer.of(0x40 | n) : n < 256 ? Buffer.of(0x58, n) : Buffer.of(0x59, n >> 8, n & 0xff);
  return Buffer.concat([head, data]);
}

/** The credential public key as COSE_Key (RFC 9053): EC2 P-256 for ES256, OKP Ed25519 for EdDSA. */
function coseKey(alg: SoftSkAlg, publicKey: Uint8Array): Buffer {
  if (alg === 'ecdsa') {
    // {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
    return Buffer.concat([Buffer.of(0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21), cborBytes(publicKey.subarray(1, 33)), Buffer.of(0x22), cborBytes(publicKey.subarray(33))]);
  }
  // {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x}
  return Buffer.concat([Buffer.of(0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21), cborBytes(publicKey)]);
}

/** A big-endian integer without its leading zero bytes, as BN_bn2bin gives r and s to sk-usbhid. */
function minimal(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

class Cursor {
  private offset = 0;
  private readonly data: Buffer;

  constructor(data: Buffer) {
    this.data = data;
  }

  u8(): number {
    return this.take(1)[0] as number;
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  bytes(): Buffer {
    return this.take(this.u32());
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  end(): void {
    if (this.offset !== this.data.length) throw new InteropError('soft-sk: trailing bytes in a request');
  }

  private take(n: number): Buffer {
    if (n > this.data.length - this.offset) throw new InteropError('soft-sk: truncated request');
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

// ------------------------------------------------------------------ the authenticator

interface Credential extends Omit<SoftSkCredential, 'counter'> {
  readonly privateKey: KeyObject;
  counter: number;
}

interface Request {
  readonly pin: string | undefined;
  readonly options: Map<string, { readonly value: Buffer; readonly required: boolean }>;
}

class Authenticator {
  readonly credentials: Credential[] = [];
  readonly calls: SoftSkCall[] = [];
  pin: string | undefined;
  presence: boolean;
  readonly deviceName: string;
  readonly ecdsaScalars: NonNullable<SoftSkOptions['ecdsaScalars']>;

  constructor(options: SoftSkOptions) {
    this.pin = options.pin;
    this.presence = options.presence ?? true;
    this.deviceName = options.deviceName ?? 'soft-sk';
    this.ecdsaScalars = options.ecdsaScalars ?? 'minimal';
  }

  /** The answer body to one request body. */
  handle(body: Buffer): Buffer {
    const c = new Cursor(body);
    const op = c.u8();
    let answer: { status: number; fields?: Buffer[] };
    let call: Omit<SoftSkCall, 'pin' | 'options' | 'status'>;
    let request: Request;
    if (op === 1) {
      const alg = c.u32();
      const challenge = c.bytes();
      const application = c.text();
      const flags = c.u8();
      request = readPinAndOptions(c);
      call = { op: 'enroll', alg, application, flags };
      answer = this.enroll(alg, challenge, application, flags, request);
    } else if (op === 2) {
      const alg = c.u32();
      const message = c.bytes();
      const application = c.text();
      const keyHandle = c.bytes();
      const flags = c.u8();
      request = readPinAndOptions(c);
      call = { op: 'sign', alg, application, flags };
      answer = this.sign(alg, message, application, keyHandle, flags, request);
    } else if (op === 3) {
      request = readPinAndOptions(c);
      call = { op: 'load', alg: undefined, application: undefined, flags: undefined };
      answer = this.load(request);
    } else {
      throw new InteropError(`soft-sk: unknown operation ${op}`);
    }
    const options = Object.fromEntries([...request.options].map(([name, o]) => [name, o.value.toString('utf8')]));
    this.calls.push({ ...call, pin: request.pin, options, status: answer.status });
    return Buffer.concat([u32(answer.status), ...(answer.status === 0 ? (answer.fields ?? []) : [])]);
  }

  /** Unless the options name this device (or none) and require nothing unknown: an error status. */
  private checkOptions(request: Request, known: readonly string[]): number | undefined {
    for (const [name, option] of request.options) {
      if (name === 'device' && option.value.toString('utf8') !== this.deviceName) return SK_ERR.DEVICE_NOT_FOUND;
      if (!known.includes(name) && option.required) return SK_ERR.GENERAL;
    }
    return undefined;
  }

  /**
   * The PIN check of a CTAP2 authenticator: 'verified' when the right PIN came, 'none' when none
   * came and none was needed, or the error status.
   */
  private checkPin(pin: string | undefined, needed: boolean): 'verified' | 'none' | number {
    if (pin !== undefined) {
      if (this.pin === undefined) return SK_ERR.GENERAL; // CTAP2_ERR_PIN_NOT_SET
      return pin === this.pin ? 'verified' : SK_ERR.PIN_REQUIRED; // sk-usbhid maps PIN_INVALID so too
    }
    if (!needed) return 'none';
    return this.pin === undefined ? SK_ERR.UNSUPPORTED : SK_ERR.PIN_REQUIRED;
  }

  private enroll(algCode: number, challenge: Buffer, application: string, flags: number, request: Request): { status: number; fields?: Buffer[] } {
    const alg = algCode === 0 ? 'ecdsa' : algCode === 1 ? 'ed25519' : undefined;
    if (alg === undefined) return { status: SK_ERR.UNSUPPORTED };
    const bad = this.checkOptions(request, ['device', 'user']);
    if (bad !== undefined) return { status: bad };
    const user = request.options.get('user')?.value ?? Buffer.alloc(0);
    if (user.length >= USER_ID_LENGTH) return { status: SK_ERR.GENERAL }; // sk-usbhid: "user too long"
    const userId = Buffer.concat([user, Buffer.alloc(USER_ID_LENGTH - user.length)]);
    // With a PIN set, CTAP2.0 authenticators take no credential without it.
    const pin = this.checkPin(request.pin, this.pin !== undefined || (flags & UV) !== 0);
    if (typeof pin === 'number') return { status: pin };
    if (!this.presence) return { status: SK_ERR.GENERAL }; // CTAP2_ERR_USER_ACTION_TIMEOUT
    const resident = (flags & RESIDENT) !== 0;
    if (resident) {
      const existing = this.credentials.findIndex((k) => k.resident && k.application === application && Buffer.compare(k.userId, userId) === 0);
      if (existing >= 0 && (flags & FORCE) === 0) return { status: SK_ERR.CREDENTIAL_EXISTS };
      if (existing >= 0) this.credentials.splice(existing, 1);
    }
    const { publicKey: publicKeyObject, privateKey } = alg === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const spki = publicKeyObject.export({ format: 'der', type: 'spki' });
    const publicKey = new Uint8Array(spki.subarray(spki.length - (alg === 'ecdsa' ? 65 : 32)));
    const keyHandle = new Uint8Array(randomBytes(48));
    const credential: Credential = {
      alg,
      application,
      keyHandle,
      publicKey,
      publicKeyObject,
      privateKey,
      resident,
      userId: new Uint8Array(userId),
      verificationRequired: (flags & UV) !== 0,
      counter: 0,
    };
    this.credentials.push(credential);
    const attested = Buffer.concat([Buffer.alloc(16), Buffer.of(keyHandle.length >> 8, keyHandle.length & 0xff), keyHandle, coseKey(alg, publicKey)]);
    const authData = Buffer.concat([sha256(application), Buffer.of(UP | (pin === 'verified' ? UV : 0) | AT), u32(0), attested]);
    const signed = Buffer.concat([authData, sha256(challenge)]);
    const attestation = alg === 'ecdsa' ? sign('sha256', signed, privateKey) : sign(null, signed, privateKey);
    const fields = [Buffer.of(flags & ~FORCE), str(publicKey), str(keyHandle), str(attestation), str(new Uint8Array(0)), str(cborBytes(authData))];
    return { status: 0, fields };
  }

  private sign(algCode: number, message: Buffer, application: string, keyHandle: Buffer, flags: number, request: Request): { status: number; fields?: Buffer[] } {
    const bad = this.checkOptions(request, ['device']);
    if (bad !== undefined) return { status: bad };
    const credential = this.credentials.find((k) => Buffer.compare(k.keyHandle, keyHandle) === 0 && k.application === application);
    const alg = algCode === 0 ? 'ecdsa' : algCode === 1 ? 'ed25519' : undefined;
    if (credential === undefined || credential.alg !== alg) return { status: SK_ERR.GENERAL }; // CTAP2_ERR_NO_CREDENTIALS
    const pin = this.checkPin(request.pin, (flags & UV) !== 0 || credential.verificationRequired);
    if (typeof pin === 'number') return { status: pin };
    const touched = (flags & UP) !== 0;
    if (touched && !this.presence) return { status: SK_ERR.GENERAL };
    credential.counter += 1;
    const authData = Buffer.concat([sha256(application), Buffer.of((touched ? UP : 0) | (pin === 'verified' ? UV : 0)), u32(credential.counter)]);
    const signed = Buffer.concat([authData, sha256(message)]);
    if (credential.alg === 'ed25519') {
      return { status: 0, fields: [authData.subarray(32, 33), u32(credential.counter), str(sign(null, signed, credential.privateKey)), str(new Uint8Array(0))] };
    }
    const signEcdsa = (): Buffer => sign('sha256', signed, { key: credential.privateKey, dsaEncoding: 'ieee-p1363' });
    let rs = signEcdsa();
    for (let tries = 0; this.ecdsaScalars === 'short-r' && rs[0] !== 0 && tries < 100_000; tries++) rs = signEcdsa();
    const scalar = (n: Buffer): Uint8Array => (this.ecdsaScalars === 'padded' ? Buffer.concat([Buffer.of(0), n]) : minimal(n));
    return { status: 0, fields: [authData.subarray(32, 33), u32(credential.counter), str(scalar(rs.subarray(0, 32))), str(scalar(rs.subarray(32)))] };
  }

  private load(request: Request): { status: number; fields?: Buffer[] } {
    const bad = this.checkOptions(request, ['device']);
    if (bad !== undefined) return { status: bad };
    // Credential management needs the PIN when one is set; without one, this authenticator lists anyway.
    const pin = this.checkPin(request.pin, this.pin !== undefined);
    if (typeof pin === 'number') return { status: pin };
    const resident = this.credentials.filter((k) => k.resident);
    const fields = resident.flatMap((k, slot) => [
      u32(k.alg === 'ecdsa' ? 0 : 1),
      u32(slot),
      str(k.application),
      str(k.publicKey),
      str(k.keyHandle),
      // As sk-usbhid: presence always expected, verification when the credential requires it.
      Buffer.of(UP | (k.verificationRequired ? UV : 0)),
      str(k.userId),
    ]);
    return { status: 0, fields: [u32(resident.length), ...fields] };
  }
}

function readPinAndOptions(c: Cursor): Request {
  const hasPin = c.u8() !== 0;
  const pinText = c.text();
  const count = c.u32();
  if (count > 64) throw new InteropError('soft-sk: too many options');
  const options = new Map<string, { value: Buffer; required: boolean }>();
  for (let i = 0; i < count; i++) {
    const name = c.text();
    const value = Buffer.from(c.bytes());
    options.set(name, { value, required: c.u8() !== 0 });
  }
  c.end();
  return { pin: hasPin ? pinText : undefined, options };
}

// ------------------------------------------------------------------ the server

/** Builds the provider library (once per process) and starts its authenticator on a fresh socket. */
export async function startSoftSkProvider(options: SoftSkOptions = {}): Promise<SoftSkProvider> {
  const apiVersion = options.apiVersion ?? 10;
  const library = await buildSoftSkLibrary(apiVersion);
  const dir = await makeTempDir('soft-sk');
  const socket = join(dir, 'authenticator.sock');
  const authenticator = new Authenticator(options);
  const connections = new Set<Socket>();
  const server: Server = createServer((connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    connection.on('error', () => undefined);
    let received = Buffer.alloc(0);
    connection.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const length = received.readUInt32BE(0);
      if (length > MAX_FRAME) return void connection.destroy();
      if (received.length < 4 + length) return;
      let answer: Buffer;
      try {
        answer = authenticator.handle(received.subarray(4, 4 + length));
      } catch {
        answer = u32(SK_ERR.GENERAL);
      }
      connection.end(Buffer.concat([u32(answer.length), answer]));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  let stopped: Promise<void> | undefined;
  return {
    library,
    socket,
    env: { SSH_SOFT_SK_SOCKET: socket },
    apiVersion,
    get credentials(): readonly SoftSkCredential[] {
      return authenticator.credentials.map(({ privateKey: _privateKey, ...k }) => ({ ...k }));
    },
    get calls(): readonly SoftSkCall[] {
      return [...authenticator.calls];
    },
    setPin(pin) {
      authenticator.pin = pin;
    },
    setPresence(presence) {
      authenticator.presence = presence;
    },
    stop() {
      stopped ??= (async () => {
        for (const c of connections) c.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(socket, { force: true });
        await removeTempDir(dir);
      })();
      return stopped;
    },
  };
}
