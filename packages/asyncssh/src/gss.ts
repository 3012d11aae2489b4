/**
 * gssapi-with-mic (RFC 4462 §3), GSS-API key exchange (§2, RFC 8732) and gssapi-keyex (§4) for
 * connect() and listen(): the GSS-API calls behind the userauth
 * machines' gss-* events, made with @ssh/crypto-native's binding to MIT Kerberos
 * (libgssapi_krb5.so.2, loaded on first use). As AsyncSSH, a `gssHost` without '@' names the
 * service `host@<gssHost>` (GSS_C_NT_HOSTBASED_SERVICE); one with '@' is taken as the whole
 * service name.
 *
 * The library reads its configuration from the environment: KRB5_CONFIG, the client's ticket
 * cache KRB5CCNAME and the server's keytab KRB5_KTNAME (default /etc/krb5.keytab).
 * @module
 */

import { existsSync } from 'node:fs';
import { GSS_C_DELEG_FLAG, GSS_C_INTEG_FLAG, GSS_C_MUTUAL_FLAG, nativeGssapi, type GssContext, type NativeGssapi } from '@ssh/crypto-native';
import type { GssKexStepAnswer, GssPrincipals, GssStepFailure, GssStepResult } from '@ssh/transport';

/** The host-based service name of `gssHost`. */
export function gssService(gssHost: string): string {
  return gssHost.includes('@') ? gssHost : `host@${gssHost}`;
}

/** The binding, when it has GSS-API and the library loads. */
function library(): NativeGssapi | undefined {
  const gss = nativeGssapi();
  if (gss === undefined) return undefined;
  try {
    gss.credentials(null, false); // loads the library; throws ERR_GSSAPI_UNAVAILABLE without it
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_GSSAPI_UNAVAILABLE') return undefined;
  }
  return gss;
}

function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function failure(err: unknown): GssStepFailure {
  const token = (err as { token?: unknown }).token;
  return token instanceof Uint8Array ? { error: why(err), token } : { error: why(err) };
}

/**
 * The client's side: one context per attempt. The library is loaded, and the credential cache
 * looked at, only when a server offers gssapi-with-mic: loading MIT's library and its profile
 * costs 20-30 ms, and a connection to a server without Kerberos should not pay it.
 */
export class GssClientAuth {
  private gss: NativeGssapi | undefined;
  private readonly service: string;
  private readonly flags: number;
  private readonly explicit: boolean;
  private context: GssContext | undefined;

  private constructor(gssHost: string, explicit: boolean, delegate: boolean) {
    this.service = gssService(gssHost);
    this.explicit = explicit;
    this.flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | (delegate ? GSS_C_DELEG_FLAG : 0);
  }

  /**
   * gssapi-with-mic for `gssHost`, unless `gssAuth` is false or the binding has no GSS-API: with
   * `gssAuth` true it is tried whenever the library loads (a missing ticket then fails the first
   * step and the next method is tried); undefined (AsyncSSH's default, on) only when the
   * credential cache holds a ticket, which the first step checks.
   */
  static create(gssHost: string, gssAuth: boolean | undefined, delegate: boolean): GssClientAuth | undefined {
    if (gssAuth === false || nativeGssapi() === undefined) return undefined;
    return new GssClientAuth(gssHost, gssAuth === true, delegate);
  }

  /** The library, loaded on first use; throws when it is missing or, by default, when no ticket is cached. */
  private library(): NativeGssapi {
    if (this.gss !== undefined) return this.gss;
    const gss = library();
    if (gss === undefined) throw new Error('the GSS-API library (libgssapi_krb5.so.2) is not available');
    if (!this.explicit) gss.credentials(null, false);
    return (this.gss = gss);
  }

  /** A step: `token` null starts a new context. Never rejects: a failure is the answer. */
  async step(token: Uint8Array | null): Promise<GssStepResult | GssStepFailure> {
    try {
      const gss = this.library();
      if (token === null) this.context = gss.initContext(this.service, this.flags);
      if (this.context === undefined) return { error: 'no GSS-API context' };
      const { token: out, complete } = await gss.step(this.context, token);
      return { token: out, complete };
    } catch (err) {
      return failure(err);
    }
  }

  /** The MIC over `data`, or null when the context cannot make one. */
  mic(data: Uint8Array): Uint8Array | null {
    return micBy(this.gss, this.context, data);
  }
}

/** The server's side: one context per attempt, accepting as the service of `gssHost`. */
export class GssServerAuth {
  private readonly gss: NativeGssapi;
  private readonly service: string;
  private context: GssContext | undefined;

  private constructor(gss: NativeGssapi, service: string) {
    this.gss = gss;
    this.service = service;
  }

  /**
   * Whether a server can accept: the library loads and the keytab (KRB5_KTNAME, default
   * /etc/krb5.keytab) is readable and holds keys. Whether they include the service of `gssHost`
   * shows on the first step (naming it may ask DNS, which must not hold up the event loop): if
   * not, that attempt fails and the client goes on to its next method.
   */
  static check(): { readonly ok: boolean; readonly reason: string } {
    const gss = library();
    if (gss === undefined) return { ok: false, reason: 'no GSS-API library (libgssapi_krb5.so.2)' };
    try {
      gss.credentials(null, true);
      return { ok: true, reason: 'on' };
    } catch (err) {
      return { ok: false, reason: `no usable keytab: ${why(err)}` };
    }
  }

  /** gssapi-with-mic accepting as `gssHost`'s service, when check() allowed it. */
  static create(gssHost: string): GssServerAuth | undefined {
    const gss = nativeGssapi();
    return gss === undefined ? undefined : new GssServerAuth(gss, gssService(gssHost));
  }

  /** A step with the client's `token` (`first`: a new context). Never rejects. */
  async step(token: Uint8Array, first: boolean): Promise<GssStepResult | GssStepFailure> {
    try {
      if (first || this.context === undefined) this.context = this.gss.acceptContext(this.service);
      const { token: out, complete } = await this.gss.step(this.context, token);
      return { token: out, complete };
    } catch (err) {
      return failure(err);
    }
  }

  /** The principals when the MIC over `data` verifies, else false. The context is done with either way. */
  verifyMic(data: Uint8Array, mic: Uint8Array): GssPrincipals | false {
    const context = this.context;
    this.context = undefined;
    return principalsIfVerified(this.gss, context, data, mic);
  }
}

/** The MIC over `data` by `context`, or null when there is none or the library refuses. */
function micBy(gss: NativeGssapi | undefined, context: GssContext | undefined, data: Uint8Array): Uint8Array | null {
  try {
    return context === undefined || gss === undefined ? null : gss.getMic(context, data);
  } catch {
    return null;
  }
}

/** The context's principals when `mic` over `data` verifies with it, else false. */
function principalsIfVerified(gss: NativeGssapi, context: GssContext | undefined, data: Uint8Array, mic: Uint8Array): GssPrincipals | false {
  try {
    if (context === undefined || !gss.verifyMic(context, data, mic)) return false;
    const { source, target } = gss.names(context);
    return { userPrincipal: source, hostPrincipal: target };
  } catch {
    return false;
  }
}

/** Is there a credential cache to look in, without loading the library (KRB5CCNAME, or the default file cache)? */
function ticketCacheHint(): boolean {
  if ((process.env['KRB5CCNAME'] ?? '') !== '') return true;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return uid !== undefined && existsSync(`/tmp/krb5cc_${uid}`);
}

/**
 * GSS-API key exchange (RFC 4462 §2), client side: a new initiator context for each exchange (a
 * rekey runs one again), checked for mutual authentication and integrity once established. The
 * context of the last exchange signs gssapi-keyex (§4).
 */
export class GssClientKex {
  private readonly gss: NativeGssapi;
  private readonly service: string;
  private readonly flags: number;
  private context: GssContext | undefined;
  private established: GssContext | undefined;
  /** The first step, made by create(): what the first exchange starts with. */
  private primed: { readonly context: GssContext; readonly answer: GssKexStepAnswer } | undefined;

  private constructor(gss: NativeGssapi, gssHost: string, delegate: boolean) {
    this.gss = gss;
    this.service = gssService(gssHost);
    this.flags = GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | (delegate ? GSS_C_DELEG_FLAG : 0);
  }

  /**
   * GSS-API key exchange for `gssHost`, when `gssKex` is not false, gssapi authentication is not
   * off, and there is a ticket. Left undefined (AsyncSSH's default), it is looked for only where a
   * credential cache is named or the default file cache exists, so that connecting without
   * Kerberos loads no library. The context's first step runs here, as OpenSSH checks its
   * mechanisms before offering them: when no ticket for the server can be had (a principal the
   * KDC does not know, another realm), GSS key exchange is not offered and the connection goes
   * on with the other methods, where a server choosing gss-* would otherwise end it. The token
   * made is the one the first exchange sends.
   */
  static async create(gssHost: string, gssKex: boolean | undefined, gssAuth: boolean | undefined, delegate: boolean): Promise<GssClientKex | undefined> {
    if (gssKex === false || (gssKex === undefined && gssAuth === false) || nativeGssapi() === undefined) return undefined;
    if (gssKex === undefined && !ticketCacheHint()) return undefined;
    const gss = library();
    if (gss === undefined) return undefined;
    try {
      gss.credentials(null, false);
    } catch {
      return undefined;
    }
    const kex = new GssClientKex(gss, gssHost, delegate);
    return (await kex.prime()) ? kex : undefined;
  }

  /** Runs the first step of a context now, keeping it for the first exchange; false when it fails. */
  private async prime(): Promise<boolean> {
    const first = await this.step(null);
    if ('error' in first) return false;
    this.primed = { context: this.context as GssContext, answer: first };
    return true;
  }

  /** A context step (`token` null: a new context). Never rejects: a failure is the answer. */
  async step(token: Uint8Array | null): Promise<GssKexStepAnswer> {
    const primed = this.primed;
    if (token === null && primed !== undefined) {
      this.primed = undefined;
      this.context = primed.context;
      return primed.answer;
    }
    try {
      if (token === null) this.context = this.gss.initContext(this.service, this.flags);
      const context = this.context;
      if (context === undefined) return { error: 'no GSS-API context' };
      const r = await this.gss.step(context, token);
      if (r.complete) {
        // RFC 4462 §2.1: the client must check that both were granted.
        if ((r.flags & GSS_C_MUTUAL_FLAG) === 0) return { error: 'the context has no mutual authentication' };
        if ((r.flags & GSS_C_INTEG_FLAG) === 0) return { error: 'the context has no integrity protection' };
        this.established = context;
      }
      return { token: r.token, complete: r.complete };
    } catch (err) {
      const major = (err as { major?: unknown }).major;
      return { ...failure(err), ...(typeof major === 'number' ? { major } : {}) };
    }
  }

  /** Whether `mic` is the established context's MIC over `data` (the exchange hash). */
  verifyMic(data: Uint8Array, mic: Uint8Array): boolean {
    try {
      return this.context !== undefined && this.gss.verifyMic(this.context, data, mic);
    } catch {
      return false;
    }
  }

  /** gssapi-keyex: the MIC over `data` by the context of the last exchange, or null. */
  mic(data: Uint8Array): Uint8Array | null {
    return micBy(this.gss, this.established, data);
  }
}

/**
 * GSS-API key exchange, server side: a new acceptor context for each exchange, as the service of
 * `gssHost`. The principals of the last established context are what gssapi-keyex logs in as.
 */
export class GssServerKex {
  private readonly gss: NativeGssapi;
  private readonly service: string;
  private context: GssContext | undefined;
  private established: GssContext | undefined;

  private constructor(gss: NativeGssapi, service: string) {
    this.gss = gss;
    this.service = service;
  }

  /** GSS-API key exchange accepting as `gssHost`'s service, when GssServerAuth.check() allowed it. */
  static create(gssHost: string): GssServerKex | undefined {
    const gss = nativeGssapi();
    return gss === undefined ? undefined : new GssServerKex(gss, gssService(gssHost));
  }

  /** A step with the client's `token` (`first`: a new context). Never rejects. */
  async step(token: Uint8Array, first: boolean): Promise<GssKexStepAnswer> {
    try {
      if (first || this.context === undefined) this.context = this.gss.acceptContext(this.service);
      const context = this.context;
      const r = await this.gss.step(context, token);
      if (r.complete) this.established = context;
      return { token: r.token, complete: r.complete };
    } catch (err) {
      const major = (err as { major?: unknown }).major;
      return { ...failure(err), ...(typeof major === 'number' ? { major } : {}) };
    }
  }

  /** The MIC over the exchange hash by the context just established, or null. */
  mic(data: Uint8Array): Uint8Array | null {
    return micBy(this.gss, this.context, data);
  }

  /** gssapi-keyex: the principals when `mic` over `data` verifies with the exchange's context, else false. */
  verifyMic(data: Uint8Array, mic: Uint8Array): GssPrincipals | false {
    return principalsIfVerified(this.gss, this.established, data, mic);
  }
}
