/**
 * Errors of @ssh/config. Every problem found while reading a configuration (unknown keyword,
 * missing or bad argument, unreadable or looping Include, bad Match) is a ConfigParseError that
 * names the file and line, as OpenSSH's own messages do.
 * @module
 */

import { SshError } from '@ssh/wire';

/** A configuration file that OpenSSH would refuse; `file` and `line` locate the offending line. */
export class ConfigParseError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ConfigParseError');

  /** The file name as given (or included); `''` when the text had no name. */
  readonly file: string;
  /** 1-based line number, or 0 when the problem is not tied to one line. */
  readonly line: number;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(file: string, line: number, detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_CONFIG', line > 0 ? `${file || '<config>'} line ${line}: ${detail}` : `${file || '<config>'}: ${detail}`, options);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

/** The host environment broke its contract (a Promise returned to a synchronous call, ...). */
export class ConfigEnvironmentError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ConfigEnvironmentError');

  constructor(detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_CONFIG_ENV', detail, options);
  }
}
