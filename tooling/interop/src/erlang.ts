/**
 * Erlang/OTP's ssh application (Debian bookworm's erlang-ssh 25.2.3, ssh-4.15.2) as a peer: an SSH
 * client, server, SFTP client (ssh_sftp) and SFTP server (ssh_sftpd) of its own, sharing no code
 * with OpenSSH, AsyncSSH, Paramiko, x/crypto, libssh or JSch. erlang/erlsshpeer.erl is compiled
 * once per process with erlc into the harness's temporary root and run by `erl`: `server` is an ssh:daemon (exec runs OS commands through /bin/sh, the sftp subsystem
 * is ssh_sftpd rooted in a directory, direct-tcpip and tcpip-forward through tcpip_tunnel_in and _out); `client` is
 * ssh:connect with a list of actions (exec with stdin and an ssh:renegotiate mid-transfer, ssh_sftp,
 * ssh:tcpip_tunnel_to_server) on the one connection.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
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

const SOURCE = fileURLToPath(new URL('./erlang/erlsshpeer.erl', import.meta.url));
/** The Erlang runtime and compiler (erlang-base). */
export const ERL = '/usr/bin/erl';
const ERLC = '/usr/bin/erlc';
const ERLANG_LIB = '/usr/lib/erlang/lib';

/** The key exchanges in Erlang/OTP 25's ssh:default_algorithms() (the SHA-1 ones are off by default). */
export const ERLANG_KEX: readonly string[] = [
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'ecdh-sha2-nistp256',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha256',
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'curve448-sha512',
];

/** The ciphers in its default_algorithms(). */
export const ERLANG_CIPHERS: readonly string[] = [
  'aes256-gcm@openssh.com',
  'aes256-ctr',
  'aes192-ctr',
  'aes128-gcm@openssh.com',
  'aes128-ctr',
  'chacha20-poly1305@openssh.com',
  'aes256-cbc',
  'aes192-cbc',
  'aes128-cbc',
  '3des-cbc',
];

/** The MACs in its default_algorithms(). */
export const ERLANG_MACS: readonly string[] = [
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-sha1-etm@openssh.com',
  'hmac-sha1',
];

/** The host key (public key) algorithms in its default_algorithms(). */
export const ERLANG_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp256',
  'ssh-ed25519',
  'ssh-ed448',
  'rsa-sha2-256',
  'rsa-sha2-512',
];

/** The compression in its default_algorithms() (plain zlib is supported but off by default). */
export const ERLANG_COMPRESSION: readonly string[] = ['none', 'zlib@openssh.com'];

/** Whether erl, erlc and Erlang's ssh application (which tooling/scripts/ensure-peers.sh installs) are here. */
export function erlangSshAvailable(): boolean {
  try {
    return readdirSync(ERLANG_LIB).some((name) => name.startsWith('ssh-')) && existsSync(ERL) && existsSync(ERLC);
  } catch {
    return false;
  }
}

let built: Promise<string> | undefined;

/** Compiles erlang/erlsshpeer.erl once per process; returns the directory of its .beam. */
export async function buildErlangPeer(): Promise<string> {
  built ??= (async () => {
    if (!erlangSshAvailable()) throw new InteropStartError(`Erlang/OTP's ssh application is missing (${ERLANG_LIB}/ssh-*, ${ERL}, ${ERLC}): run tooling/scripts/ensure-peers.sh`, '');
    const dir = join(tempRoot(), 'erlang-build');
    await mkdir(dir, { recursive: true });
    const r = await run(ERLC, ['-o', dir, SOURCE], { timeoutMs: 60_000, allowFailure: true, cwd: dir });
    if (r.exitCode !== 0) throw new InteropStartError('erlc could not compile erlsshpeer.erl', `${r.stdout}\n${r.stderr}`);
    return dir;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

/** erl's arguments running erlsshpeer:main([mode, config]) from `beams`. */
const erlArgs = (beams: string, mode: 'client' | 'server', config: string): string[] => ['-noshell', '-noinput', '-pa', beams, '-run', 'erlsshpeer', 'main', mode, config];

/** An Erlang string literal (printable ASCII only: file:consult reads the config as Latin-1). */
function erlString(value: string, what: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError(`${what} must be printable ASCII for the Erlang peer: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function erlAtoms(names: readonly string[]): string {
  return `[${names.map((name) => `'${name.replace(/[\\']/g, (c) => `\\${c}`)}'`).join(',')}]`;
}

/** Algorithm lists of either side: preferred_algorithms (the same for both directions). */
export interface ErlangAlgorithms {
  readonly kex?: readonly string[];
  readonly hostKeyAlgorithms?: readonly string[];
  readonly ciphers?: readonly string[];
  readonly macs?: readonly string[];
  readonly compression?: readonly string[];
}

function algorithmTerms(options: ErlangAlgorithms): string[] {
  const lists = [
    ['kex', options.kex],
    ['public_key', options.hostKeyAlgorithms],
    ['cipher', options.ciphers],
    ['mac', options.macs],
    ['compression', options.compression],
  ] as const;
  return lists.filter(([, list]) => list !== undefined).map(([name, list]) => `{${name}, ${erlAtoms(list ?? [])}}.`);
}

/** ssh_file's name for a key in a user_dir (client identities) or system_dir (host keys). */
function keyFileName(key: KeyPair, prefix: 'id' | 'ssh_host'): string {
  const kind = key.type === 'ed25519' ? 'ed25519' : key.type === 'rsa' ? 'rsa' : key.type === 'dsa' ? 'dsa' : 'ecdsa';
  return prefix === 'id' ? `id_${kind}` : `ssh_host_${kind}_key`;
}

/** One step of a {@link runErlangClient} run, run in order on the one connection. */
export type ErlangClientAction =
  | {
      /** A session channel running `command`, stdin sent in 64 KiB pieces from another process, then EOF. */
      readonly op: 'exec';
      readonly command: string;
      readonly stdin?: string | Uint8Array;
      /** Send this many random bytes instead; the result has their sha256. */
      readonly stdinRandom?: number;
      /**
       * A key exchange each time another this many stdin bytes were sent (the connection handler's
       * renegotiate/1: OTP 25 exports no ssh:renegotiate, and its rekey_limit counts bytes only
       * once a minute).
       */
      readonly renegotiateEvery?: number;
    }
  /** ssh_sftp in `remoteDir` (which must not exist): make_dir, write_file up.bin (`bytes` random bytes), read_file_info, list_dir, read_file, rename to moved.bin, delete, del_dir. */
  | { readonly op: 'sftp'; readonly remoteDir: string; readonly bytes: number }
  /** ssh:tcpip_tunnel_to_server to host:port (an echo server), `bytes` random bytes through it. */
  | { readonly op: 'tunnel'; readonly host: string; readonly port: number; readonly bytes: number };

export interface ErlangExecResult {
  readonly stdout: string;
  readonly stdoutLength: number;
  readonly stdoutSha256: string;
  readonly stderr: string;
  /** null without an exit-status. */
  readonly exitStatus: number | null;
  readonly stdinSha256?: string;
}

export interface ErlangSftpResult {
  /** read_file_info's size and mode (permission bits) of up.bin. */
  readonly size?: number;
  readonly mode?: number;
  /** list_dir's names, sorted. */
  readonly names?: readonly string[];
  /** Whether read_file_info of up.bin failed after the rename. */
  readonly renamed?: boolean;
  readonly uploadSha256: string;
  readonly downloadSha256: string;
  readonly error: string | null;
}

export interface ErlangTunnelResult {
  readonly length: number;
  readonly equal: boolean;
  readonly error: string | null;
}

export interface ErlangClientOptions extends RunOptions, ErlangAlgorithms {
  readonly target: SshTarget;
  /** Default: the target's user, else the test runner's. */
  readonly username?: string;
  /** Identities in the client's user_dir (one per kind: id_ed25519, id_ecdsa, id_rsa). Default: the {@link defaultClientKey}; `null` for none. */
  readonly identity?: KeyPair | readonly KeyPair[] | null;
  readonly password?: string;
  /** auth_methods (default "publickey,password"). */
  readonly authMethods?: string;
  /** pref_public_key_algs: the user key algorithms it signs with. */
  readonly userKeyAlgorithms?: readonly string[];
  readonly actions?: readonly ErlangClientAction[];
}

/** A finished Erlang client run (exit 0; 1 when ssh:connect failed, 3 when the peer program crashed). */
export interface ErlangClientResult extends RunResult {
  readonly ok: boolean;
  /** ssh:connect's error. */
  readonly error?: string;
  /** ssh:connection_info's algorithms after connecting. */
  readonly kex?: string;
  readonly hostKey?: string;
  readonly cipherIn?: string;
  readonly cipherOut?: string;
  readonly macIn?: string;
  readonly macOut?: string;
  readonly compress?: string;
  readonly decompress?: string;
  readonly serverVersion?: string;
  readonly actions: readonly (ErlangExecResult | ErlangSftpResult | ErlangTunnelResult)[];
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface Pending {
  readonly action: ErlangClientAction;
  readonly stdin?: Uint8Array;
  readonly out: string;
}

/**
 * Connects an Erlang client to `options.target`, checking its host key against a known_hosts in
 * the client's user_dir (silently_accept_hosts false), and runs the actions in order. A
 * connection that fails exits 1 with `error` set (rejects unless `allowFailure`); the run is
 * bounded by `timeoutMs` (default 40 s) and stopped by PID when it runs over.
 */
export async function runErlangClient(options: ErlangClientOptions): Promise<ErlangClientResult> {
  const beams = await buildErlangPeer();
  const identity = options.identity === undefined ? [await defaultClientKey()] : options.identity;
  const keys = identity === null ? [] : Array.isArray(identity) ? (identity as readonly KeyPair[]) : [identity as KeyPair];
  const { target } = options;
  const dir = await makeTempDir('erlang-client');
  try {
    const userDir = join(dir, 'user');
    await mkdir(userDir, { mode: 0o700 });
    const known = knownHostsLines(target);
    await writeFile(join(userDir, 'known_hosts'), known.map((line) => `${line}\n`).join(''), { mode: 0o600 });
    for (const key of keys) await copyFile(key.privateKeyPath, join(userDir, keyFileName(key, 'id')));
    const terms = [
      `{host, ${erlString(target.host, 'host')}}.`,
      `{port, ${target.port}}.`,
      `{user, ${erlString(options.username ?? target.user ?? userInfo().username, 'user')}}.`,
      `{user_dir, ${erlString(userDir, 'user_dir')}}.`,
      ...algorithmTerms(options),
    ];
    if (options.password !== undefined) terms.push(`{password, ${erlString(options.password, 'password')}}.`);
    if (options.authMethods !== undefined) terms.push(`{auth_methods, ${erlString(options.authMethods, 'authMethods')}}.`);
    if (options.userKeyAlgorithms !== undefined) terms.push(`{user_key_algs, ${erlAtoms(options.userKeyAlgorithms)}}.`);
    const pending: Pending[] = [];
    const actionTerms: string[] = [];
    for (const [index, action] of (options.actions ?? []).entries()) {
      const out = join(dir, `out-${index}`);
      const inPath = join(dir, `in-${index}`);
      switch (action.op) {
        case 'exec': {
          const stdin = action.stdinRandom !== undefined ? randomBytes(action.stdinRandom) : typeof action.stdin === 'string' ? new TextEncoder().encode(action.stdin) : action.stdin;
          if (stdin !== undefined) await writeFile(inPath, stdin);
          actionTerms.push(`{exec, ${erlString(action.command, 'command')}, ${stdin === undefined ? 'none' : erlString(inPath, 'path')}, ${erlString(out, 'path')}, ${action.renegotiateEvery === undefined ? 'none' : Math.floor(action.renegotiateEvery)}}`);
          pending.push({ action, ...(stdin === undefined ? {} : { stdin }), out });
          break;
        }
        case 'sftp': {
          const stdin = randomBytes(action.bytes);
          await writeFile(inPath, stdin);
          actionTerms.push(`{sftp, ${erlString(action.remoteDir, 'remoteDir')}, ${erlString(inPath, 'path')}}`);
          pending.push({ action, stdin, out: `${inPath}.back` });
          break;
        }
        case 'tunnel': {
          const stdin = randomBytes(action.bytes);
          await writeFile(inPath, stdin);
          actionTerms.push(`{tunnel, ${erlString(action.host, 'host')}, ${action.port}, ${erlString(inPath, 'path')}, ${erlString(out, 'path')}}`);
          pending.push({ action, stdin, out });
          break;
        }
      }
    }
    terms.push(`{actions, [${actionTerms.join(',\n  ')}]}.`);
    const config = join(dir, 'client.config');
    await writeFile(config, `${terms.join('\n')}\n`, { mode: 0o600 });
    const result = await runCommand(
      ERL,
      erlArgs(beams, 'client', config),
      { ...options, timeoutMs: options.timeoutMs ?? 40_000, env: { HOME: dir, ...options.env }, cwd: options.cwd ?? dir },
      { name: 'erlang-client', peer: target.log === undefined ? undefined : { name: target.name ?? 'server', log: target.log } },
    );
    let parsed: Record<string, unknown> & { actions?: Record<string, unknown>[] } = {};
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      // No JSON: the VM failed before printing it; stderr says why.
    }
    const actions = await Promise.all(
      (parsed.actions ?? []).map(async (raw, index) => {
        const step = pending[index];
        if (step === undefined) return raw as never;
        const out = await readFile(step.out).catch(() => new Uint8Array());
        const sent = step.stdin ?? new Uint8Array();
        switch (step.action.op) {
          case 'sftp':
            return { ...raw, error: raw.error ?? null, uploadSha256: sha256(sent), downloadSha256: sha256(out) } as unknown as ErlangSftpResult;
          case 'tunnel':
            return { length: out.length, equal: out.length === sent.length && sha256(out) === sha256(sent), error: (raw.error as string | null) ?? null } as ErlangTunnelResult;
          case 'exec':
            return {
              stdout: new TextDecoder().decode(out),
              stdoutLength: out.length,
              stdoutSha256: sha256(out),
              stderr: String(raw.stderr ?? ''),
              exitStatus: (raw.exit_status as number | null) ?? null,
              ...(step.stdin === undefined ? {} : { stdinSha256: sha256(step.stdin) }),
            } as ErlangExecResult;
        }
      }),
    );
    const field = (name: string): Record<string, string> => (typeof parsed[name] === 'string' ? { [name]: parsed[name] as string } : {});
    const rename = (from: string, to: string): Record<string, string> => (typeof parsed[from] === 'string' ? { [to]: parsed[from] as string } : {});
    return {
      ...result,
      ok: parsed.ok === true,
      ...field('error'),
      ...field('kex'),
      ...field('compress'),
      ...field('decompress'),
      ...rename('host_key', 'hostKey'),
      ...rename('cipher_in', 'cipherIn'),
      ...rename('cipher_out', 'cipherOut'),
      ...rename('mac_in', 'macIn'),
      ...rename('mac_out', 'macOut'),
      ...rename('server_version', 'serverVersion'),
      actions,
    };
  } finally {
    await removeTempDir(dir);
  }
}

export interface ErlangServerOptions extends ServerBaseOptions, ErlangAlgorithms {
  /** Accept this password for any user (auth_methods then "publickey,password"). */
  readonly password?: string;
  /** ssh_sftpd's root (and its starting directory); default "/". */
  readonly sftpRoot?: string;
  /** A key exchange the server starts each time another this many bytes of a session's stdin arrived. */
  readonly renegotiateEvery?: number;
}

/**
 * A running Erlang ssh:daemon. Its log (stderr) has a line per authentication ("auth publickey
 * USER accepted", "auth password USER accepted|refused"), per request ("exec CMD", "env N=V",
 * "pty refused"), per key exchange it starts ("renegotiate after N bytes") and per command's end
 * ("exit-status N").
 */
export interface ErlangServer extends RunningServer {
  readonly name: 'erlang-server';
}

function authorizedLines(keys: readonly AuthorizedKey[]): string[] {
  return keys.map((key) => (typeof key === 'string' ? key : key.publicKey));
}

/**
 * Starts an Erlang ssh:daemon on a free port of 127.0.0.1 (port 0, reported on stdout). Its
 * system_dir holds one host key per kind (ed25519, one ECDSA curve, RSA): ssh_file reads a single
 * ssh_host_ecdsa_key.
 */
export async function startErlangServer(options: ErlangServerOptions = {}): Promise<ErlangServer> {
  const [beams, keys, authorized] = await Promise.all([
    buildErlangPeer(),
    options.hostKeys ?? makeHostKeys(options.hostKeyTypes ?? ['ed25519', 'ecdsa-p256', 'rsa']),
    options.authorizedKeys ?? defaultClientKey().then((key) => [key]),
  ]);
  const kinds = keys.map((key) => keyFileName(key, 'ssh_host'));
  if (new Set(kinds).size !== kinds.length) throw new TypeError(`the Erlang server takes one host key per kind (its system_dir has one file each): ${kinds.join(', ')}`);
  const dir = await makeTempDir('erlang-server');
  return startReadyServer({
    name: 'erlang-server',
    label: 'the Erlang ssh daemon',
    command: ERL,
    args: (configPath) => erlArgs(beams, 'server', configPath),
    env: { HOME: dir, ...options.env },
    dir,
    hostKeys: keys,
    writeConfig: async () => {
      const systemDir = join(dir, 'system');
      const userDir = join(dir, 'user');
      await mkdir(systemDir, { mode: 0o700 });
      await mkdir(userDir, { mode: 0o700 });
      for (const key of keys) await copyFile(key.privateKeyPath, join(systemDir, keyFileName(key, 'ssh_host')));
      await writeFile(join(userDir, 'authorized_keys'), authorizedLines(authorized).map((line) => `${line.trim()}\n`).join(''), { mode: 0o600 });
      const terms = [`{system_dir, ${erlString(systemDir, 'path')}}.`, `{user_dir, ${erlString(userDir, 'path')}}.`, `{sftp_root, ${erlString(options.sftpRoot ?? '/', 'sftpRoot')}}.`, ...algorithmTerms(options)];
      if (options.password !== undefined) terms.push(`{password, ${erlString(options.password, 'password')}}.`);
      if (options.renegotiateEvery !== undefined) terms.push(`{renegotiate_every, ${Math.floor(options.renegotiateEvery)}}.`);
      const configPath = join(dir, 'server.config');
      await writeFile(configPath, `${terms.join('\n')}\n`, { mode: 0o600 });
      return configPath;
    },
    startTimeoutMs: options.startTimeoutMs,
  });
}
