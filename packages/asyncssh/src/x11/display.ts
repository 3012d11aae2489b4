/**
 * X11 display names (X(7) "DISPLAY NAMES"): `[host]:display[.screen]`, where an empty host or
 * `unix` means the local UNIX socket /tmp/.X11-unix/X<display>, a host means TCP port
 * 6000 + display, and a host that is an absolute path (XQuartz's launchd socket) is the socket.
 * @module
 */

import { X11ForwardingError } from './errors.ts';

/** The first TCP port of X11 displays (display N listens on 6000 + N). */
export const X11_BASE_PORT = 6000;
/** Where local X servers put their sockets. */
export const X11_UNIX_DIR = '/tmp/.X11-unix';

export interface X11Display {
  /** '' or 'unix' for the local socket, an absolute path, a host name or an address. */
  readonly host: string;
  readonly display: number;
  readonly screen: number;
}

/** Parses a DISPLAY value; throws X11ForwardingError('display') when it is not one. */
export function parseDisplay(value: string): X11Display {
  const colon = value.lastIndexOf(':');
  const bad = (): X11ForwardingError => new X11ForwardingError('display', `invalid X11 display ${JSON.stringify(value)}`);
  if (colon < 0) throw bad();
  let host = value.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // A DECnet display has '::' before the number: not something we can reach.
  if (host.endsWith(':') && !value.startsWith('[')) throw bad();
  const m = /^(\d{1,5})(?:\.(\d{1,5}))?$/.exec(value.slice(colon + 1));
  if (!m) throw bad();
  const display = Number(m[1]);
  const screen = m[2] === undefined ? 0 : Number(m[2]);
  if (display > 65535 - X11_BASE_PORT) throw bad();
  return { host, display, screen };
}

/** True when the display is reached through a local socket rather than TCP. */
export function isLocalDisplay(d: X11Display): boolean {
  return d.host === '' || d.host === 'unix' || d.host.startsWith('/');
}

/** Where to connect for the display: a UNIX socket path, or a TCP host and port. */
export function displayTarget(d: X11Display): { readonly path: string } | { readonly host: string; readonly port: number } {
  if (d.host.startsWith('/')) return { path: `${d.host}:${d.display}` };
  if (isLocalDisplay(d)) return { path: `${X11_UNIX_DIR}/X${d.display}` };
  return { host: d.host, port: X11_BASE_PORT + d.display };
}
