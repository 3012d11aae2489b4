/**
 * What a client needs to know about a server: where it listens, as whom to log in, which host
 * keys to trust. Servers started by the harness are targets; so is anything a test describes by hand
 * (for example our own server under test).
 * @module
 */

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  /** User to log in as; default: the user running the tests. */
  readonly user?: string;
  /**
   * Public key lines (`<algorithm> <base64> [comment]`) of the server's host keys. When present,
   * clients verify the server against exactly these; when absent, host keys are not checked.
   */
  readonly hostPublicKeys?: readonly string[];
  /** Name for errors (`sshd`, `asyncssh-server`, ...). */
  readonly name?: string;
  /** The server's log so far; appended to a failing client command's error when available. */
  readonly log?: string;
}

/** known_hosts lines that pin `target`'s host keys (`[host]:port` form unless the port is 22). */
export function knownHostsLines(target: SshTarget): string[] {
  const host = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  return (target.hostPublicKeys ?? []).map((line) => {
    const [algorithm = '', base64 = ''] = line.trim().split(/\s+/);
    return `${host} ${algorithm} ${base64}`;
  });
}
