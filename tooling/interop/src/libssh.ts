/**
 * libssh (libssh.org; Debian bookworm's libssh-dev 0.10.6, with its OpenSSL backend) as a peer: an
 * SSH implementation of its own, independent of OpenSSH, AsyncSSH, Paramiko, x/crypto and JSch.
 * libssh/libsshpeer.c is compiled once per process with `cc ... -lssh` into the harness's temporary
 * root; `libsshpeer client` connects, checks the host key against a known_hosts file, authenticates
 * and runs a list of actions (exec, pty, sftp, direct-tcpip) on the one connection; `libsshpeer
 * server` serves exec (/bin/sh), env, pty, sftp (OpenSSH's sftp-server as the subsystem) and
 * direct-tcpip with libssh's server callbacks, one forked process per connection.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InteropStartError } from './errors.ts';
import { type KeyPair, defaultClientKey, hostKeys as makeHostKeys } from './keys.ts';
import { type RunOptions, type RunResult, run, runCommand } from './process.ts';
import { startReadyServer } from './ready-server.ts';
import type { AuthorizedKey } from './sshd.ts';
import { type RunningServer, type ServerBaseOptions, type SshTarget, knownHostsLines } from './target.ts';
import { makeTempDir, removeTempDir, tempRoot } from './tmp.ts';

const SOURCE = fileURLToPath(new URL('./libssh/libsshpeer.c', import.meta.url));
/** libssh's public header; its presence says libssh-dev is installed. */
export const LIBSSH_HEADER = '/usr/include/libssh/libssh.h';
const CC = 'cc';

/** The key exchanges libssh 0.10 implements as a client (its default list leaves out the SHA-1 ones). */
export const LIBSSH_KEX: readonly string[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group14-sha1',
  'diffie-hellman-group1-sha1',
  'diffie-hellman-group-exchange-sha1',
];

/** The ciphers libssh 0.10 implements (with OpenSSL). */
export const LIBSSH_CIPHERS: readonly string[] = [
  'chacha20-poly1305@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-gcm@openssh.com',
  'aes256-ctr',
  'aes192-ctr',
  'aes128-ctr',
  'aes256-cbc',
  'aes192-cbc',
  'aes128-cbc',
  '3des-cbc',
];

/** The MACs libssh 0.10 implements. */
export const LIBSSH_MACS: readonly string[] = [
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-sha1',
];

/** The plain host key (signature) algorithms libssh 0.10 accepts from a server. */
export const LIBSSH_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp256',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Whether libssh's headers (libssh-dev, which tooling/scripts/ensure-peers.sh installs) are here. */
export function libsshAvailable(): boolean {
  return existsSync(LIBSSH_HEADER);
}

let built: Promise<string> | undefined;

/** Compiles libssh/libsshpeer.c once per process and returns the binary's path. */
export async function buildLibsshPeer(): Promise<string> {
  built ??= (async () => {
    const dir = join(tempRoot(), 'libssh-build');
    await mkdir(dir, { recursive: true });
    const binary = join(dir, 'libsshpeer');
    const r = await run(CC, ['-O2', '-Wall', '-o', binary, SOURCE, '-lssh'], { timeoutMs: 120_000, allowFailure: true, cwd: dir });
    if (r.exitCode !== 0) throw new InteropStartError('cc could not compile libsshpeer.c (is libssh-dev installed?)', `${r.stdout}\n${r.stderr}`);
    return binary;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

/** One step of a {@link runLibsshClient} run, run in order on the one connection. */
export type LibsshClientAction =
  | {
      /** A session channel running `command` (env requests first, then exec), stdin then EOF. */
      readonly op: 'exec';
      readonly command: string;
      /** Sent on stdin (a string as UTF-8) before EOF; none: EOF at once. */
      readonly stdin?: string | Uint8Array;
      /** Send this many random bytes on stdin instead; the result has their sha256. */
      readonly stdinRandom?: number;
      readonly env?: Readonly<Record<string, string>>;
    }
  /** A pty request, exec, a window change once the first line arrived, EOF once "resized ...\n" was read. */
  | { readonly op: 'pty'; readonly command: string; readonly term: string; readonly size: readonly [number, number]; readonly resize: readonly [number, number] }
  /** libssh's SFTP client in `remoteDir`: mkdir d, put `bytes` random bytes as d/up.bin, stat, readdir, get, rename to moved.bin, remove, rmdir. */
  | { readonly op: 'sftp'; readonly remoteDir: string; readonly bytes: number }
  /** A direct-tcpip channel to host:port (an echo server): `bytes` random bytes, EOF, read to EOF. */
  | { readonly op: 'local'; readonly host: string; readonly port: number; readonly bytes: number };

/** What an exec or pty action reports. */
export interface LibsshExecResult {
  /** The output as UTF-8 text (see stdoutLength, stdoutSha256 for binary output). */
  readonly stdout: string;
  readonly stdoutLength: number;
  readonly stdoutSha256: string;
  readonly stderr: string;
  /** ssh_channel_get_exit_status(): -1 without an exit-status. */
  readonly exitStatus: number;
  readonly stdinSha256?: string;
  readonly error: string | null;
}

/** What an sftp action reports. */
export interface LibsshSftpResult {
  /** sftp_stat's size and permission bits of the uploaded file. */
  readonly size: number;
  readonly permissions: number;
  /** sftp_readdir's names, in its order. */
  readonly names: readonly string[];
  readonly downloaded: number;
  readonly uploadSha256: string;
  /** The sha256 of what sftp_read got back. */
  readonly downloadSha256: string;
  readonly renamed: boolean;
  readonly removed: boolean;
  readonly error: string | null;
}

/** What a local (direct-tcpip) action reports. */
export interface LibsshLocalResult {
  readonly length: number;
  readonly equal: boolean;
  readonly error: string | null;
}

export interface LibsshClientOptions extends RunOptions {
  readonly target: SshTarget;
  /** Default: the target's user, else the test runner's. */
  readonly username?: string;
  /** Client keys tried in order. Default: the {@link defaultClientKey}; `null` for none. */
  readonly identity?: KeyPair | readonly KeyPair[] | null;
  readonly password?: string;
  /** Offer keyboard-interactive, answering each round's prompts with these, in order. */
  readonly kbdintAnswers?: readonly string[];
  /** SSH_OPTIONS_KEY_EXCHANGE, _HOSTKEYS, _CIPHERS_*, _HMAC_*, _PUBLICKEY_ACCEPTED_TYPES; default libssh's. */
  readonly kex?: readonly string[];
  readonly hostKeyAlgorithms?: readonly string[];
  readonly ciphers?: readonly string[];
  readonly macs?: readonly string[];
  readonly publicKeyAlgorithms?: readonly string[];
  /** SSH_OPTIONS_COMPRESSION_C_S and _S_C (none, zlib, zlib@openssh.com); default libssh's (none). */
  readonly compression?: readonly string[];
  /** SSH_OPTIONS_REKEY_DATA: libssh rekeys after this many bytes (its floor is 16). */
  readonly rekeyData?: number;
  /** SSH_OPTIONS_LOG_VERBOSITY (0-4) to stderr. */
  readonly verbosity?: number;
  readonly actions?: readonly LibsshClientAction[];
}

/** A finished libssh client run. */
export interface LibsshClientResult extends RunResult {
  /** ssh_key_type_to_char of the server's host key ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
  readonly hostKeyType?: string;
  readonly serverBanner?: string;
  /** ssh_get_kex_algo, ssh_get_cipher_in/out, ssh_get_hmac_in/out after the first key exchange. */
  readonly kex?: string;
  readonly cipherIn?: string;
  readonly cipherOut?: string;
  readonly hmacIn?: string;
  readonly hmacOut?: string;
  /** The method that succeeded: publickey, password or keyboard-interactive. */
  readonly authMethod?: string;
  /** The USERAUTH_BANNER (ssh_get_issue_banner). */
  readonly banner?: string | null;
  /** Each keyboard-interactive round. */
  readonly challenges: readonly { name: string; instruction: string; prompts: { prompt: string; echo: boolean }[] }[];
  /** The connection's error (connect, key exchange, host key, authentication). */
  readonly error?: string;
  readonly actions: readonly (LibsshExecResult | LibsshSftpResult | LibsshLocalResult)[];
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function checkField(value: string, what: string): string {
  if (/[\t\n]/.test(value)) throw new TypeError(`${what} must not contain a tab or newline: ${JSON.stringify(value)}`);
  return value;
}

interface Pending {
  readonly action: LibsshClientAction;
  readonly stdin?: Uint8Array;
  readonly stdout?: string;
  readonly local?: string;
}

/**
 * Connects a libssh client to `options.target` and runs the actions in order. A connection that
 * fails exits 1 with `error` set (reject unless `allowFailure`); the run is bounded by `timeoutMs`
 * (default 30 s) and the process is stopped by PID when it runs over.
 */
export async function runLibsshClient(options: LibsshClientOptions): Promise<LibsshClientResult> {
  const binary = await buildLibsshPeer();
  const identity = options.identity === undefined ? [await defaultClientKey()] : options.identity;
  const keys = identity === null ? [] : Array.isArray(identity) ? (identity as readonly KeyPair[]) : [identity as KeyPair];
  const { target } = options;
  const dir = await makeTempDir('libssh-client');
  try {
    const lines: string[][] = [
      ['host', target.host],
      ['port', String(target.port)],
      ['user', options.username ?? target.user ?? userInfo().username],
      ['timeout', '15'],
    ];
    const known = knownHostsLines(target);
    if (known.length > 0) {
      await writeFile(join(dir, 'known_hosts'), known.map((line) => `${line}\n`).join(''), { mode: 0o600 });
      lines.push(['knownhosts', join(dir, 'known_hosts')]);
    }
    for (const key of keys) lines.push(['identity', key.privateKeyPath]);
    if (options.password !== undefined) lines.push(['password', options.password]);
    if (options.kbdintAnswers !== undefined) lines.push(['kbdint', ...options.kbdintAnswers]);
    const lists = [
      ['kex', options.kex],
      ['hostkeys', options.hostKeyAlgorithms],
      ['ciphers', options.ciphers],
      ['macs', options.macs],
      ['pubkeytypes', options.publicKeyAlgorithms],
      ['compression', options.compression],
    ] as const;
    for (const [name, list] of lists) if (list !== undefined) lines.push([name, list.join(',')]);
    if (options.rekeyData !== undefined) lines.push(['rekeydata', String(options.rekeyData)]);
    if (options.verbosity !== undefined) lines.push(['verbose', String(options.verbosity)]);
    const pending: Pending[] = [];
    for (const [index, action] of (options.actions ?? []).entries()) {
      const stdout = join(dir, `out-${index}`);
      switch (action.op) {
        case 'exec': {
          const stdin = action.stdinRandom !== undefined ? randomBytes(action.stdinRandom) : typeof action.stdin === 'string' ? new TextEncoder().encode(action.stdin) : action.stdin;
          const stdinPath = join(dir, `in-${index}`);
          if (stdin !== undefined) await writeFile(stdinPath, stdin);
          const env = Object.entries(action.env ?? {}).map(([name, value]) => `${checkField(name, 'env name')}=${checkField(value, 'env value')}`);
          lines.push(['exec', checkField(action.command, 'command'), stdin === undefined ? '-' : stdinPath, stdout, ...env]);
          pending.push({ action, ...(stdin === undefined ? {} : { stdin }), stdout });
          break;
        }
        case 'pty':
          lines.push(['pty', checkField(action.command, 'command'), stdout, checkField(action.term, 'term'), ...[...action.size, ...action.resize].map(String)]);
          pending.push({ action, stdout });
          break;
        case 'sftp': {
          const local = join(dir, `sftp-${index}`);
          const stdin = randomBytes(action.bytes);
          await writeFile(local, stdin);
          lines.push(['sftp', checkField(action.remoteDir, 'remoteDir'), local]);
          pending.push({ action, stdin, local });
          break;
        }
        case 'local': {
          const stdin = randomBytes(action.bytes);
          const stdinPath = join(dir, `in-${index}`);
          await writeFile(stdinPath, stdin);
          lines.push(['local', checkField(action.host, 'host'), String(action.port), stdinPath, stdout]);
          pending.push({ action, stdin, stdout });
          break;
        }
      }
    }
    const script = join(dir, 'script');
    await writeFile(script, lines.map((fields) => `${fields.join('\t')}\n`).join(''), { mode: 0o600 });
    const result = await runCommand(
      binary,
      ['client', script],
      { ...options, timeoutMs: options.timeoutMs ?? 30_000, env: { HOME: dir, ...options.env }, cwd: options.cwd ?? dir },
      { name: 'libssh-client', peer: target.log === undefined ? undefined : { name: target.name ?? 'server', log: target.log } },
    );
    let parsed: Omit<Partial<LibsshClientResult>, keyof RunResult | 'actions' | 'error'> & { actions?: Record<string, unknown>[]; error?: string | null } = {};
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      // No JSON: the process failed before printing it; stderr says why.
    }
    const actions = await Promise.all(
      (parsed.actions ?? []).map(async (raw, index) => {
        const step = pending[index];
        if (step === undefined) return raw as never;
        const { action } = step;
        if (action.op === 'sftp') {
          const back = await readFile(`${step.local ?? ''}.back`).catch(() => new Uint8Array());
          const names = String(raw.names ?? '');
          return { ...raw, names: names === '' ? [] : names.split('/'), uploadSha256: sha256(step.stdin ?? new Uint8Array()), downloadSha256: sha256(back) } as unknown as LibsshSftpResult;
        }
        const out = await readFile(step.stdout ?? '').catch(() => new Uint8Array());
        if (action.op === 'local') {
          const sent = step.stdin ?? new Uint8Array();
          return { length: out.length, equal: out.length === sent.length && sha256(out) === sha256(sent), error: (raw.error as string | null) ?? null } as LibsshLocalResult;
        }
        return {
          ...raw,
          stdout: new TextDecoder().decode(out),
          stdoutLength: out.length,
          stdoutSha256: sha256(out),
          ...(step.stdin === undefined ? {} : { stdinSha256: sha256(step.stdin) }),
        } as LibsshExecResult;
      }),
    );
    const { actions: _raw, error, challenges, ...rest } = parsed;
    return {
      ...result,
      ...rest,
      ...(error === undefined || error === null ? {} : { error }),
      challenges: challenges ?? [],
      actions,
    };
  } finally {
    await removeTempDir(dir);
  }
}

export interface LibsshServerOptions extends ServerBaseOptions {
  /** Accept this password for any user (and as keyboard-interactive's first answer). */
  readonly password?: string;
  /** SSH_BIND_OPTIONS_KEY_EXCHANGE, _HOSTKEY_ALGORITHMS, _CIPHERS_*, _HMAC_*; default libssh's. */
  readonly kex?: readonly string[];
  readonly hostKeyAlgorithms?: readonly string[];
  readonly ciphers?: readonly string[];
  readonly macs?: readonly string[];
  /** SSH_OPTIONS_REKEY_DATA on each connection: libssh rekeys after this many bytes. */
  readonly rekeyData?: number;
  /** SSH_BIND_OPTIONS_LOG_VERBOSITY (0-4) into the log. */
  readonly verbosity?: number;
}

/**
 * A running libssh server. Its log (stderr) has a line per connection's key exchange ("kex NAME
 * cipher IN OUT hmac IN OUT"), authentication ("auth publickey USER TYPE accepted"), channel and
 * request ("exec CMD", "pty TERM WxH", "window-change WxH", "env N=V", "subsystem sftp",
 * "direct-tcpip HOST:PORT", "exit-status N"). keyboard-interactive asks "Code: " (no echo) and
 * "Colour: " (echo) and accepts the password and "blue".
 */
export interface LibsshServer extends RunningServer {
  readonly name: 'libssh-server';
}

function authorizedLines(keys: readonly AuthorizedKey[]): string[] {
  return keys.map((key) => (typeof key === 'string' ? key : key.publicKey));
}

/** Starts a libssh server on a free port of 127.0.0.1 (it binds port 0 and reports the port). */
export async function startLibsshServer(options: LibsshServerOptions = {}): Promise<LibsshServer> {
  const [binary, keys, authorized] = await Promise.all([
    buildLibsshPeer(),
    options.hostKeys ?? makeHostKeys(options.hostKeyTypes ?? ['ed25519', 'ecdsa-p256', 'rsa']),
    options.authorizedKeys ?? defaultClientKey().then((key) => [key]),
  ]);
  const dir = await makeTempDir('libssh-server');
  return startReadyServer({
    name: 'libssh-server',
    label: 'the libssh server',
    command: binary,
    args: (configPath) => ['server', configPath],
    env: { HOME: dir, ...options.env },
    dir,
    hostKeys: keys,
    writeConfig: async () => {
      const authorizedPath = join(dir, 'authorized_keys');
      await writeFile(authorizedPath, authorizedLines(authorized).map((line) => `${line.trim()}\n`).join(''), { mode: 0o600 });
      const lines: string[][] = [...keys.map((key) => ['hostkey', key.privateKeyPath]), ['authorized', authorizedPath]];
      if (options.password !== undefined) lines.push(['password', checkField(options.password, 'password')]);
      const lists = [
        ['kex', options.kex],
        ['hostkeys', options.hostKeyAlgorithms],
        ['ciphers', options.ciphers],
        ['macs', options.macs],
      ] as const;
      for (const [name, list] of lists) if (list !== undefined) lines.push([name, list.join(',')]);
      if (options.rekeyData !== undefined) lines.push(['rekeydata', String(options.rekeyData)]);
      if (options.verbosity !== undefined) lines.push(['verbose', String(options.verbosity)]);
      const configPath = join(dir, 'server.conf');
      await writeFile(configPath, lines.map((fields) => `${fields.join('\t')}\n`).join(''), { mode: 0o600 });
      return configPath;
    },
    startTimeoutMs: options.startTimeoutMs,
  });
}
