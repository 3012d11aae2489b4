/**
 * Errors of @ssh/config. Every problem found while reading a configuration (unknown keyword,
 * missing or bad argument, unreadable or looping Include, bad Match) is a ConfigParseError that
 * names the file and line, as OpenSSH's own messages do. A host name that CanonicalizeHostname
 * requires to resolve and that does not is a HostCanonicalizationError.
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

/**
 * CanonicalizeHostname could not give the destination a name, where ssh(1) gives up: no
 * CanonicalDomains entry resolved with CanonicalizeFallbackLocal no ("Could not resolve host"),
 * or, with CanonicalizePermittedCNAMEs rules, the name itself did not resolve for a direct
 * connection ("Could not resolve hostname"). ssh.c resolve_canonicalize.
 */
export class HostCanonicalizationError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.HostCanonicalizationError');

  /** The name that was to be canonicalised (after HostName, lowercased). */
  readonly host: string;
  /** The CanonicalDomains tried, in order (empty when the name was looked up as it is). */
  readonly domains: readonly string[];

  constructor(host: string, domains: readonly string[], detail: string) {
    super('SSH_ERR_CANONICALIZE_HOSTNAME', detail);
    this.host = host;
    this.domains = domains;
  }
}
