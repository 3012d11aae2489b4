/**
 * golang.org/x/crypto/ssh (Debian's golang-golang-x-crypto-dev 0.4.0, built with golang-go 1.19)
 * as a peer: an SSH client and server of its own, independent of OpenSSH, AsyncSSH and Paramiko.
 * go/gossh.go is compiled once per process, offline in GOPATH mode, into the harness's temporary
 * root; `gossh client` runs a list of actions against a target and `gossh server` serves exec (via
 * /bin/sh, with exit-signal for a command killed by a signal), env, pty, direct-tcpip,
 * direct-streamlocal and tcpip-forward.
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KeyPair, defaultClientKey, hostKeys as makeHostKeys } from './keys.ts';
import { type RunOptions, type RunResult, runCommand } from './process.ts';
import { startReadyServer } from './ready-server.ts';
import type { AuthorizedKey } from './sshd.ts';
import { type RunningServer, type ServerBaseOptions, type SshTarget, knownHostsLines } from './target.ts';
import { makeTempDir, removeTempDir, tempRoot } from './tmp.ts';

const SOURCE = fileURLToPath(new URL('./go/gossh.go', import.meta.url));
/** Debian's GOPATH: golang.org/x/crypto lives under its src. */
export const GO_PATH = '/usr/share/gocode';
const GO = '/usr/bin/go';

/** The key exchanges x/crypto 0.4.0 offers (its client; its server lacks the group-exchange ones). */
export const GO_KEX: readonly string[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group14-sha1',
  'diffie-hellman-group1-sha1',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group-exchange-sha1',
];

/** The ciphers x/crypto 0.4.0 knows. */
export const GO_CIPHERS: readonly string[] = [
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
  'arcfour256',
  'arcfour128',
  'arcfour',
  'aes128-cbc',
  '3des-cbc',
];

/** The MACs x/crypto 0.4.0 knows. */
export const GO_MACS: readonly string[] = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha1', 'hmac-sha1-96'];

/** Whether `go` and x/crypto's sources are installed (tooling/scripts/ensure-peers.sh installs them). */
export function goAvailable(): boolean {
  return existsSync(GO) && existsSync(join(GO_PATH, 'src/golang.org/x/crypto/ssh/client.go'));
}

let built: Promise<string> | undefined;

/** Compiles go/gossh.go once per process (offline, GOPATH mode, a throwaway GOCACHE) and returns the binary's path. */
export async function buildGoPeer(): Promise<string> {
  built ??= (async () => {
    const dir = join(tempRoot(), 'gossh-build');
    await mkdir(dir, { recursive: true });
    const binary = join(dir, 'gossh');
    await runCommand(
      GO,
      ['build', '-o', binary, SOURCE],
      {
        timeoutMs: 180_000,
        cwd: dir,
        env: {
          HOME: dir,
          GOPATH: GO_PATH,
          GO111MODULE: 'off',
          GOFLAGS: '',
          GOPROXY: 'off',
          GOCACHE: join(dir, 'cache'),
          CGO_ENABLED: '0',
        },
      },
      { name: 'go-build' },
    );
    return binary;
  })();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

export interface GoServerOptions extends ServerBaseOptions {
  /** Accept these user/password pairs. */
  readonly passwords?: Readonly<Record<string, string>>;
  /** A USERAUTH_BANNER sent before authentication (BannerCallback). */
  readonly banner?: string;
  /** `ssh.Config` choices; default x/crypto's. */
  readonly kex?: readonly string[];
  readonly ciphers?: readonly string[];
  readonly macs?: readonly string[];
  /** `ssh.Config.RekeyThreshold` in bytes (x/crypto's floor is 256). */
  readonly rekeyThreshold?: number;
  /** Host certificates (`-cert.pub` paths), each presented with the host key it certifies. */
  readonly hostCertificates?: readonly string[];
  /** Public key lines of CAs whose user certificates it accepts (for a user among the principals). */
  readonly userCertAuthorities?: readonly string[];
}

/**
 * A running x/crypto server; its log (stderr) has one line per session and per refused global
 * request. keyboard-interactive asks "Password: " (no echo) and "Favourite colour: " (echo), and
 * accepts the user's password and "blue".
 */
export interface GoServer extends RunningServer {
  readonly name: 'go-server';
}

function authorizedLines(keys: readonly AuthorizedKey[]): string[] {
  return keys.map((key) => (typeof key === 'string' ? key : key.publicKey));
}

/** Starts an x/crypto server on a free port of 127.0.0.1 (it binds port 0 and reports the port). */
export async function startGoServer(options: GoServerOptions = {}): Promise<GoServer> {
  const [binary, keys, authorized] = await Promise.all([
    buildGoPeer(),
    options.hostKeys ?? makeHostKeys(options.hostKeyTypes ?? ['ed25519', 'ecdsa-p256', 'rsa']),
    options.authorizedKeys ?? defaultClientKey().then((key) => [key]),
  ]);
  const dir = await makeTempDir('go-server');
  return startReadyServer({
    name: 'go-server',
    label: 'the x/crypto server',
    command: binary,
    args: (configPath) => ['server', configPath],
    env: { HOME: dir, ...options.env },
    dir,
    hostKeys: keys,
    config: {
      hostKeys: keys.map((key) => key.privateKeyPath),
      hostCerts: options.hostCertificates ?? [],
      userCAs: options.userCertAuthorities ?? [],
      authorizedKeys: authorizedLines(authorized),
      passwords: options.passwords ?? {},
      banner: options.banner ?? '',
      kex: options.kex ?? null,
      ciphers: options.ciphers ?? null,
      macs: options.macs ?? null,
      rekeyThreshold: options.rekeyThreshold ?? 0,
    },
    startTimeoutMs: options.startTimeoutMs,
  });
}

/** One step of a {@link runGoClient} run, run in order on the one connection. */
export type GoClientAction =
  | {
      /** A session channel running `command` (exec). */
      readonly op: 'exec';
      readonly command: string;
      /** Sent on stdin, then EOF (none: EOF at once). */
      readonly stdin?: string;
      /** Send this many random bytes on stdin instead; the result has their sha256. */
      readonly stdinRandom?: number;
      readonly pty?: { readonly term: string; readonly width: number; readonly height: number };
      /** A window-change (width, height) once the command wrote its first output; stdin is closed 300 ms later. */
      readonly resize?: readonly [number, number];
      /** A signal request ("TERM", ...) 300 ms after the start; stdin is closed 300 ms later. */
      readonly signal?: string;
      readonly env?: Readonly<Record<string, string>>;
      /** Report only the output's length and sha256, not its text. */
      readonly hashStdout?: boolean;
    }
  /** `count` copies of an exec action at once, each on its own session; its result is their results' array. */
  | {
      readonly op: 'parallel';
      readonly count: number;
      readonly command: string;
      readonly stdinRandom?: number;
      readonly hashStdout?: boolean;
    }
  /** A channel request `name` with want-reply and no data on a fresh session: `{ ok, error }`. */
  | { readonly op: 'sessionRequest'; readonly name: string }
  /** A keepalive@openssh.com global request with want-reply. */
  | { readonly op: 'keepalive' }
  /** A direct-tcpip channel to host:port; `bytes` random bytes round-tripped (an echo server). */
  | { readonly op: 'local'; readonly host: string; readonly port: number; readonly bytes: number }
  /** tcpip-forward of host:port (default 127.0.0.1:0), `bytes` round-tripped through it to x/crypto's echo, then cancelled. */
  | { readonly op: 'remote'; readonly host?: string; readonly port?: number; readonly bytes: number }
  /** A direct-streamlocal@openssh.com channel to the UNIX socket `path` (an echo server); `bytes` round-tripped. */
  | { readonly op: 'localUnix'; readonly path: string; readonly bytes: number }
  /** streamlocal-forward@openssh.com of `path`, `bytes` round-tripped through it to x/crypto's echo, then cancelled. */
  | { readonly op: 'remoteUnix'; readonly path: string; readonly bytes: number }
  | { readonly op: 'sleep'; readonly ms: number };

/** What an exec action reports. */
export interface GoExecResult {
  readonly stdout: string;
  readonly stdoutLength: number;
  readonly stdoutSha256: string;
  readonly stderr: string;
  readonly exitStatus: number | null;
  readonly exitSignal?: string;
  readonly stdinSha256?: string;
  readonly envErrors?: readonly string[];
  readonly error?: string;
}

export interface GoClientOptions extends RunOptions {
  readonly target: SshTarget;
  /** Default: the target's user, else the test runner's. */
  readonly username?: string;
  /** Client keys. Default: the {@link defaultClientKey}; `null` for none. */
  readonly identity?: KeyPair | readonly KeyPair[] | null;
  /** Certificates (`-cert.pub` paths) offered instead of the `identity` keys of the same index; `''` for none. */
  readonly certificates?: readonly string[];
  readonly password?: string;
  /** Offer keyboard-interactive, answering each round's questions with the first of these (a round without questions with none). */
  readonly kbdintAnswers?: readonly string[];
  /** `ClientConfig.HostKeyAlgorithms`, `Config.KeyExchanges`, `Ciphers`, `MACs`; default x/crypto's. */
  readonly hostKeyAlgorithms?: readonly string[];
  readonly kex?: readonly string[];
  readonly ciphers?: readonly string[];
  readonly macs?: readonly string[];
  /** `Config.RekeyThreshold` in bytes (x/crypto's floor is 256). */
  readonly rekeyThreshold?: number;
  /** Check the host key against the target's `hostPublicKeys` (x/crypto's knownhosts; default when it lists any). */
  readonly verifyHostKeys?: boolean;
  readonly actions?: readonly GoClientAction[];
}

/** A finished x/crypto client run. */
export interface GoClientResult extends RunResult {
  /** The host key type the server showed. */
  readonly hostKeyType?: string;
  /** The USERAUTH_BANNER messages shown (BannerCallback). */
  readonly banners: readonly string[];
  /** Each keyboard-interactive round: `{ name, instruction, questions, echos }`. */
  readonly challenges: readonly unknown[];
  /** The connection's error (dial, handshake, host key, authentication). */
  readonly error?: string;
  /** One result per action: {@link GoExecResult} for exec, `{ ok, error }` for keepalive, `{ equal, length, error }` for forwards. */
  readonly actions: readonly unknown[];
}

/**
 * Connects an x/crypto client to `options.target` and runs the actions in order. A connection that
 * fails exits 1 with `error` set (reject unless `allowFailure`); the run is bounded by `timeoutMs`
 * (default 30 s).
 */
export async function runGoClient(options: GoClientOptions): Promise<GoClientResult> {
  const binary = await buildGoPeer();
  const identity = options.identity === undefined ? [await defaultClientKey()] : options.identity;
  const keys = identity === null ? [] : (Array.isArray(identity) ? (identity as readonly KeyPair[]) : [identity as KeyPair]).map((key) => key.privateKeyPath);
  const { target } = options;
  const dir = await makeTempDir('go-client');
  try {
    let knownHosts = '';
    if (options.verifyHostKeys ?? knownHostsLines(target).length > 0) {
      knownHosts = join(dir, 'known_hosts');
      await writeFile(knownHosts, knownHostsLines(target).map((line) => `${line}\n`).join(''), { mode: 0o600 });
    }
    const configPath = join(dir, 'client.json');
    const timeoutMs = options.timeoutMs ?? 30_000;
    await writeFile(
      configPath,
      JSON.stringify({
        addr: `${target.host}:${target.port}`,
        user: options.username ?? target.user ?? userInfo().username,
        keys,
        certs: options.certificates ?? [],
        password: options.password ?? null,
        kbdintAnswers: options.kbdintAnswers ?? null,
        knownHosts,
        hostKeyAlgorithms: options.hostKeyAlgorithms ?? null,
        kex: options.kex ?? null,
        ciphers: options.ciphers ?? null,
        macs: options.macs ?? null,
        rekeyThreshold: options.rekeyThreshold ?? 0,
        timeoutMs: Math.min(timeoutMs, 15_000),
        actions: options.actions ?? [],
      }),
      { mode: 0o600 },
    );
    const result = await runCommand(
      binary,
      ['client', configPath],
      { ...options, timeoutMs, env: { HOME: dir, ...options.env }, cwd: options.cwd ?? dir },
      { name: 'go-client', peer: target.log === undefined ? undefined : { name: target.name ?? 'server', log: target.log } },
    );
    let parsed: { hostKeyType?: string; error?: string; actions?: unknown[]; challenges?: unknown[]; banners?: string[] } = {};
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      // No JSON: the process failed before printing it; stderr says why.
    }
    return {
      ...result,
      ...(parsed.hostKeyType === undefined ? {} : { hostKeyType: parsed.hostKeyType }),
      ...(parsed.error === undefined ? {} : { error: parsed.error }),
      actions: parsed.actions ?? [],
      challenges: parsed.challenges ?? [],
      banners: parsed.banners ?? [],
    };
  } finally {
    await removeTempDir(dir);
  }
}
