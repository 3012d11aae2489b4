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
