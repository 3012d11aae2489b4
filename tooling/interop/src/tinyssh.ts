/**
 * tinysshd (Debian tinysshd 20230101) on 127.0.0.1: a minimal, strict SSH server of its own
 * (curve25519-sha256 and sntrup761x25519-sha512@openssh.com, ssh-ed25519 host and user keys only,
 * chacha20-poly1305@openssh.com, public-key authentication only).
 *
 * tinysshd runs inetd-style: one process per connection, the connection on its stdin and stdout.
 * A loopback listener here accepts each connection and starts one tinysshd for it, under the
 * watchdog like every other peer, and copies the bytes between the socket and its stdio.
 *
 * tinysshd has no option naming an authorized_keys file: it reads ~/.ssh/authorized_keys of the
 * account it logs in (from getpwnam). Tests run as root, so each tinysshd runs in a mount namespace
 * of its own (unshare -m) where a throwaway home is bind-mounted on /root: the real /root/.ssh is
 * never touched, and the mount goes with the process.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { InteropStartError } from './errors.ts';
import { LOOPBACK } from './ports.ts';
import { type PeerProcess, startProcess } from './process.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

export const TINYSSHD = '/usr/sbin/tinysshd';
export const TINYSSHD_MAKEKEY = '/usr/sbin/tinysshd-makekey';
export const TINYSSHD_PRINTKEY = '/usr/sbin/tinysshd-printkey';

export interface TinysshdOptions {
  /** Public key lines for the account's ~/.ssh/authorized_keys (tinysshd uses ssh-ed25519 ones only). */
  readonly authorizedKeys: readonly string[];
  /** Extra tinysshd options before the key directory (for example `-P`, `-x sftp=...`). */
  readonly args?: readonly string[];
}

/** A listener that runs one tinysshd per accepted connection. */
export interface TinysshdServer {
  readonly host: string;
  readonly port: number;
  /** The user clients log in as (tests run as root: see the module comment). */
  readonly user: string;
  /** `ssh-ed25519 <base64>`: the host key from tinysshd-printkey. */
  readonly hostPublicKey: string;
  readonly dir: string;
  /** The tinysshd processes started so far, one per connection, in order. */
  readonly processes: readonly PeerProcess[];
  /** What every tinysshd logged so far (stderr, with -v), connection by connection. */
  log(): string;
  /** Waits for the tinysshd of every connection accepted so far to end (bounded). */
  settled(timeoutMs?: number): Promise<void>;
  /** Closes the listener, stops every tinysshd by PID, removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Starts the listener (see the module comment). Requires root, for the bind mount of /root. */
export async function startTinysshd(options: TinysshdOptions): Promise<TinysshdServer> {
  if (process.getuid?.() !== 0) throw new InteropStartError('tinysshd: the harness bind-mounts a throwaway home on /root, which needs root', '');
  const dir = await makeTempDir('tinysshd');
  const keyDir = join(dir, 'keys');
  execFileSync(TINYSSHD_MAKEKEY, ['-q', keyDir], { timeout: 30_000, stdio: 'pipe' });
  const hostPublicKey = execFileSync(TINYSSHD_PRINTKEY, [keyDir], { timeout: 30_000 }).toString().trim();
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  chmodSync(home, 0o700);
  chmodSync(join(home, '.ssh'), 0o700);
  writeFileSync(join(home, '.ssh', 'authorized_keys'), options.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const script = `mount --bind ${q(home)} /root && exec ${TINYSSHD} -v ${[...(options.args ?? []), '--', keyDir].map(q).join(' ')}`;

  const processes: PeerProcess[] = [];
  let closing = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // unshare and sh exec: the PID the watchdog reports is tinysshd's own.
    startProcess('/usr/bin/unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', script], { name: `tinysshd#${processes.length + 1}`, stdin: 'pipe' }).then(
      (p) => {
        processes.push(p);
        const stdin = p.stdin;
        // The client left, or stop() ran, while tinysshd was starting.
        if (socket.destroyed || closing) {
          socket.destroy();
          void p.stop();
          return;
        }
        if (stdin === null) {
          socket.destroy();
          return;
        }
        stdin.on('error', () => socket.destroy());
        socket.pipe(stdin);
        // tinysshd writes its version line at once, while startProcess still waited for the PID:
        // that much is in the capture only. Nothing arrives between these two synchronous steps.
        const early = p.stdoutBytes();
        if (early.length > 0) socket.write(early);
        p.stdout.on('data', (chunk: Buffer) => {
          if (!socket.destroyed && !socket.write(chunk)) {
            p.stdout.pause();
            socket.once('drain', () => p.stdout.resume());
          }
        });
        p.stdout.on('end', () => socket.end());
        socket.on('close', () => void p.stop());
        void p.exited.then(() => socket.end());
        socket.resume();
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let stopped: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    user: 'root',
    hostPublicKey,
    dir,
    processes,
    log: () => processes.map((p, i) => `--- connection ${i + 1} ---\n${p.stderrText()}`).join(''),
    async settled(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all(processes.map((p) => p.exited)), timeout]);
      clearTimeout(timer);
    },
    stop() {
      stopped ??= (async () => {
        closing = true;
        server.close();
        for (const s of sockets) s.destroy();
        await Promise.all(processes.map((p) => p.stop()));
        await removeTempDir(dir);
      })();
      return stopped;
    },
  };
}
