/** The binding's interface. @module */

/** One direction's cipher state: the key schedule and the nonce, held by the binding. */
export interface AesGcmState {
  readonly __brand: 'AesGcmState';
}

/** The binding's AES-GCM (OpenSSH PROTOCOL §1.6 nonces: the invocation counter advances per packet). */
export interface NativeAesGcm {
  /** A state for `key` (16 or 32 bytes) and the 12-byte initial nonce. */
  create(key: Uint8Array, nonce: Uint8Array, encrypt: boolean): AesGcmState;
  /**
   * Encrypts the parts' concatenation into `out` from `at`, the tag right after it, with `aad` as
   * associated data. A single part may lie exactly at `out[at]` (in place); nothing else may
   * overlap the output.
   */
  seal(state: AesGcmState, aad: Uint8Array, parts: Uint8Array | readonly Uint8Array[], out: Uint8Array, at: number): void;
  /**
   * `packet` = aad || ciphertext || tag: decrypts into `out` and returns whether the tag is
   * right. On a wrong tag `out` is zeroed and the nonce stays.
   */
  open(state: AesGcmState, packet: Uint8Array, aadLength: number, out: Uint8Array): boolean;
}

/** One direction's zlib stream (deflate or inflate), held by the binding. */
export interface ZlibState {
  readonly __brand: 'ZlibState';
}

/**
 * The binding's zlib for SSH compression (RFC 4253 §6.2): one stream per direction, each payload
 * deflated with a partial flush, each packet inflated with a sync flush. Failures are numbers, not
 * exceptions, and leave the stream refusing every later call.
 */
export interface NativeZlib {
  /** A deflate stream at `level` (-1 for zlib's default, 0 to 9), or an inflate stream. */
  create(deflating: boolean, level: number): ZlibState;
  /** The payload compressed and partially flushed, or a negative zlib error code. */
  deflate(state: ZlibState, payload: Uint8Array): Uint8Array | number;
  /**
   * The data inflated (at most `limit` bytes, 1 to 64 MiB), or a failure: `ZLIB_OVER_LIMIT`,
   * `ZLIB_BROKEN` (an earlier call failed), `ZLIB_STREAM_END` (the peer ended the stream, which
   * SSH never does), or zlib's own negative error code.
   */
  inflate(state: ZlibState, data: Uint8Array, limit: number): Uint8Array | number;
}

/** `NativeZlib.inflate()`: more than the limit. */
export const ZLIB_OVER_LIMIT = -100;
/** `NativeZlib.deflate()`/`inflate()`: the stream failed before. */
export const ZLIB_BROKEN = -101;
/** `NativeZlib.inflate()`: the stream ended. */
export const ZLIB_STREAM_END = -102;

/** One direction's chacha20-poly1305@openssh.com state: both ChaCha20 keys and the Poly1305 context. */
export interface ChachaPolyState {
  readonly __brand: 'ChachaPolyState';
}

/**
 * The binding's chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305): the nonce is
 * the packet's sequence number, which every call takes (0 to 2^32 - 1).
 */
export interface NativeChachaPoly {
  /** A state for the 64-byte key (K_2 then K_1), to seal or to open packets. */
  create(key: Uint8Array, sealing: boolean): ChachaPolyState;
  /**
   * Writes the encrypted length field, the parts' concatenation encrypted and the tag into `out`
   * from `at`. A single part may lie right after the length field (in place); nothing else may
   * overlap. An empty length field (OpenSSH's private key files) leaves the tag over the
   * ciphertext alone.
   */
  seal(state: ChachaPolyState, seq: number, lengthField: Uint8Array, parts: Uint8Array | readonly Uint8Array[], out: Uint8Array, at: number): void;
  /** The packet length, from the first 4 bytes of `head`. */
  length(state: ChachaPolyState, seq: number, head: Uint8Array): number;
  /**
   * `packet` = encrypted length (`lengthField` bytes: 4, or 0) || ciphertext || tag: checks the
   * tag and, only when it is right, decrypts into `out`. Returns whether it was right.
   */
  open(state: ChachaPolyState, seq: number, packet: Uint8Array, lengthField: 4 | 0, out: Uint8Array): boolean;
}

/** A loaded PKCS#11 provider module (opaque; closed with `close`). */
export interface Pkcs11Module {
  readonly __pkcs11Module: unique symbol;
}

/** A slot holding a token, as C_GetTokenInfo describes it (text fields without their padding). */
export interface Pkcs11Token {
  readonly slot: number;
  readonly label: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  /** CKF_* token flags (CKF_LOGIN_REQUIRED 0x4, CKF_PROTECTED_AUTHENTICATION_PATH 0x100, ...). */
  readonly flags: number;
}

/**
 * PKCS#11 calls, one binding function each. Failing calls throw (or reject with) an Error whose
 * `code` is ERR_PKCS11 and `rv` the CK_RV; handles are numbers.
 */
export interface NativePkcs11 {
  load(path: string): Pkcs11Module;
  /** C_Finalize and unload; throws ERR_PKCS11_BUSY while a signature is in flight. */
  close(module: Pkcs11Module): void;
  tokens(module: Pkcs11Module): Pkcs11Token[];
  openSession(module: Pkcs11Module, slot: number): number;
  closeSession(module: Pkcs11Module, session: number): void;
  /** CKU_USER login; null logs in through the token's own PIN pad. Already logged in is no error. */
  login(module: Pkcs11Module, session: number, pin: Uint8Array | null): void;
  findObjects(module: Pkcs11Module, session: number, objectClass: number): number[];
  /** One value per type: null when the object has no such attribute or keeps it secret. */
  getAttributes(module: Pkcs11Module, session: number, object: number, types: readonly number[]): (Uint8Array | null)[];
  /** C_SignInit + C_Sign on the thread pool (one operation per session at a time). */
  sign(module: Pkcs11Module, session: number, key: number, mechanism: number, data: Uint8Array): Promise<Uint8Array>;
}

/** A GSS-API security context (Kerberos V5), held by the binding and freed when collected. */
export interface GssContext {
  readonly __brand: 'GssContext';
}

/** One step of a context's establishment: the token for the peer (possibly empty), and whether it is done. */
export interface GssStep {
  readonly token: Uint8Array;
  readonly complete: boolean;
  /** The GSS_C_*_FLAG bits the context has (final once complete). */
  readonly flags: number;
}

/** An established context's principals as the library displays them ('user@REALM', 'host/server.example@REALM'). */
export interface GssNames {
  readonly source: string;
  readonly target: string;
  readonly flags: number;
}

/** RFC 2744 §3.10 request flags. */
export const GSS_C_DELEG_FLAG = 1;
export const GSS_C_MUTUAL_FLAG = 2;
export const GSS_C_REPLAY_FLAG = 4;
export const GSS_C_SEQUENCE_FLAG = 8;
export const GSS_C_CONF_FLAG = 16;
export const GSS_C_INTEG_FLAG = 32;

/**
 * The binding's GSS-API (RFC 2744 calls of MIT Kerberos' libgssapi_krb5.so.2, loaded at run time)
 * for gssapi-with-mic (RFC 4462 §3), Kerberos V5 only. Every call throws an Error with code
 * ERR_GSSAPI_UNAVAILABLE when the library cannot be loaded, and ERR_GSSAPI (with `major` and
 * `minor` status numbers) when a call fails. Services are host-based names: 'host@server.example'.
 */
export interface NativeGssapi {
  /**
   * Throws unless there are Kerberos credentials: a ticket in the credential cache (initiator), or
   * keys for `service` in the keytab (acceptor; null: any). Synchronous: with a service, the
   * library may ask DNS to canonicalize its host name, so null suits the event loop better.
   */
  credentials(service: string | null, accept: boolean): void;
  /** A context to authenticate to `service` with GSS_C_*_FLAG `flags`. */
  initContext(service: string, flags: number): GssContext;
  /**
   * A context accepting as `service` (its keys must be in the keytab), or with null as any
   * principal of the keytab. The keys are looked up on the first step, on the thread pool.
   */
  acceptContext(service: string | null): GssContext;
  /**
   * gss_init_sec_context (null token on an initiator's first step) or gss_accept_sec_context, on
   * the thread pool (the library may ask the KDC). Rejects with ERR_GSSAPI, with `token` when the
   * library made an error token for the peer.
   */
  step(context: GssContext, token: Uint8Array | null): Promise<GssStep>;
  /** gss_get_mic over `data`, once established. */
  getMic(context: GssContext, data: Uint8Array): Uint8Array;
  /** gss_verify_mic: true only when the MIC is right (and not a replay). */
  verifyMic(context: GssContext, data: Uint8Array, mic: Uint8Array): boolean;
  /** gss_inquire_context and gss_display_name, once established. */
  names(context: GssContext): GssNames;
}

/** A loaded OpenSSH security-key provider library (opaque). */
export interface SkProviderHandle {
  readonly __skProvider: unique symbol;
  /** What the library's sk_api_version() returned. */
  readonly version: number;
}

/** sk-api.h algorithms. */
export const SK_PROVIDER_ECDSA = 0;
export const SK_PROVIDER_ED25519 = 1;
export type SkProviderAlg = typeof SK_PROVIDER_ECDSA | typeof SK_PROVIDER_ED25519;

/** The sk_option values passed to the provider; absent ones are not passed. */
export interface SkProviderOptions {
  /** The "device" option: the authenticator to use (a path the provider understands). */
  readonly device?: string;
  /** The "user" option of an enrollment: the user id (1 to 64 bytes, none zero: the ABI passes a C string). */
  readonly user?: Uint8Array;
}

/** struct sk_enroll_response, copied. Empty arrays stand for the NULL fields. */
export interface SkProviderEnrollment {
  /** The response's flags (the flags asked for, from providers older than major 9, which had none). */
  readonly flags: number;
  readonly publicKey: Uint8Array;
  readonly keyHandle: Uint8Array;
  readonly signature: Uint8Array;
  readonly attestationCertificate: Uint8Array;
  readonly authData: Uint8Array;
}

/** struct sk_sign_response, copied: ECDSA r and s as the provider gave them (big-endian), Ed25519's signature in sigR. */
export interface SkProviderSignature {
  readonly flags: number;
  readonly counter: number;
  readonly sigR: Uint8Array;
  readonly sigS: Uint8Array;
}

/** struct sk_resident_key, copied (every algorithm the provider lists, not only SK_PROVIDER_*). */
export interface SkProviderResidentKey {
  readonly alg: number;
  readonly slot: number;
  readonly application: string;
  readonly publicKey: Uint8Array;
  readonly keyHandle: Uint8Array;
  /** The resident key's own flags (SSH_SK_USER_VERIFICATION_REQD when the credential needs it). */
  readonly flags: number;
  /** Empty from major 7 providers, which did not return it. */
  readonly userId: Uint8Array;
}

/**
 * An OpenSSH security-key provider library (sk-api.h), loaded by the binding. Its calls run on
 * the thread pool one at a time (later ones wait for earlier ones). A call the provider fails
 * rejects with an Error whose code is ERR_SK_PROVIDER and `status` the SSH_SK_ERR_* it
 * returned (-1 general, -2 unsupported, -3 PIN required or wrong, -4 no device, -5 credential
 * exists); a response breaking the ABI's rules with ERR_SK_PROVIDER_RESPONSE.
 */
export interface NativeSkProvider {
  readonly path: string;
  /** What the library's sk_api_version() returned (major 0x00070000 to 0x000a0000). */
  readonly version: number;
  /** sk_enroll: a new credential for `application`; the provider hashes `challenge` into the attestation. */
  enroll(alg: SkProviderAlg, challenge: Uint8Array, application: string, flags: number, pin: string | undefined, options?: SkProviderOptions): Promise<SkProviderEnrollment>;
  /** sk_sign: the provider hashes `message` and has the authenticator sign it. */
  sign(
    alg: SkProviderAlg,
    message: Uint8Array,
    application: string,
    keyHandle: Uint8Array,
    flags: number,
    pin: string | undefined,
    options?: Pick<SkProviderOptions, 'device'>,
  ): Promise<SkProviderSignature>;
  /** sk_load_resident_keys: every resident credential, as the provider lists them. */
  loadResidentKeys(pin: string | undefined, options?: Pick<SkProviderOptions, 'device'>): Promise<SkProviderResidentKey[]>;
}
