/**
 * The SCP (rcp) protocol as OpenSSH's `scp -t` (sink) and `scp -f` (source) speak it, sans-I/O:
 * directive lines (`C`, `D`, `E`, `T`), acknowledgements (`\0`, `\1msg\n`, `\2msg\n`) and the
 * sink machine that checks every name a source sends (CVE-2019-6111: no `/`, no `.`/`..`, no
 * control characters, no directories unless recursive, no name other than the one asked for).
 * @module
 */

import { SshError } from '@ssh/wire';

/** An SCP protocol failure: a malformed directive, a refused name, or an error from the peer. */
export class ScpError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ScpError');
  /** True when the peer (or we) ended the transfer; false for a per-file error it carries on after. */
  readonly fatal: boolean;
  constructor(message: string, fatal = true, options?: { cause?: unknown }) {
    super('SSH_ERR_SCP', message, options);
    this.fatal = fatal;
  }
}

export type ScpDirective =
  | { readonly kind: 'file'; readonly mode: number; readonly size: number; readonly name: string }
  | { readonly kind: 'dir'; readonly mode: number; readonly name: string }
  | { readonly kind: 'end-dir' }
  | { readonly kind: 'times'; readonly mtime: number; readonly atime: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });
/** Longest directive line accepted (OpenSSH uses a 2 KiB buffer). */
export const SCP_MAX_LINE = 4096;
/**
 * Deepest nesting of directories a sink takes (PATH_MAX over the shortest level, `x/`): each event
 * carries the path of every directory above it, so unbounded nesting cost ever longer copies per
 * record, quadratic in a hostile source's records.
 */
export const SCP_MAX_DEPTH = 2048;
/** Most bytes kept when a source sends before we have answered. */
const SCP_MAX_EARLY = 1 << 20;

/** The directive line, newline included. */
export function encodeDirective(d: ScpDirective): Uint8Array {
  const mode = (m: number): string => (m & 0o7777).toString(8).padStart(4, '0');
  switch (d.kind) {
    case 'file':
      if (d.name.includes('\n')) throw new RangeError('scp file names cannot contain newlines');
      return encoder.encode(`C${mode(d.mode)} ${d.size} ${d.name}\n`);
    case 'dir':
      if (d.name.includes('\n')) throw new RangeError('scp file names cannot contain newlines');
      return encoder.encode(`D${mode(d.mode)} 0 ${d.name}\n`);
    case 'end-dir':
      return encoder.encode('E\n');
    case 'times':
      return encoder.encode(`T${Math.floor(d.mtime)} 0 ${Math.floor(d.atime)} 0\n`);
  }
}

/** Parses one directive line (without its newline). */
export function parseDirective(line: string): ScpDirective {
  const kind = line[0];
  if (kind === 'E') {
    if (line !== 'E') throw new ScpError(`malformed directive ${JSON.stringify(line)}`);
    return { kind: 'end-dir' };
  }
  if (kind === 'T') {
    const m = /^T(\d{1,20}) (\d{1,9}) (\d{1,20}) (\d{1,9})$/.exec(line);
    if (!m) throw new ScpError(`malformed times directive ${JSON.stringify(line)}`);
    const mtime = Number(m[1]);
    const atime = Number(m[3]);
    if (!Number.isSafeInteger(mtime) || !Number.isSafeInteger(atime)) throw new ScpError('times out of range');
    return { kind: 'times', mtime, atime };
  }
  if (kind === 'C' || kind === 'D') {
    const m = /^[CD]([0-7]{4}) (\d{1,20}) (.*)$/s.exec(line);
    if (!m) throw new ScpError(`malformed directive ${JSON.stringify(line)}`);
    const mode = Number.parseInt(m[1] as string, 8);
    const size = Number(m[2]);
    if (!Number.isSafeInteger(size)) throw new ScpError('size out of range');
    const name = m[3] as string;
    return kind === 'C' ? { kind: 'file', mode, size, name } : { kind: 'dir', mode, name };
  }
  throw new ScpError(`unknown directive ${JSON.stringify(line.slice(0, 40))}`);
}

/** A name from the peer that is safe as one path component (the CVE-2019-6111 checks). */
export function checkScpName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new ScpError(`refusing unsafe file name ${JSON.stringify(name)}`, false);
  }
}

/** The OK acknowledgement. */
export const SCP_OK = Uint8Array.of(0);

/** An error acknowledgement: `\1` (the peer goes on) or `\2` (fatal), the message, a newline. */
export function encodeScpError(message: string, fatal: boolean): Uint8Array {
  return encoder.encode(`${fatal ? '\u0002' : '\u0001'}${message.replace(/\n/g, ' ')}\n`);
}

/**
 * A first-in first-out queue: a flood of small messages in one chunk (acknowledgements,
 * warnings) queues one entry per few bytes, and Array.prototype.shift() on a long array moves
 * every entry left of it each time, which made taking them quadratic.
 */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) {
      if (this.head > 0) {
        this.items = [];
        this.head = 0;
      }
      return undefined;
    }
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    return item;
  }
}

export type ScpSinkEvent =
  /** A directive to act on; answer with accept() or reject(). `path` is the names from the top down. */
  | { readonly type: 'directive'; readonly directive: ScpDirective; readonly path: readonly string[] }
  /** File content, in order, after an accepted `file` directive. */
  | { readonly type: 'data'; readonly data: Uint8Array }
  /** The source finished sending a file; answer with accept() once it is stored, or reject(). */
  | { readonly type: 'file-end' }
  /** The source reported an error: `fatal` ends the transfer. */
  | { readonly type: 'peer-error'; readonly message: string; readonly fatal: boolean }
  /** Our side failed the transfer (malformed input or a refused name); a fatal error was queued. */
  | { readonly type: 'error'; readonly error: ScpError };

export interface ScpSinkOptions {
  /** Accept `D`/`E` directives (scp -r). */
  readonly recursive?: boolean;
  /**
   * The single name the source may send at the top level (what was asked for with scp -f); any
   * other name is refused. Leave out when receiving into a directory from a trusted request.
   */
  readonly expectedNames?: readonly string[];
}

type SinkPhase =
  | { readonly kind: 'line' }
  | { readonly kind: 'wait-ack'; readonly then: 'line' | 'data' }
  | { readonly kind: 'data'; remaining: number }
  | { readonly kind: 'data-end' }
  | { readonly kind: 'wait-file-ack' }
  | { readonly kind: 'closed' };

/**
 * The receiving side (`scp -t`, or our end of `scp -f`). Sends the initial OK on start(); after
 * each directive event the driver calls accept() or reject(message).
 */
export class ScpSinkMachine {
  private readonly recursive: boolean;
  private readonly expected: ReadonlySet<string> | undefined;
  private phase: SinkPhase = { kind: 'line' };
  private line: number[] = [];
  private readonly dirs: string[] = [];
  private readonly events = new Fifo<ScpSinkEvent>();
  private output: Uint8Array[] = [];
  private pendingFile: { size: number } | undefined;
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private depthBeforeDir = false;

  constructor(options: ScpSinkOptions = {}) {
    this.recursive = options.recursive ?? false;
    this.expected = options.expectedNames ? new Set(options.expectedNames) : undefined;
  }

  /** Queues the initial OK that lets the source begin. */
  start(): void {
    this.output.push(SCP_OK);
  }

  get closed(): boolean {
    return this.phase.kind === 'closed';
  }

  /** Accepts the last directive (or the end of a file). */
  accept(): void {
    const p = this.phase;
    if (p.kind === 'wait-ack') {
      if (p.then === 'data') {
        const size = this.pendingFile?.size ?? 0;
        this.phase = size > 0 ? { kind: 'data', remaining: size } : { kind: 'data-end' };
      } else {
        this.phase = { kind: 'line' };
        if (this.depthBeforeDir) this.depthBeforeDir = false;
      }
      this.output.push(SCP_OK);
      this.resume();
      return;
    }
    if (p.kind === 'wait-file-ack') {
      this.phase = { kind: 'line' };
      this.output.push(SCP_OK);
      this.resume();
      return;
    }
    throw new Error('ScpSinkMachine.accept() with nothing to accept');
  }

  /** Processes bytes that arrived while we were deciding. */
  private resume(): void {
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const chunk of early) this.take(chunk, true);
  }

  /**
   * Refuses the last directive or file with a non-fatal error: the source skips it and goes on
   * (OpenSSH's source takes the error as the answer to a file's C line and sends the next one,
   * without the file's data).
   */
  reject(message: string): void {
    const p = this.phase;
    if (p.kind !== 'wait-ack' && p.kind !== 'wait-file-ack') throw new Error('ScpSinkMachine.reject() with nothing to reject');
    if (this.depthBeforeDir) {
      this.dirs.pop();
      this.depthBeforeDir = false;
    }
    this.phase = { kind: 'line' };
    this.output.push(encodeScpError(message, false));
    this.resume();
  }

  receive(chunk: Uint8Array): void {
    this.take(chunk, false);
  }

  /**
   * `owned`: `chunk` is a copy this machine made of bytes that came early, so what is left of it
   * when the next acknowledgement is awaited is kept as a view, not copied again (copying the
   * rest at each of many small directives sent at once was quadratic).
   */
  private take(chunk: Uint8Array, owned: boolean): void {
    let pos = 0;
    while (pos < chunk.length && this.phase.kind !== 'closed') {
      const p = this.phase;
      switch (p.kind) {
        case 'line': {
          const b = chunk[pos++] as number;
          if (this.line.length === 0 && (b === 1 || b === 2)) {
            this.line.push(b);
            continue;
          }
          if (b !== 0x0a) {
            if (this.line.length >= SCP_MAX_LINE) {
              this.fail(new ScpError('directive line too long'));
              return;
            }
            this.line.push(b);
            continue;
          }
          const bytes = Uint8Array.from(this.line);
          this.line = [];
          this.handleLine(bytes);
          break;
        }
        case 'data': {
          const take = Math.min(p.remaining, chunk.length - pos);
          this.events.push({ type: 'data', data: chunk.subarray(pos, pos + take) });
          pos += take;
          p.remaining -= take;
          if (p.remaining === 0) this.phase = { kind: 'data-end' };
          break;
        }
        case 'data-end': {
          const b = chunk[pos++] as number;
          if (b === 0) {
            this.phase = { kind: 'wait-file-ack' };
            this.events.push({ type: 'file-end' });
          } else if (b === 1 || b === 2) {
            this.phase = { kind: 'line' };
            this.line = [b];
          } else {
            this.fail(new ScpError('missing end-of-file marker'));
          }
          break;
        }
        case 'wait-ack':
        case 'wait-file-ack': {
          // A compliant source waits for our answer; keep what came early (bounded) for later.
          const rest = chunk.subarray(pos);
          this.earlyBytes += rest.length;
          if (this.earlyBytes > SCP_MAX_EARLY) {
            this.fail(new ScpError('source sent too much before our acknowledgement'));
            return;
          }
          this.early.push(owned ? rest : rest.slice());
          return;
        }
      }
    }
  }

  /** The source closed the stream: an error if it stopped mid-file or mid-directory. */
  receiveEnd(): void {
    if (this.phase.kind === 'closed') return;
    if (this.phase.kind !== 'line' || this.line.length > 0) this.fail(new ScpError('connection closed in the middle of a transfer'));
    else if (this.dirs.length > 0) this.fail(new ScpError('connection closed inside a directory'));
    this.phase = { kind: 'closed' };
  }

  nextEvent(): ScpSinkEvent | undefined {
    return this.events.shift();
  }

  takeOutput(): Uint8Array[] | undefined {
    if (this.output.length === 0) return undefined;
    const out = this.output;
    this.output = [];
    return out;
  }

  private handleLine(bytes: Uint8Array): void {
    const first = bytes[0];
    if (first === 1 || first === 2) {
      const message = decoder.decode(bytes.subarray(1));
      this.events.push({ type: 'peer-error', message, fatal: first === 2 });
      if (first === 2) this.phase = { kind: 'closed' };
      return;
    }
    let d: ScpDirective;
    try {
      d = parseDirective(decoder.decode(bytes));
    } catch (e) {
      this.fail(e instanceof ScpError ? e : new ScpError(String(e)));
      return;
    }
    switch (d.kind) {
      case 'times':
        this.events.push({ type: 'directive', directive: d, path: [...this.dirs] });
        this.phase = { kind: 'wait-ack', then: 'line' };
        return;
      case 'end-dir':
        if (this.dirs.length === 0) {
          this.fail(new ScpError('E without a directory'));
          return;
        }
        this.events.push({ type: 'directive', directive: d, path: [...this.dirs] });
        this.dirs.pop();
        this.phase = { kind: 'wait-ack', then: 'line' };
        return;
      case 'file':
      case 'dir': {
        try {
          checkScpName(d.name);
          if (d.kind === 'dir' && !this.recursive) throw new ScpError(`unexpected directory ${JSON.stringify(d.name)} (not recursive)`);
          if (d.kind === 'dir' && this.dirs.length >= SCP_MAX_DEPTH) throw new ScpError(`directories nested more than ${SCP_MAX_DEPTH} deep`);
          if (this.dirs.length === 0 && this.expected && !this.expected.has(d.name)) throw new ScpError(`unexpected file name ${JSON.stringify(d.name)}`);
        } catch (e) {
          this.fail(e instanceof ScpError ? new ScpError(e.message, true) : new ScpError(String(e)));
          return;
        }
        if (d.kind === 'dir') {
          this.dirs.push(d.name);
          this.depthBeforeDir = true;
          this.events.push({ type: 'directive', directive: d, path: [...this.dirs] });
          this.phase = { kind: 'wait-ack', then: 'line' };
        } else {
          this.pendingFile = { size: d.size };
          this.events.push({ type: 'directive', directive: d, path: [...this.dirs, d.name] });
          this.phase = { kind: 'wait-ack', then: 'data' };
        }
        return;
      }
    }
  }

  private fail(error: ScpError): void {
    this.phase = { kind: 'closed' };
    this.output.push(encodeScpError(error.message, true));
    this.events.push({ type: 'error', error });
  }
}

/** Reads the acknowledgements a sink sends back to a source. */
export class ScpAckReader {
  private line: number[] | undefined;
  private readonly acks = new Fifo<{ ok: true } | { ok: false; message: string; fatal: boolean }>();

  receive(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (this.line) {
        if (b === 0x0a) {
          const [kind, ...rest] = this.line;
          this.acks.push({ ok: false, message: decoder.decode(Uint8Array.from(rest)), fatal: kind === 2 });
          this.line = undefined;
        } else if (this.line.length < SCP_MAX_LINE) this.line.push(b);
        continue;
      }
      if (b === 0) this.acks.push({ ok: true });
      else if (b === 1 || b === 2) this.line = [b];
      else this.acks.push({ ok: false, message: `unexpected byte 0x${b.toString(16)} in acknowledgement`, fatal: true });
    }
  }

  next(): { ok: true } | { ok: false; message: string; fatal: boolean } | undefined {
    return this.acks.shift();
  }
}
