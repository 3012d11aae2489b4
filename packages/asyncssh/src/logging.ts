/**
 * Logging as AsyncSSH does it: named levels (setLogLevel), a level of its own for the SFTP and
 * SCP records (setSftpLogLevel, AsyncSSH's 'asyncssh.sftp' child logger), debug detail 1-3
 * (setDebugLevel), and a replaceable sink. Messages never carry secrets: callers log names,
 * never passwords or keys.
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
/** The SFTP/SCP loggers' level; undefined: the main level (AsyncSSH's NOTSET). */
let sftpThreshold: number | undefined;
let debugDetail = 1;
let sink: LogSink = (record) => {
  process.stderr.write(`${record.logger} ${record.level.toUpperCase()}: ${record.message}\n`);
};

function levelValue(level: LogLevel | number): number {
  const value = typeof level === 'number' ? level : LEVELS[level];
  if (value === undefined || !Number.isFinite(value)) throw new RangeError(`unknown log level ${String(level)}`);
  return value;
}

/** Sets the level below which records are dropped (AsyncSSH set_log_level; default 'warning'). */
export function setLogLevel(level: LogLevel | number): void {
  threshold = levelValue(level);
}

/**
 * Sets the level of the SFTP and SCP records (loggers named 'asyncssh.sftp'), apart from the
 * main level (AsyncSSH set_sftp_log_level). 'notset' (or 0), the default, makes them follow
 * setLogLevel's level again.
 */
export function setSftpLogLevel(level: LogLevel | 'notset' | number): void {
  sftpThreshold = level === 'notset' || level === 0 ? undefined : levelValue(level);
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

/** Names of the SFTP loggers: 'asyncssh.sftp', alone or with a context ('asyncssh.sftp [conn=3, client]'). */
const SFTP_LOGGER = /^asyncssh\.sftp(?:[ .]|$)/;

export class SSHLogger {
  readonly name: string;
  private readonly sftp: boolean;

  constructor(name: string) {
    this.name = name;
    this.sftp = SFTP_LOGGER.test(name);
  }

  /** The logger for part `child` of this one: 'asyncssh [conn=3, client]' gives 'asyncssh.sftp [conn=3, client]' for 'sftp'. */
  getChild(child: string): SSHLogger {
    const space = this.name.indexOf(' ');
    return new SSHLogger(space < 0 ? `${this.name}.${child}` : `${this.name.slice(0, space)}.${child}${this.name.slice(space)}`);
  }

  private emit(level: LogLevel, message: string, debugLevel?: number): void {
    if (LEVELS[level] < (this.sftp ? (sftpThreshold ?? threshold) : threshold)) return;
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
