/** `[user@]host[:port]` and `ssh://[user@]host[:port]` destinations, as ssh takes them. @module */

export interface Destination {
  readonly host: string;
  readonly port?: number;
  readonly username?: string;
}

export function parseDestination(text: string): Destination {
  let rest = text.startsWith('ssh://') ? text.slice(6).replace(/\/$/, '') : text;
  let username: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    username = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (text.startsWith('ssh://') && /^[^:]+:\d+$/.test(rest)) {
    const i = rest.lastIndexOf(':');
    port = Number(rest.slice(i + 1));
    rest = rest.slice(0, i);
  }
  if (rest === '' || (username !== undefined && username === '')) throw new RangeError(`bad destination ${JSON.stringify(text)}`);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new RangeError(`bad port in ${JSON.stringify(text)}`);
  return { host: rest, ...(port !== undefined ? { port } : {}), ...(username !== undefined ? { username } : {}) };
}

/** A `[user@]host:path` operand of scp/sftp, split; `path` is '' when nothing follows the colon. */
export interface RemotePath {
  readonly destination: Destination;
  readonly path: string;
}

/**
 * `[user@]host:path` (also `[user@][v6addr]:path`) as scp reads its operands: remote when a colon
 * comes before any slash, local otherwise (`./a:b`, `/x:y`, `file`). Answers undefined for a
 * local path.
 */
export function splitRemotePath(spec: string): RemotePath | undefined {
  const at = spec.indexOf('@');
  const hostStart = at >= 0 && at < spec.search(/[:/]|$/) ? at + 1 : 0;
  let colon: number;
  if (spec[hostStart] === '[') {
    const close = spec.indexOf(']', hostStart);
    if (close < 0 || spec[close + 1] !== ':') return undefined;
    colon = close + 1;
  } else {
    colon = spec.indexOf(':', hostStart);
    if (colon <= 0) return undefined;
    const slash = spec.indexOf('/');
    if (slash >= 0 && slash < colon) return undefined;
  }
  const user = hostStart > 0 ? spec.slice(0, hostStart - 1) : undefined;
  const host = spec.slice(hostStart, colon);
  return { destination: parseDestination(user !== undefined ? `${user}@${host}` : host), path: spec.slice(colon + 1) };
}

/**
 * sftp's destination: `[user@]host[:path]` or `sftp://[user@]host[:port][/path]`. The path is
 * undefined when none is given.
 */
export function parseSftpDestination(spec: string): { destination: Destination; path?: string } {
  const url = /^sftp:\/\/([^/]*)(\/.*)?$/.exec(spec);
  if (url) {
    const authority = url[1] as string;
    const destination = parseDestination(`ssh://${authority}`);
    const rest = url[2];
    return rest !== undefined && rest !== '/' ? { destination, path: decodeURIComponent(rest) } : { destination };
  }
  const remote = splitRemotePath(spec);
  if (remote) return remote.path === '' ? { destination: remote.destination } : remote;
  return { destination: parseDestination(spec) };
}
