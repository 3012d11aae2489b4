/**
 * Errors of the interop harness. Every message carries what a failing test needs to see:
 * the command, its exit status and its captured output or the peer's log.
 * @module
 */

/** Base class of every error the harness throws. */
export class InteropError extends Error {
  override readonly name: string = 'InteropError';
}

/** A peer (sshd, an AsyncSSH server, ssh-agent, ...) did not start; `log` is everything it printed. */
export class InteropStartError extends InteropError {
  override readonly name: string = 'InteropStartError';
  readonly log: string;

  constructor(message: string, log: string, options?: ErrorOptions) {
    super(`${message}${formatSection('log', log)}`, options);
    this.log = log;
  }
}

/** What a finished command looked like; shared by {@link InteropCommandError} and results. */
export interface CommandOutcome {
  readonly command: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command exited unsuccessfully, was killed or timed out. */
export class InteropCommandError extends InteropError {
  override readonly name: string = 'InteropCommandError';
  readonly result: CommandOutcome;

  constructor(result: CommandOutcome, peerLog?: { readonly name: string; readonly log: string }) {
    const status = result.timedOut
      ? `timed out after ${result.durationMs} ms`
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : `exited with code ${String(result.exitCode)}`;
    let message = `${describeCommand(result.command, result.args)} ${status}`;
    message += formatSection('stderr', result.stderr);
    message += formatSection('stdout', result.stdout);
    if (peerLog !== undefined) message += formatSection(`${peerLog.name} log (tail)`, tail(peerLog.log, 80));
    super(message);
    this.result = result;
  }
}

/** Shell-like rendering of a command line, for messages only. */
export function describeCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

/** The last `lines` lines of `text`. */
export function tail(text: string, lines: number): string {
  const all = text.split('\n');
  return all.length <= lines ? text : ['[...]', ...all.slice(-lines)].join('\n');
}

function formatSection(title: string, body: string): string {
  const trimmed = body.trimEnd();
  return trimmed === '' ? `\n--- ${title}: (empty) ---` : `\n--- ${title} ---\n${trimmed}\n--- end of ${title} ---`;
}
