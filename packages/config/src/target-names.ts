/**
 * The checks OpenSSH 9.6 added for names given on the command line (CVE-2023-51385): a host or
 * user name with shell metacharacters is refused before any configuration is applied, because
 * tokens such as %h and %r carry it into commands a shell runs (Match exec here). Names that
 * come from the configuration itself (HostName, User) are not checked, as in ssh.
 * @module
 */

const isControl = (c: number): boolean => c < 0x20 || c === 0x7f;
const isSpace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';

/** ssh's valid_hostname(): no leading '-', no quotes, `$ \ ; & < > | ( ) { } ,`, blanks or controls. */
export function validHostname(name: string): boolean {
  if (name.startsWith('-')) return false;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    if ('\'`"$\\;&<>|(){},'.includes(ch) || isSpace(ch) || isControl(ch.charCodeAt(0))) return false;
  }
  return true;
}

/**
 * ssh's valid_ruser(): no leading '-', no controls, no quotes or `; & < > | ( ) { }`, no blank
 * followed by '-' and no trailing backslash (a `DOMAIN\user` or a name with spaces passes).
 */
export function validRemoteUser(name: string): boolean {
  if (name.startsWith('-')) return false;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    if (isControl(ch.charCodeAt(0)) || '\'`";&<>|(){}'.includes(ch)) return false;
    if (isSpace(ch) && name[i + 1] === '-') return false;
    if (ch === '\\' && i === name.length - 1) return false;
  }
  return true;
}
