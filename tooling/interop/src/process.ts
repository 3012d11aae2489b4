/**
 * Child processes that cannot outlive the test process. Every command runs under a small Python
 * watchdog (`python/watchdog.py`) holding a socket to us on its fd 3: when that socket closes,
 * even because we were SIGKILLed, the watchdog ends the peer and everything it started. Running
 * processes are also kept in a registry, ended by PID on `stop()`, `stopAll()` and process exit.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type CommandOutcome, InteropCommandError, InteropStartError, describeCommand } from './errors.ts';
import { onProcessExit } from './exit.ts';

/** The interpreter for the watchdog and for AsyncSSH: Debian's, never whatever `python3` is on PATH. */
export const PYTHON = '/usr/bin/python3';

/** The watchdog script (see the module comment); run it with `PYTHON -S -E -B`. */
export const WATCHDOG = fileURLToPath(new URL('./python/watchdog.py', import.meta.url));
const DEFAULT_GRACE_MS = 2_000;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_RUN_TIMEOUT_MS = 20_000;
const PEER_CAPTURE_BYTES = 4 * 1024 * 1024;
const RUN_CAPTURE_BYTES = 64 * 1024 * 1024;

/** Environment variables: `undefined` removes a variable. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  /** Name used in logs and errors; defaults to the command's base name. */
  readonly name?: string;
  /**
   * Extra environment. Processes do NOT inherit ours: they get PATH, LANG=C.UTF-8 and TMPDIR, plus
   * these (so no SSH_AUTH_SOCK, DISPLAY or HOME leaks in from the developer's session).
   */
  readonly env?: EnvVars;
  readonly cwd?: string;
  /** `pipe` gives a writable `stdin`; default `ignore` (/dev/null). */
  readonly stdin?: 'pipe' | 'ignore';
  /** Time between SIGTERM and SIGKILL when stopping (default 2000 ms). */
  readonly graceMs?: number;
  /** Per-stream capture limit; older output is dropped beyond it (default 4 MiB). */
  readonly maxCaptureBytes?: number;
  /** Bound on the wait for the watchdog to report the PID (default 10 s). */
  readonly startTimeoutMs?: number;
  /** Runs once after the process has ended (for example, to remove its temporary directory). */
  readonly onExit?: () => Promise<void> | void;
}

/** A running (or finished) process started by {@link startProcess}. */
export interface PeerProcess {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** PID of the peer itself (its own session and process group). */
  readonly pid: number;
  /** PID of its watchdog (our direct child). */
  readonly watchdogPid: number;
  /** Writable only with `stdin: 'pipe'`. */
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly running: boolean;
  /** Resolves when the process has ended and its output is complete. */
  readonly exited: Promise<ProcessExit>;
  /** Captured stdout (tail, up to the capture limit). */
  stdoutText(): string;
  stdoutBytes(): Uint8Array;
  stderrText(): string;
  stderrBytes(): Uint8Array;
  /** stdout and stderr interleaved in arrival order: the log to show when something fails. */
  output(): string;
  /**
   * Resolves with the first match of `pattern` in the captured output (already captured or
   * future); rejects with {@link InteropStartError} (carrying the output) if the process ends or
   * the timeout passes first.
   */
  waitForOutput(pattern: RegExp | string, options?: WaitForOutputOptions): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after the grace period, to the peer and all it started. Idempotent. */
  stop(): Promise<ProcessExit>;
}

export interface WaitForOutputOptions {
  readonly stream?: 'stdout' | 'stderr' | 'both';
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift();
      if (first === undefined) break;
      this.size -= first.length;
      this.dropped += first.length;
    }
  }

  bytes(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  text(): string {
    const text = this.bytes().toString('utf8');
    return this.dropped > 0 ? `[... ${this.dropped} earlier bytes dropped ...]\n${text}` : text;
  }
}

const registry = new Set<ManagedProcess>();

/** Processes started by this module and still running. */
export function runningProcesses(): readonly PeerProcess[] {
  return [...registry];
}

/** Stops every process still running (for `afterAll`). */
export async function stopAll(): Promise<void> {
  await Promise.all([...registry].map(async (p) => p.stop()));
}

/** True if `pid` names a live process (zombies count as dead). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** PIDs of every live descendant of `pid` (children, grandchildren, ...), from /proc. */
export function descendantPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || ppid === undefined) continue;
    const list = children.get(Number(ppid)) ?? [];
    list.push(Number(name));
    children.set(Number(ppid), list);
  }
  const found: number[] = [];
  const stack = [pid];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

/** The environment every spawned process gets (see {@link StartProcessOptions.env}). */
export function cleanEnv(extra: EnvVars = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    TMPDIR: process.env['TMPDIR'],
    ...extra,
  };
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function unrefStream(stream: unknown): void {
  if (typeof stream === 'object' && stream !== null && 'unref' in stream && typeof stream.unref === 'function') {
    (stream as { unref(): void }).unref();
  }
}

class ManagedProcess implements PeerProcess {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly watchdogPid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ProcessExit>;
  pid = 0;
  running = true;

  private readonly child: ChildProcess;
  private readonly graceMs: number;
  private readonly out: Capture;
  private readonly err: Capture;
  private readonly both: Capture;
  private readonly listeners = new Set<() => void>();
  private stopping: Promise<ProcessExit> | undefined;

  constructor(child: ChildProcess, command: string, args: readonly string[], options: StartProcessOptions) {
    const { stdout, stderr, pid } = child;
    if (stdout === null || stderr === null || pid === undefined) {
      throw new InteropStartError(`could not spawn the watchdog for ${command}`, '');
    }
    this.child = child;
    this.command = command;
    this.args = args;
    this.name = options.name ?? command.slice(command.lastIndexOf('/') + 1);
    this.watchdogPid = pid;
    this.stdin = child.stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    const limit = options.maxCaptureBytes ?? PEER_CAPTURE_BYTES;
    this.out = new Capture(limit);
    this.err = new Capture(limit);
    this.both = new Capture(limit * 2);
    stdout.on('data', (chunk: Buffer) => {
      this.out.push(chunk);
      this.both.push(chunk);
      this.notify();
    });
    stderr.on('data', (chunk: Buffer) => {
      this.err.push(chunk);
      this.both.push(chunk);
      this.notify();
    });
    this.stdin?.on('error', () => undefined);
    this.exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        // Output is complete at 'close'; do not wait forever if something still holds a pipe.
        const timer = setTimeout(() => {
          stdout.destroy();
          stderr.destroy();
        }, 2_000);
        child.once('close', () => {
          clearTimeout(timer);
          this.running = false;
          registry.delete(this);
          this.notify();
          resolve({ code, signal });
        });
      });
    }).then(async (exit) => {
      await options.onExit?.();
      return exit;
    });
    for (const stream of [child, stdout, stderr, child.stdin, child.stdio[3]]) unrefStream(stream);
    registry.add(this);
  }

  stdoutText(): string {
    return this.out.text();
  }
  stdoutBytes(): Uint8Array {
    return this.out.bytes();
  }
  stderrText(): string {
    return this.err.text();
  }
  stderrBytes(): Uint8Array {
    return this.err.bytes();
  }
  output(): string {
    return this.both.text();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  async waitForOutput(pattern: RegExp | string, options: WaitForOutputOptions = {}): Promise<RegExpMatchArray> {
    // A global flag would make match() drop the capture groups.
    const regex =
      typeof pattern === 'string'
        ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const stream = options.stream ?? 'both';
    const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const text = (): string =>
      stream === 'stdout' ? this.out.text() : stream === 'stderr' ? this.err.text() : this.both.text();
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        const match = text().match(regex);
        if (match !== null) {
          finish();
          resolve(match);
        } else if (!this.running) {
          finish();
          reject(new InteropStartError(`${this.name} ended before printing ${String(regex)}`, this.output()));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new InteropStartError(`${this.name} did not print ${String(regex)} within ${timeoutMs} ms`, this.output()));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<ProcessExit> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  private async terminate(): Promise<ProcessExit> {
    if (this.running) {
      killQuietly(this.watchdogPid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), this.graceMs + 3_000);
      });
      if ((await Promise.race([this.exited, late])) === 'late') this.killNow();
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** Synchronous last resort (exit hook, unresponsive watchdog). */
  killNow(): void {
    if (!this.running) return;
    if (this.pid > 0) {
      killQuietly(-this.pid, 'SIGKILL');
      killQuietly(this.pid, 'SIGKILL');
    }
    // The watchdog still reaps what the peer left behind (it is their subreaper).
    killQuietly(this.watchdogPid, 'SIGTERM');
  }

  /** Waits for the watchdog to report the peer's PID on the lifeline. */
  async started(timeoutMs: number): Promise<void> {
    const lifeline = this.child.stdio[3] as Readable | null | undefined;
    if (lifeline === null || lifeline === undefined) throw new InteropStartError('the watchdog has no lifeline', '');
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const fail = (message: string): void => {
        cleanup();
        reject(new InteropStartError(message, this.output()));
      };
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString('utf8');
        const line = /^(pid|error) ([^\n]*)\n/.exec(buffered);
        if (line === null) return;
        if (line[1] === 'pid') {
          this.pid = Number(line[2]);
          cleanup();
          resolve();
        } else {
          fail(`could not start ${describeCommand(this.command, this.args)}: ${line[2] ?? ''}`);
        }
      };
      // The watchdog's exit and its last lifeline data are separate events, in either order (a
      // command that ends at once): only once the lifeline is read to its end is a missing PID
      // line a failure.
      const ended = (): void => fail(`the watchdog for ${this.name} ended before starting it`);
      const onExit = (): void => {
        if (lifeline.readableEnded || lifeline.destroyed) ended();
        else lifeline.once('close', ended);
      };
      const onError = (error: Error): void => fail(`could not spawn the watchdog for ${this.name}: ${error.message}`);
      const timer = setTimeout(() => fail(`the watchdog for ${this.name} did not start it within ${timeoutMs} ms`), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        lifeline.off('data', onData);
        lifeline.off('close', ended);
        this.child.off('exit', onExit);
        this.child.off('error', onError);
      };
      lifeline.on('data', onData);
      lifeline.on('error', () => undefined);
      this.child.once('exit', onExit);
      this.child.once('error', onError);
    });
  }
}

onProcessExit(() => {
  for (const p of registry) p.killNow();
}, 'first');

/**
 * Starts `command` under a watchdog and resolves once it runs (its PID is known). Rejects with
 * {@link InteropStartError} if it cannot be executed.
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartProcessOptions = {},
): Promise<PeerProcess> {
  const grace = options.graceMs ?? DEFAULT_GRACE_MS;
  const spawnOptions = {
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe', 'pipe'] as ('pipe' | 'ignore')[],
    env: cleanEnv(options.env),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  const child = spawn(PYTHON, ['-S', '-E', '-B', WATCHDOG, String(grace), '--', command, ...args], spawnOptions);
  child.on('error', () => undefined);
  let managed: ManagedProcess;
  try {
    managed = new ManagedProcess(child, command, args, options);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  try {
    await managed.started(options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return managed;
}

export interface RunOptions {
  /** Kill the command after this long (default 20 s); the result then has `timedOut: true`. */
  readonly timeoutMs?: number;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string | Uint8Array;
  readonly env?: EnvVars;
  readonly cwd?: string;
  /**
   * By default a non-zero exit, a signal or a timeout rejects with {@link InteropCommandError}
   * (carrying stdout, stderr and the peer's log); with `allowFailure` the result is returned.
   */
  readonly allowFailure?: boolean;
  /** Per-stream capture limit (default 64 MiB). */
  readonly maxCaptureBytes?: number;
}

/** A finished command. */
export interface RunResult extends CommandOutcome {
  readonly stdoutBytes: Uint8Array;
  readonly stderrBytes: Uint8Array;
}

/** A peer whose log is worth appending to a failing command's error. */
export interface LogSource {
  readonly name: string;
  readonly log: string;
}

/** Internal options of {@link runCommand}. */
export interface RunContext {
  readonly name?: string;
  readonly peer?: LogSource | undefined;
  readonly onExit?: () => Promise<void> | void;
}

/** Runs a command to completion under a watchdog, bounded by a timeout, output captured. */
export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(command, args, options, {});
}

/** {@link run} with a peer log for errors and a cleanup hook (used by the tool helpers). */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
  context: RunContext,
): Promise<RunResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  const proc = await startProcess(command, args, {
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    maxCaptureBytes: options.maxCaptureBytes ?? RUN_CAPTURE_BYTES,
    graceMs: 1_000,
    ...(context.name === undefined ? {} : { name: context.name }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(context.onExit === undefined ? {} : { onExit: context.onExit }),
  });
  if (options.input !== undefined && proc.stdin !== null) proc.stdin.end(options.input);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop();
  }, timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  const result: RunResult = {
    command,
    args,
    exitCode: exit.code,
    signal: exit.signal,
    timedOut,
    durationMs: Math.round(performance.now() - started),
    stdout: proc.stdoutText(),
    stderr: proc.stderrText(),
    stdoutBytes: proc.stdoutBytes(),
    stderrBytes: proc.stderrBytes(),
  };
  if (options.allowFailure !== true && (timedOut || exit.code !== 0)) {
    throw new InteropCommandError(result, context.peer);
  }
  return result;
}
