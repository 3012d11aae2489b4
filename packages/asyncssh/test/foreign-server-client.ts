/**
 * Our client against a server the harness started (x/crypto, Paramiko): its connect() options,
 * and the checks those tests run alike whichever server it is.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { generateKey, type KeyPair } from '@ssh/interop';
import { expect } from 'vitest';
import { PermissionDenied, SSHClient, connect, type SSHClientConnection, type SSHClientConnectionOptions, type SSHCompletedProcess } from '../src/index.ts';
import { bounded, roundTrip } from './forward-helpers.ts';

/**
 * Options to connect to `target` as "tester" with `clientKey`, checking its host key against the
 * `knownHosts` file, without agent or config files, in at most 15 s; `extra` last.
 */
export function foreignServerOptions(
  target: { readonly host: string; readonly port: number },
  clientKey: KeyPair,
  knownHosts: string,
  extra: Partial<SSHClientConnectionOptions> = {},
): SSHClientConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    username: 'tester',
    clientKeys: [clientKey.privateKeyPath],
    knownHosts,
    agentPath: null,
    config: null,
    connectTimeout: 15,
    ...extra,
  } as SSHClientConnectionOptions;
}

/** Writes to `file` a known_hosts line giving `target` a fresh key (labelled `label`) it does not have; returns `file`. */
export async function strangerKnownHosts(target: { readonly host: string; readonly port: number }, file: string, label: string): Promise<string> {
  const stranger = await generateKey('ed25519', { label });
  writeFileSync(file, `[${target.host}]:${target.port} ${stranger.publicKey}\n`);
  return file;
}

/** Logs in with `password` (password authentication only), and is refused a wrong one. */
export async function expectPasswordAuth(options: (extra: Partial<SSHClientConnectionOptions>) => SSHClientConnectionOptions, password: string): Promise<void> {
  await using conn = await connect(options({ clientKeys: null, password, preferredAuth: ['password'] }));
  expect(conn.getExtraInfo('authMethod')).toBe('password');
  await expect(connect(options({ clientKeys: null, password: 'wrong', preferredAuth: ['password'] }))).rejects.toBeInstanceOf(PermissionDenied);
}

/**
 * A clientFactory whose client answers each keyboard-interactive round that has questions with
 * `answers` (one without questions with none), recording each round in `seen` as
 * `[name, instruction, [[prompt, echo], ...]]`.
 */
export function kbdintAnswering(seen: unknown[], answers: readonly string[]): () => SSHClient {
  class Answering extends SSHClient {
    override kbdintChallengeReceived(name: string, instruction: string, _lang: string, prompts: readonly { prompt: string; echo: boolean }[]): string[] {
      seen.push([name, instruction, prompts.map((p) => [p.prompt, p.echo])]);
      return prompts.length === 0 ? [] : [...answers];
    }
  }
  return () => new Answering();
}

/** Forwards a local port through direct-tcpip to the echo server on `echoPort` and round-trips 500,000 bytes through it. */
export async function expectLocalPortForward(conn: SSHClientConnection, echoPort: number): Promise<void> {
  const listener = await conn.forwardLocalPort('127.0.0.1', 0, '127.0.0.1', echoPort);
  const data = randomBytes(500_000);
  expect((await roundTrip({ host: '127.0.0.1', port: listener.getPort() }, data)).equals(data)).toBe(true);
  listener.close();
}

/**
 * Forwards a remote port (tcpip-forward, port 0) to the echo server on `echoPort`, round-trips
 * 300,000 bytes through it, and cancels it (cancel-tcpip-forward answered within 10 s).
 */
export async function expectRemotePortForward(conn: SSHClientConnection, echoPort: number): Promise<void> {
  const listener = await conn.forwardRemotePort('127.0.0.1', 0, '127.0.0.1', echoPort);
  const port = listener.getPort();
  expect(port).toBeGreaterThan(0);
  const data = randomBytes(300_000);
  expect((await roundTrip({ host: '127.0.0.1', port }, data)).equals(data)).toBe(true);
  listener.close();
  await bounded(listener.waitClosed(), 10_000, 'cancel-tcpip-forward');
}

/** Sends `data` to the server's `sha256sum` and checks the hash it prints, then sends it through `cat`; returns cat's result. */
export async function sha256sumThenCat(conn: SSHClientConnection, data: Uint8Array): Promise<SSHCompletedProcess<Uint8Array>> {
  const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  const hashed = await conn.run<Uint8Array>('sha256sum', { input: data, encoding: null });
  expect(new TextDecoder().decode(hashed.stdout ?? new Uint8Array()).split(' ')[0]).toBe(sha(data));
  return conn.run<Uint8Array>('cat', { input: data, encoding: null });
}

/**
 * Runs the server's `pty-info` with a terminal type and size and checks what it reports, then
 * `wait-resize` with a pty and a window change, which must report the new size and exit 0.
 */
export async function expectPtyAndWindowChange(conn: SSHClientConnection): Promise<void> {
  const info = await conn.run('pty-info', { termType: 'xterm-256color', termSize: [101, 31], encoding: 'utf-8' });
  expect(info.stdout).toBe('xterm-256color 101x31\n');
  const proc = await conn.createProcess('wait-resize', { termType: 'vt100', termSize: [80, 24], encoding: 'utf-8' });
  expect(await proc.stdout.readline()).toBe('ready 80x24\n');
  proc.changeTerminalSize(132, 43);
  expect(await proc.stdout.readline()).toBe('resized 132x43\n');
  expect((await proc.wait()).exitStatus).toBe(0);
}
