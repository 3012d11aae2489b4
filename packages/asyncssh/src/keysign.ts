/**
 * Host-based authentication signed by OpenSSH's ssh-keysign(8) (AsyncSSH's client_host_keysign,
 * ssh_config's EnableSSHKeysign): the client host's private keys are readable by root only, and
 * the set-uid helper signs the hostbased request (RFC 4252 §9) for the user after checking it.
 *
 * The helper's protocol (OpenSSH msg.c framing, version 2): each message is a uint32 length, then
 * that many bytes beginning with the version byte. The request carries uint32 fd (the descriptor
 * number, in the helper, of the connection's TCP socket: 3, as ssh passes it) and string data
 * (what to sign); the reply carries string signature. The helper learns the client host's name
 * from the socket's local address (reverse lookup, else the host name) and signs only a request
 * that names that host (with a trailing dot) and the calling user.
 * @module
 */

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { SshError } from '@ssh/wire';

export const KEYSIGN_VERSION = 2;

/** Where ssh-keysign is looked for when the option is `true` (the places OpenSSH packages put it). */
export const DEFAULT_KEYSIGN_DIRS: readonly string[] = ['/opt/local/libexec', '/usr/local/libexec', '/usr/libexec', '/usr/libexec/openssh', '/usr/lib/openssh'];

/** The host public keys offered when no clientHostKeys are given (ssh-keysign reads the private halves). */
export const DEFAULT_HOST_PUBLIC_KEY_FILES: readonly string[] = ['ed25519', 'ecdsa', 'rsa', 'dsa'].map((t) => `/etc/ssh/ssh_host_${t}_key.pub`);

/** The descriptor the socket gets in ssh-keysign (STDERR_FILENO + 1, as ssh gives it). */
const CHILD_SOCKET_FD = 3;
/** OpenSSH's ssh_msg_recv refuses longer messages. */
const MAX_MESSAGE = 256 * 1024;
/** Kept of the helper's standard error for the error message. */
const MAX_STDERR = 4096;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * ssh-keysign cannot sign: it is not installed (`reason` 'not-found'), the connection does not
 * run over a TCP socket of this process ('no-socket'), it failed or refused ('failed': its exit
 * status and what it printed are in the message), its reply is malformed ('bad-reply'), or it did
 * not answer in time ('timeout').
 */
export class KeysignError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.KeysignError');

  readonly reason: 'not-found' | 'no-socket' | 'failed' | 'bad-reply' | 'timeout';

  constructor(reason: KeysignError['reason'], message: string, options?: { cause?: unknown }) {
    super('SSH_ERR_KEYSIGN', message, options);
    this.reason = reason;
  }
}

/** The ssh-keysign to run: the path given (which must exist), or the first found in DEFAULT_KEYSIGN_DIRS for `true`. */
export function findKeysign(option: true | string, dirs: readonly string[] = DEFAULT_KEYSIGN_DIRS): string {
  if (option !== true) {
    if (!existsSync(option)) throw new KeysignError('not-found', `ssh-keysign not found at ${option}`);
    return option;
  }
  for (const dir of dirs) {
    const file = path.join(dir, 'ssh-keysign');
    if (existsSync(file)) return file;
  }
  throw new KeysignError('not-found', `ssh-keysign not found in ${dirs.join(', ')}`);
}

/** The request message: uint32 length, byte version, uint32 fd, string data. */
export function encodeKeysignRequest(fd: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 1 + 4 + 4 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length - 4);
  out[4] = KEYSIGN_VERSION;
  view.setUint32(5, fd);
  view.setUint32(9, data.length);
  out.set(data, 13);
  return out;
}

/** The signature in a reply (all the helper wrote): uint32 length, byte version, string signature, nothing after. */
export function decodeKeysignReply(reply: Uint8Array): Uint8Array {
  const bad = (why: string): KeysignError => new KeysignError('bad-reply', `ssh-keysign: malformed reply: ${why}`);
  if (reply.length < 4) throw bad(reply.length === 0 ? 'no reply' : 'truncated length');
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const length = view.getUint32(0);
  if (length > MAX_MESSAGE) throw bad(`message of ${length} bytes`);
  if (reply.length !== 4 + length) throw bad(reply.length < 4 + length ? 'truncated message' : 'data after the message');
  if (length < 1 + 4) throw bad('message too short');
  if (reply[4] !== KEYSIGN_VERSION) throw bad(`version ${reply[4]}, expected ${KEYSIGN_VERSION}`);
  const sigLength = view.getUint32(5);
  if (sigLength !== length - 5) throw bad('signature length does not match the message');
  if (sigLength === 0) throw bad('empty signature');
  return reply.slice(9);
}

/**
 * The file descriptor of the TCP socket the connection runs over, or undefined (a tunnel, a proxy
 * command, a stream given as `sock` without one). Node's spawn takes a socket *object* in `stdio`
 * only by pausing it for good (it belongs to the child then), so the descriptor number is passed.
 */
export function socketFd(stream: Duplex): number | undefined {
  if (!(stream instanceof net.Socket)) return undefined;
  const fd = (stream as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The client host name ssh-keysign will insist on, with the trailing dot: the name of the
 * socket's local address (getnameinfo with NI_NAMEREQD, as OpenSSH's get_local_name), else the
 * host name.
 */
export async function localHostName(socket: net.Socket): Promise<string> {
  const address = socket.localAddress;
  if (address !== undefined) {
    try {
      const { hostname } = await dns.lookupService(address, socket.localPort ?? 0);
      if (hostname) return `${hostname}.`;
    } catch {
      // no name for the address: the host name, as ssh and ssh-keysign fall back to
    }
  }
  return `${os.hostname()}.`;
}

export interface KeysignOptions {
  /** Milliseconds to wait for the helper before stopping it (default 30 s). */
  readonly timeoutMs?: number;
}

/**
 * Runs ssh-keysign at `keysignPath` with the socket `fd` as its descriptor 3 and returns its
 * signature of `data` (a hostbased USERAUTH_REQUEST's signed data). Rejects with KeysignError;
 * never leaves the helper running.
 */
export function keysign(keysignPath: string, fd: number, data: Uint8Array, options: KeysignOptions = {}): Promise<Uint8Array> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: KeysignError | undefined, signature?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(signature as Uint8Array);
    };
    const child = spawn(keysignPath, [], { stdio: ['pipe', 'pipe', 'pipe', fd] }) as unknown as ChildProcessByStdio<Writable, Readable, Readable>;
    const stop = (err: KeysignError): void => {
      child.kill('SIGKILL');
      finish(err);
    };
    const timer = setTimeout(() => stop(new KeysignError('timeout', `ssh-keysign did not answer within ${timeoutMs} ms`)), timeoutMs);
    const out: Buffer[] = [];
    let outLength = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      outLength += chunk.length;
      if (outLength > 4 + MAX_MESSAGE) stop(new KeysignError('bad-reply', 'ssh-keysign: malformed reply: too long'));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? 'not-found' : 'failed';
      finish(new KeysignError(reason, `cannot run ssh-keysign ${keysignPath}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const status = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
        const said = stderr.trim();
        finish(new KeysignError('failed', `ssh-keysign ${status}${said ? `: ${said}` : ''}`));
        return;
      }
      try {
        finish(undefined, decodeKeysignReply(new Uint8Array(Buffer.concat(out))));
      } catch (err) {
        finish(err as KeysignError);
      }
    });
    // The helper may exit before reading (not enabled, no host keys): its status says why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(encodeKeysignRequest(CHILD_SOCKET_FD, data));
  });
}
