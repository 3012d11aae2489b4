/**
 * gssapi-with-mic (RFC 4462 §3) for connect() and listen(): the GSS-API calls behind the userauth
 * machines' gss-* events, made with @ssh/crypto-native's binding to MIT Kerberos
 * (libgssapi_krb5.so.2, loaded on first use). As AsyncSSH, a `gssHost` without '@' names the
 * service `host@<gssHost>` (GSS_C_NT_HOSTBASED_SERVICE); one with '@' is taken as the whole
 * service name.
 *
 * The library reads its configuration from the environment: KRB5_CONFIG, the client's ticket
 * cache KRB5CCNAME and the server's keytab KRB5_KTNAME (default /etc/krb5.keytab).
 * @module
 */

import { GSS_C_DELEG_FLAG, GSS_C_INTEG_FLAG, GSS_C_MUTUAL_FLAG, nativeGssapi, type GssContext, type NativeGssapi } from '@ssh/crypto-native';
import type { GssPrincipals, GssStepFailure, GssStepResult } from '@ssh/transport';

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
    try {
      return this.context === undefined || this.gss === undefined ? null : this.gss.getMic(this.context, data);
    } catch {
      return null;
    }
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
    try {
      if (context === undefined || !this.gss.verifyMic(context, data, mic)) return false;
      const { source, target } = this.gss.names(context);
      return { userPrincipal: source, hostPrincipal: target };
    } catch {
      return false;
    }
  }
}
