/**
 * Logging as AsyncSSH does it: named levels (setLogLevel), debug detail 1-3 (setDebugLevel), and
 * a replaceable sink. Messages never carry secrets: callers log names, never passwords or keys.
 * @module
 */

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

export interface LogRecord {
  readonly logger: string;
  readonly level: LogLevel;
  /** For debug records, the detail level 1-3. */
  readonly debugLevel?: number;
  readonly message: string;
}

export type LogSink = (record: LogRecord) => void;

let threshold = LEVELS.warning;
let debugDetail = 1;
let sink: LogSink = (record) => {
  process.stderr.write(`${record.logger} ${record.level.toUpperCase()}: ${record.message}\n`);
};

/** Sets the level below which records are dropped (AsyncSSH set_log_level; default 'warning'). */
export function setLogLevel(level: LogLevel | number): void {
  const value = typeof level === 'number' ? level : LEVELS[level];
  if (value === undefined || !Number.isFinite(value)) throw new RangeError(`unknown log level ${String(level)}`);
  threshold = value;
}

/** How much debug detail to log at level 'debug': 1 (default) to 3 (packets). AsyncSSH set_debug_level. */
export function setDebugLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > 3) throw new RangeError('debug level must be 1, 2 or 3');
  debugDetail = level;
}

/** Replaces where records go (default: standard error). */
export function setLogSink(next: LogSink): void {
  sink = next;
}

export class SSHLogger {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  private emit(level: LogLevel, message: string, debugLevel?: number): void {
    if (LEVELS[level] < threshold) return;
    if (debugLevel !== undefined && debugLevel > debugDetail) return;
    sink(debugLevel === undefined ? { logger: this.name, level, message } : { logger: this.name, level, message, debugLevel });
  }

  debug1(message: string): void {
    this.emit('debug', message, 1);
  }

  debug2(message: string): void {
    this.emit('debug', message, 2);
  }

  info(message: string): void {
    this.emit('info', message);
  }

  warning(message: string): void {
    this.emit('warning', message);
  }

  error(message: string): void {
    this.emit('error', message);
  }
}

let connectionCount = 0;

/** A logger named like AsyncSSH's per-connection loggers ('asyncssh.client [conn=3]'). */
export function logFor(kind: 'client' | 'server'): SSHLogger {
  connectionCount++;
  return new SSHLogger(`asyncssh [conn=${connectionCount}, ${kind}]`);
}
