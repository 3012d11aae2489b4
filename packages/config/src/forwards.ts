/**
 * Port-forwarding specifications (LocalForward, RemoteForward, DynamicForward; ssh(1) -L/-R/-D
 * syntax): `[bind_address:]port`, `host:hostport`, IPv6 addresses in brackets, and Unix-domain
 * socket paths (any field containing a `/`).
 * @module
 */

import { BadArgument } from './document.ts';
import { a2port as toPort, type ServiceLookup } from './values.ts';

/** One forwarding. A listen or connect side is either a host/port or a socket path. */
export interface ForwardSpec {
  readonly listenHost?: string;
  readonly listenPort?: number;
  readonly listenPath?: string;
  readonly connectHost?: string;
  readonly connectPort?: number;
  readonly connectPath?: string;
}

interface Field {
  readonly text: string;
  readonly isPath: boolean;
}

/**
 * One field of a forwarding (readconf.c parse_fwd_field): `[...]` up to a `]` that ends the
 * field, or text up to a `:` with a backslash taking the next character as it is; a `/` anywhere makes it a path. Returns
 * the field and where the next one starts (undefined at the end), or undefined when malformed.
 */
function field(spec: string, from: number): { readonly f: Field; readonly next: number | undefined } | undefined {
  if (spec[from] === '[') {
    const close = spec.indexOf(']', from + 1);
    if (close < 0) return undefined;
    const after = spec[close + 1];
    if (after !== undefined && after !== ':') return undefined;
    const text = spec.slice(from + 1, close);
    return { f: { text, isPath: text.includes('/') }, next: after === undefined ? undefined : close + 2 };
  }
  let text = '';
  let isPath = false;
  for (let i = from; i < spec.length; i++) {
    const c = spec[i] as string;
    if (c === '\\') {
      // The escaped character is taken as it is: `\\:` does not end the field, `\\/` makes no path.
      if (++i >= spec.length) return undefined;
      text += spec[i] as string;
      continue;
    }
    if (c === ':') return { f: { text, isPath }, next: i + 1 };
    if (c === '/') isPath = true;
    text += c;
  }
  return { f: { text, isPath }, next: undefined };
}

/** Up to four fields; undefined when one is malformed or text is left over. */
function fields(spec: string): Field[] | undefined {
  const out: Field[] = [];
  let at: number | undefined = /^[ \t\n\v\f\r]*/.exec(spec)?.[0].length ?? 0;
  // The end of the text ends the list: a trailing `:` adds no empty field (`1080:` is `1080`).
  while (at !== undefined && at < spec.length && out.length < 4) {
    const r = field(spec, at);
    if (!r) return undefined;
    out.push(r.f);
    at = r.next;
  }
  return at === undefined || at >= spec.length ? out : undefined;
}

/** NI_MAXHOST and the size of sun_path: longer names are refused, as ssh refuses them. */
const MAX_HOST = 1025;
const MAX_SOCKET_PATH = 108;

/**
 * Parses a forwarding the way readconf.c parse_forward does. `dynamic` specs (DynamicForward, and
 * RemoteForward with one argument) have one or two fields; others three or four, or a socket
 * path on either side. Remote forwards may listen on port 0 (the server picks one). Ports may be
 * service names (`services`).
 */
export function parseForward(spec: string, dynamic: boolean, remote: boolean, services?: ServiceLookup): ForwardSpec {
  const a2port = (text: string): number => toPort(text, services);
  const fail = (): never => {
    throw new BadArgument(`Bad forwarding specification '${spec}'`);
  };
  const f = fields(spec) ?? fail();
  const [a, b, cc, d] = f;
  let out: { listenHost?: string; listenPort: number; listenPath?: string; connectHost?: string; connectPort?: number; connectPath?: string };
  if (a === undefined) return fail();
  if (b === undefined) out = a.isPath ? { listenPath: a.text, listenPort: 0 } : { listenPort: a2port(a.text) };
  else if (cc === undefined) {
    if (a.isPath && b.isPath) out = { listenPath: a.text, listenPort: 0, connectPath: b.text };
    else if (b.isPath) out = { listenPort: a2port(a.text), connectPath: b.text };
    else out = { listenHost: a.text, listenPort: a2port(b.text) };
  } else if (d === undefined) {
    if (a.isPath) out = { listenPath: a.text, listenPort: 0, connectHost: b.text, connectPort: a2port(cc.text) };
    else if (cc.isPath) out = { listenHost: a.text, listenPort: a2port(b.text), connectPath: cc.text };
    else out = { listenPort: a2port(a.text), connectHost: b.text, connectPort: a2port(cc.text) };
  } else out = { listenHost: a.text, listenPort: a2port(b.text), connectHost: cc.text, connectPort: a2port(d.text) };

  if (dynamic) {
    // One or two fields. A second field naming a socket (`1080:/path`) leaves the first as the
    // listen side; the path is checked for length below, then dropped by DynamicForward (a SOCKS
    // listener, which ssh -G prints alone) and kept by a one-argument RemoteForward (ssh -G
    // prints `8080 /path`).
    if (f.length > 2) return fail();
  } else {
    if (f.length < 3 && out.connectPath === undefined && out.listenPath === undefined) return fail();
    if (out.connectPath === undefined && (out.connectPort === undefined || out.connectPort <= 0)) return fail();
  }
  if (out.listenPath === undefined && (out.listenPort < 0 || (!remote && out.listenPort === 0))) return fail();
  if ((out.connectHost?.length ?? 0) >= MAX_HOST || (out.listenHost?.length ?? 0) >= MAX_HOST) return fail();
  if ((out.connectPath?.length ?? 0) >= MAX_SOCKET_PATH || (out.listenPath?.length ?? 0) >= MAX_SOCKET_PATH) return fail();
  return {
    ...(out.listenHost !== undefined ? { listenHost: out.listenHost } : {}),
    ...(out.listenPath !== undefined ? { listenPath: out.listenPath } : { listenPort: out.listenPort }),
    ...(out.connectHost !== undefined ? { connectHost: out.connectHost, connectPort: out.connectPort as number } : {}),
    ...(out.connectPath !== undefined && !(dynamic && !remote) ? { connectPath: out.connectPath } : {}),
  };
}

/**
 * A string that two forwardings share exactly when they are the same (OpenSSH drops duplicates),
 * so that duplicates are found in a Set instead of by comparing with every earlier forwarding.
 */
export function forwardKey(f: ForwardSpec): string {
  return JSON.stringify([f.listenHost, f.listenPort, f.listenPath, f.connectHost, f.connectPort, f.connectPath]);
}
