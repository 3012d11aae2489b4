/**
 * A throwaway OpenSSH server: `/usr/sbin/sshd -D -e -f <tmp>/sshd_config -p <free port>` on
 * 127.0.0.1 with its own config, host keys and authorized_keys, its log captured.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { InteropStartError } from './errors.ts';
import { DEFAULT_HOST_KEY_TYPES, type KeyPair, defaultClientKey, hostKeys as makeHostKeys } from './keys.ts';
import { LOOPBACK, freePort } from './ports.ts';
import { type PeerProcess, startProcess } from './process.ts';
import { type RunningPeer, withRunningPeer } from './running-peer.ts';
import type { RunningServer, ServerBaseOptions } from './target.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

export const SSHD = '/usr/sbin/sshd';
export const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

export type SshdLogLevel = 'QUIET' | 'FATAL' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';

/** An authorized key: a key pair, or a whole authorized_keys line (which may carry options). */
export type AuthorizedKey = KeyPair | string;

export interface SshdOptions extends ServerBaseOptions {
  /**
   * sshd_config lines placed BEFORE the harness defaults. For most keywords sshd keeps the first
   * value it reads, so these override the defaults (`'Ciphers aes128-ctr'`, `'LogLevel DEBUG3'`).
   */
  readonly config?: readonly string[];
  /** Lines appended after everything else: the place for `Match` blocks. */
  readonly trailingConfig?: readonly string[];
  /** Subsystems by name; default `{ sftp: '/usr/lib/openssh/sftp-server' }`. `{}` for none. */
  readonly subsystems?: Readonly<Record<string, string>>;
  /**
   * `PasswordAuthentication yes`. With `UsePAM no`, sshd checks the account's own password
   * (shadow), so this only lets a test in if the account has one; AsyncSSH servers take `passwords`.
   */
  readonly passwordAuthentication?: boolean;
  /** Default VERBOSE (one line per connection and auth decision). */
  readonly logLevel?: SshdLogLevel;
  /**
   * A command that starts sshd: sshd's path and arguments are appended to it, and it must exec
   * them (keeping its PID, which `stop` signals). For files sshd reads at fixed paths:
   * `['unshare', '-m', 'sh', '-c', 'mount --bind <dir> /etc/ssh && exec "$0" "$@"']` gives it
   * its own /etc/ssh (ssh_known_hosts for hostbased) without touching the machine's.
   */
  readonly launcher?: readonly string[];
}

/** A running sshd. */
export interface SshdServer extends RunningServer {
  readonly name: 'sshd';
  readonly configPath: string;
  readonly authorizedKeysPath: string;
  /** The config file as written. */
  readonly config: string;
  /** Everything sshd (and its per-connection children) logged so far. */
  readonly log: string;
  /**
   * The log, once it matches `pattern`. sshd's children write it through a pipe that is read
   * asynchronously, so a line can arrive after the client has seen the outcome it logs. Rejects
   * after `timeoutMs` with the log so far.
   */
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Replaces authorized_keys; sshd reads it at each authentication, no restart needed. */
  setAuthorizedKeys(keys: readonly AuthorizedKey[]): Promise<void>;
}

const BIND_RETRIES = 5;

/** An authorized_keys file's text for `keys` (lines as given, or the key pairs' public lines). */
export function authorizedKeysText(keys: readonly AuthorizedKey[]): string {
  return keys.map((key) => `${typeof key === 'string' ? key.trim() : key.publicKey}\n`).join('');
}

function firstSetting(lines: readonly string[], keyword: string): string | undefined {
  const pattern = new RegExp(`^\\s*${keyword}\\s+(\\S+)`, 'i');
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match?.[1] !== undefined) return match[1].toUpperCase();
  }
  return undefined;
}

/** Builds the sshd_config text (exported for tests and for printing in bug reports). */
export function sshdConfigText(params: {
  readonly config: readonly string[];
  readonly trailingConfig: readonly string[];
  readonly hostKeyPaths: readonly string[];
  readonly authorizedKeysPath: string;
  readonly subsystems: Readonly<Record<string, string>>;
  readonly passwordAuthentication: boolean;
  readonly logLevel: SshdLogLevel;
}): string {
  const userSubsystems = new Set(
    params.config.flatMap((line) => /^\s*Subsystem\s+(\S+)/i.exec(line)?.[1] ?? []).map((name) => name.toLowerCase()),
  );
  const lines = [
    '# Written by @ssh/interop. Options come first: sshd keeps the first value of most keywords.',
    ...params.config,
    '',
    '# Harness defaults.',
    `ListenAddress ${LOOPBACK}`,
    'AddressFamily inet',
    'PidFile none',
    ...params.hostKeyPaths.map((path) => `HostKey ${path}`),
    `AuthorizedKeysFile ${params.authorizedKeysPath}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${params.passwordAuthentication ? 'yes' : 'no'}`,
    'PermitEmptyPasswords no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    `LogLevel ${params.logLevel}`,
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'PermitUserRC no',
    'PermitUserEnvironment no',
    'Banner none',
    'X11Forwarding no',
    'AllowTcpForwarding yes',
    'AllowAgentForwarding yes',
    'AllowStreamLocalForwarding yes',
    'MaxAuthTries 20',
    'MaxSessions 64',
    'MaxStartups 64:30:128',
    'LoginGraceTime 30',
    'AcceptEnv LANG LC_* INTEROP_* TEST_*',
    // Debian's bash sources ~/.bashrc for commands run by sshd, unless it is not a top-level
    // shell: SHLVL=1 makes it one level down, so the host's rc files (which may print, or take a
    // second to run) stay out of the tests.
    'SetEnv SHLVL=1',
    ...Object.entries(params.subsystems)
      .filter(([name]) => !userSubsystems.has(name.toLowerCase()))
      .map(([name, command]) => `Subsystem ${name} ${command}`),
    '',
    ...params.trailingConfig,
  ];
  return `${lines.join('\n')}\n`;
}

let privsepDirReady = false;

/** As root, sshd needs its privilege separation directory. */
function ensurePrivsepDir(): void {
  if (privsepDirReady || process.getuid?.() !== 0) return;
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch {
    // sshd will say what is wrong in its log.
  }
  privsepDirReady = true;
}

/** Starts sshd on a free port of 127.0.0.1 and waits until it listens. */
export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  ensurePrivsepDir();
  const [keys, authorized] = await Promise.all([
    options.hostKeys ?? makeHostKeys(options.hostKeyTypes ?? DEFAULT_HOST_KEY_TYPES),
    options.authorizedKeys ?? defaultClientKey().then((key) => [key]),
  ]);
  const dir = await makeTempDir('sshd');
  try {
    const configPath = join(dir, 'sshd_config');
    const authorizedKeysPath = join(dir, 'authorized_keys');
    const extra = options.config ?? [];
    const logLevel = options.logLevel ?? 'VERBOSE';
    const config = sshdConfigText({
      config: extra,
      trailingConfig: options.trailingConfig ?? [],
      hostKeyPaths: keys.map((key) => key.privateKeyPath),
      authorizedKeysPath,
      subsystems: options.subsystems ?? { sftp: SFTP_SERVER },
      passwordAuthentication: options.passwordAuthentication ?? false,
      logLevel,
    });
    await Promise.all([
      writeFile(configPath, config, { mode: 0o600 }),
      writeFile(authorizedKeysPath, authorizedKeysText(authorized), { mode: 0o600 }),
    ]);
    const effectiveLevel = firstSetting(extra, 'LogLevel') ?? logLevel;
    const quiet = ['QUIET', 'FATAL', 'ERROR'].includes(effectiveLevel);
    const startTimeoutMs = options.startTimeoutMs ?? 20_000;

    let lastLog = '';
    for (let attempt = 1; attempt <= BIND_RETRIES; attempt++) {
      const port = await freePort();
      const sshdArgv = [SSHD, '-D', '-e', '-f', configPath, '-p', String(port)];
      const [command, ...args] = [...(options.launcher ?? []), ...sshdArgv] as [string, ...string[]];
      const proc = await startProcess(command, args, {
        name: 'sshd',
        ...(options.env === undefined ? {} : { env: options.env }),
      });
      try {
        if (quiet) await waitForBanner(proc, port, startTimeoutMs);
        else await proc.waitForOutput(/Server listening on \S+ port \d+/, { stream: 'stderr', timeoutMs: startTimeoutMs });
      } catch (error) {
        await proc.stop();
        lastLog = proc.output();
        if (/Address already in use/.test(lastLog) && attempt < BIND_RETRIES) continue;
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new InteropStartError(
          `sshd did not start (${reason})\n--- sshd_config ---\n${config.trimEnd()}\n--- end of sshd_config ---`,
          proc.output(),
        );
      }
      const user = userInfo().username;
      const fields: Omit<SshdServer, keyof RunningPeer> = {
        name: 'sshd',
        host: LOOPBACK,
        port,
        user,
        hostKeys: keys,
        hostPublicKeys: keys.map((key) => key.publicKey),
        dir,
        configPath,
        authorizedKeysPath,
        config,
        waitForLog: async (pattern, timeoutMs = 10_000) => {
          const matches = (log: string): boolean => (typeof pattern === 'string' ? log.includes(pattern) : pattern.test(log));
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const log = proc.output();
            if (matches(log)) return log;
            if (Date.now() >= deadline) throw new Error(`sshd did not log ${String(pattern)} within ${timeoutMs} ms; its log:\n${log}`);
            await delay(20);
          }
        },
        setAuthorizedKeys: async (list) => writeFile(authorizedKeysPath, authorizedKeysText(list), { mode: 0o600 }),
      };
      return withRunningPeer(fields, proc, dir);
    }
    throw new InteropStartError(`sshd could not bind a free port in ${BIND_RETRIES} attempts`, lastLog);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

/** Readiness without log lines: a TCP connection that gets an `SSH-` banner while sshd runs. */
async function waitForBanner(proc: PeerProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new InteropStartError('sshd exited', proc.output());
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: LOOPBACK, port });
      let seen = '';
      socket.setTimeout(1_000, () => socket.destroy());
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes('\n')) socket.destroy();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(seen.startsWith('SSH-')));
    });
    if (ok && proc.running) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new InteropStartError(`sshd did not answer on port ${port} within ${timeoutMs} ms`, proc.output());
}
