/**
 * The option syntax of authorized_keys and allowed_signers lines: `name` or `name="value"`
 * separated by commas, ending at the first unquoted blank; `\"` escapes a quote in a value.
 * @module
 */

import { KeyImportError } from '../errors.ts';
import { isCalendarTime } from '../time.ts';

export type RawOption = readonly [name: string, value: string | true];

/**
 * Splits `text` at the end of its options: the options and the rest of the line. As sshd and
 * ssh-keygen, an empty option (`a,,b`, `,a`) is skipped; a comma just before the end of the
 * options is allowed when `trailingComma` is set (sshd's authorized_keys) and refused otherwise
 * (ssh-keygen's allowed_signers).
 */
export function parseOptions(text: string, trailingComma = false): { options: RawOption[]; rest: string } {
  const options: RawOption[] = [];
  let i = 0;
  for (;;) {
    const nameStart = i;
    while (i < text.length && /[A-Za-z0-9_-]/.test(text[i] as string)) i++;
    const name = text.slice(nameStart, i);
    if (name === '' && text[i] === ',') {
      i++;
      continue;
    }
    if (name === '' && !(trailingComma && i > 0 && (i >= text.length || /\s/.test(text[i] as string)))) {
      throw new KeyImportError(`bad option syntax at column ${i + 1}`);
    }
    if (name === '') break;
    let value: string | true = true;
    if (text[i] === '=') {
      if (text[i + 1] !== '"') throw new KeyImportError(`option ${name} needs a quoted value`);
      i += 2;
      let v = '';
      for (;;) {
        if (i >= text.length) throw new KeyImportError(`unterminated quote in option ${name}`);
        const c = text[i] as string;
        if (c === '\\' && text[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          v += c;
          i++;
        }
      }
      value = v;
    }
    options.push([name.toLowerCase(), value]);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (i >= text.length || /\s/.test(text[i] as string)) break;
    throw new KeyImportError(`bad option syntax at column ${i + 1}`);
  }
  return { options, rest: text.slice(i).trim() };
}

/** Splits off the first blank-separated word. */
export function firstWord(text: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  return m ? [m[1] as string, m[2] as string] : ['', ''];
}

/**
 * OpenSSH timespec of expiry-time / valid-after / valid-before: YYYYMMDD[HHMM[SS]] in local
 * time, or UTC with a trailing Z (or UTC, as OpenSSH also reads it). Epoch seconds.
 */
export function parseTimespec(text: string): bigint {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z|UTC)?$/i.exec(text);
  if (!m) throw new KeyImportError(`invalid time ${JSON.stringify(text)}`);
  const f = [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)] as const;
  if (!isCalendarTime(...f)) throw new KeyImportError(`invalid time ${JSON.stringify(text)}`);
  const ms = m[7] ? Date.UTC(...f) : new Date(...f).getTime();
  // As OpenSSH: a time at or before the epoch is no time (sshd and ssh-keygen refuse the line).
  if (!(ms >= 1000)) throw new KeyImportError(`invalid time ${JSON.stringify(text)}`);
  return BigInt(Math.floor(ms / 1000));
}
