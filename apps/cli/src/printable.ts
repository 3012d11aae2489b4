/** Text from a server made safe to print on a terminal. @module */

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A name or message as it may be printed: control characters (terminal escapes from a hostile server) as '?'. */
export function printable(text: string): string {
  return text.replace(CONTROL, '?');
}

// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** As printable(), keeping tabs and newlines (log records that span lines). */
export function printableLines(text: string): string {
  return text.replace(CONTROL_BUT_LAYOUT, '?');
}
