/**
 * What a client needs to know about a server: where it listens, as whom to log in, which host
 * keys to trust. Servers started by the harness are targets; so is anything a test describes by hand
 * (for example our own server under test).
 * @module
 */

import type { KeyPair, KeyType } from './keys.ts';
import type { EnvVars, PeerProcess } from './process.ts';
import type { AuthorizedKey } from './sshd.ts';

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
  /**
   * Public key lines of certificate authorities whose host certificates clients accept for this
   * server (`@cert-authority` in known_hosts).
   */
  readonly hostCertAuthorities?: readonly string[];
  /** Name for errors (`sshd`, `asyncssh-server`, ...). */
  readonly name?: string;
  /** The server's log so far; appended to a failing client command's error when available. */
  readonly log?: string;
}

/** A server the harness started and stops: a target with its keys, process and throwaway directory. */
export interface RunningServer extends SshTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The user clients log in as (the one running the tests). */
  readonly user: string;
  readonly hostKeys: readonly KeyPair[];
  readonly hostPublicKeys: readonly string[];
  /** Its throwaway directory (config, authorized_keys), removed on stop. */
  readonly dir: string;
  readonly pid: number;
  readonly process: PeerProcess;
  /** What the server logged so far. */
  readonly log: string;
  /** Stops the server and everything it started, by PID, then removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * known_hosts lines that pin `target`'s host keys and trust its host certificate authorities
 * (`[host]:port` form unless the port is 22).
 */
export function knownHostsLines(target: SshTarget): string[] {
  const host = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  const keyPart = (line: string): string => line.trim().split(/\s+/).slice(0, 2).join(' ');
  return [
    ...(target.hostPublicKeys ?? []).map((line) => `${host} ${keyPart(line)}`),
    ...(target.hostCertAuthorities ?? []).map((line) => `@cert-authority ${host} ${keyPart(line)}`),
  ];
}

/** What every server the harness starts takes: its host keys, whom it lets in, its start bound. */
export interface ServerBaseOptions {
  /** Host key types to generate (cached per process); default ed25519, ECDSA P-256/384/521, RSA. */
  readonly hostKeyTypes?: readonly KeyType[];
  /** Explicit host keys; replaces `hostKeyTypes`. */
  readonly hostKeys?: readonly KeyPair[];
  /** Contents of authorized_keys; default the harness's `defaultClientKey()`. `[]` disables public key auth. */
  readonly authorizedKeys?: readonly AuthorizedKey[];
  /** Bound on the readiness wait (default 20 s). */
  readonly startTimeoutMs?: number;
  /** Extra environment for the server. */
  readonly env?: EnvVars;
}
