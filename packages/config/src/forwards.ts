/**
 * Port-forwarding specifications (LocalForward, RemoteForward, DynamicForward; ssh(1) -L/-R/-D
 * syntax): `[bind_address:]port`, `host:hostport`, IPv6 addresses in brackets, and Unix-domain
 * socket paths (any field containing a `/`).
 * @module
 */

import { BadArgument } from './document.ts';

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

/** Splits on `:` outside brackets; a bracketed field loses its brackets. */
function fields(spec: string): Field[] | undefined {
  const out: Field[] = [];
  let i = 0;
  while (i <= spec.length) {
    if (spec[i] === '[') {
      const close = spec.indexOf(']', i);
      if (close < 0) return undefined;
      const text = spec.slice(i + 1, close);
      const after = spec[close + 1];
      if (after !== undefined && after !== ':') return undefined;
      out.push({ text, isPath: text.includes('/') });
      i = close + 2;
      if (after === undefined) break;
      continue;
    }
    let j = spec.indexOf(':', i);
    if (j < 0) j = spec.length;
    const text = spec.slice(i, j);
    out.push({ text, isPath: text.includes('/') });
    i = j + 1;
    if (j === spec.length) break;
  }
  return out;
}

function portOf(text: string, allowZero: boolean): number {
  if (!/^\d{1,5}$/.test(text)) throw new BadArgument(`Bad forwarding port '${text}'`);
  const v = Number(text);
  if (v > 65535 || (!allowZero && v === 0)) throw new BadArgument(`Bad forwarding port '${text}'`);
  return v;
}

/**
 * Parses a forwarding the way parse_forward does. `dynamic` specs have only a listen side;
 * remote forwards may listen on port 0 (the server picks one).
 */
export function parseForward(spec: string, dynamic: boolean, remote: boolean): ForwardSpec {
  const fail = (): never => {
    throw new BadArgument(`Bad forwarding specification '${spec}'`);
  };
  // A spec that is a single path (dynamic forwards cannot be) is taken whole.
  const f = fields(spec) ?? fail();
  const p = (t: Field): number => portOf(t.text, remote);
  const c = (t: Field): number => portOf(t.text, true);
  const [a, b, cc, d] = f;
  let out: ForwardSpec;
  switch (f.length) {
    case 1:
      if (a === undefined) return fail();
      out = a.isPath ? { listenPath: a.text } : { listenPort: p(a) };
      break;
    case 2:
      if (a === undefined || b === undefined) return fail();
      if (a.isPath && b.isPath) out = { listenPath: a.text, connectPath: b.text };
      else if (b.isPath) out = { listenPort: p(a), connectPath: b.text };
      else out = { listenHost: a.text, listenPort: p(b) };
      break;
    case 3:
      if (a === undefined || b === undefined || cc === undefined) return fail();
      if (a.isPath) out = { listenPath: a.text, connectHost: b.text, connectPort: c(cc) };
      else if (cc.isPath) out = { listenHost: a.text, listenPort: p(b), connectPath: cc.text };
      else out = { listenPort: p(a), connectHost: b.text, connectPort: c(cc) };
      break;
    case 4:
      if (a === undefined || b === undefined || cc === undefined || d === undefined) return fail();
      out = { listenHost: a.text, listenPort: p(b), connectHost: cc.text, connectPort: c(d) };
      break;
    default:
      return fail();
  }
  const hasConnect = out.connectHost !== undefined || out.connectPath !== undefined;
  if (dynamic) {
    if (hasConnect || out.listenPath !== undefined) return fail();
  } else if (!remote && !hasConnect) {
    return fail();
  }
  if (out.connectHost !== undefined && out.connectHost === '') return fail();
  return out;
}

/**
 * A string that two forwardings share exactly when they are the same (OpenSSH drops duplicates),
 * so that duplicates are found in a Set instead of by comparing with every earlier forwarding.
 */
export function forwardKey(f: ForwardSpec): string {
  return JSON.stringify([f.listenHost, f.listenPort, f.listenPath, f.connectHost, f.connectPort, f.connectPath]);
}
