/**
 * Public key text formats: the OpenSSH one-line format (sshd(8) AUTHORIZED_KEYS FILE FORMAT,
 * without options) and the SSH2 / RFC 4716 armored format.
 * @module
 */

import { Reader, Writer } from '@ssh/wire';
import { KeyImportError } from '../errors.ts';
import { fromBase64, toBase64, utf8, wrap } from '../internal/bytes.ts';

/** A public key blob and the comment that came with it. */
export interface PublicKeyText {
  readonly blob: Uint8Array;
  readonly comment: string | undefined;
}

/** The key type named at the start of a blob. */
export function blobKeyType(blob: Uint8Array): string {
  try {
    return new Reader(blob).utf8('key type', 256);
  } catch (cause) {
    throw new KeyImportError('not an SSH public key blob', { cause });
  }
}

/** `type base64 [comment]` */
export function encodeOpensshPublic(keyType: string, blob: Uint8Array, comment: string | undefined): string {
  return `${keyType} ${toBase64(blob)}${comment ? ` ${comment}` : ''}\n`;
}

/** Parses one OpenSSH public key line (`type base64 [comment]`); undefined if it is not one. */
export function parseOpensshPublicLine(line: string): PublicKeyText | undefined {
  // Linear in the line: the line is trimmed, so no trailing-blank group is needed, and the
  // comment starts at the first non-blank, so the blanks before it split one way only. A lazy
  // comment before `[ \t]*$` (or blanks that could end either side of the split) made a run of n
  // blanks cost n^2 steps: seconds for a line of a few hundred kilobytes.
  const m = /^([A-Za-z0-9@._+-]+)[ \t]+([A-Za-z0-9+/]+={0,2})(?:[ \t]+(?![ \t])(.*))?$/.exec(line.trim());
  if (!m) return undefined;
  const blob = fromBase64(m[2] as string);
  if (!blob || blob.length < 4) return undefined;
  let inner: string;
  try {
    inner = new Reader(blob).utf8('key type', 256);
  } catch {
    return undefined;
  }
  if (inner !== m[1]) throw new KeyImportError(`key type ${JSON.stringify(m[1])} does not match the blob (${inner})`);
  const comment = m[3] === undefined || m[3] === '' ? undefined : m[3];
  return { blob, comment };
}

const RFC4716_BEGIN = '---- BEGIN SSH2 PUBLIC KEY ----';
const RFC4716_END = '---- END SSH2 PUBLIC KEY ----';

/** RFC 4716 armor with an optional Comment header (lines of at most 72 bytes, 70 base64 columns). */
export function encodeRfc4716(blob: Uint8Array, comment: string | undefined): string {
  let out = `${RFC4716_BEGIN}\n`;
  if (comment !== undefined) {
    const header = `Comment: "${comment.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    // Split on characters so UTF-8 sequences stay whole; continuation lines end in a backslash.
    let line = '';
    for (const ch of header) {
      if (utf8(line + ch).length > 71) {
        out += `${line}\\\n`;
        line = '';
      }
      line += ch;
    }
    out += `${line}\n`;
  }
  for (const l of wrap(toBase64(blob), 70)) out += `${l}\n`;
  return `${out}${RFC4716_END}\n`;
}

/** Every RFC 4716 block in `text`. */
export function decodeRfc4716Blocks(text: string): PublicKeyText[] {
  const lines = text.split(/\r?\n/);
  const out: PublicKeyText[] = [];
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] as string).trim() !== RFC4716_BEGIN) continue;
    let comment: string | undefined;
    let body = '';
    let j = i + 1;
    let inHeaders = true;
    for (; j < lines.length; j++) {
      let line = (lines[j] as string).trim();
      if (line === RFC4716_END) break;
      if (inHeaders && line.includes(':')) {
        // A trailing backslash continues the header on the next line. The pieces are joined once
        // (concatenating each onto the header and slicing it again was quadratic); `parts` holds
        // no empty piece, so its last piece ends where the joined header ends.
        const parts = [line];
        for (let last = line; last.endsWith('\\') && j + 1 < lines.length; last = parts[parts.length - 1] ?? '') {
          if (last.length === 1) parts.pop();
          else parts[parts.length - 1] = last.slice(0, -1);
          const next = (lines[++j] as string).trim();
          if (next !== '') parts.push(next);
        }
        line = parts.join('');
        const at = line.indexOf(':');
        const name = line.slice(0, at).trim().toLowerCase();
        let value = line.slice(at + 1).trim();
        if (name === 'comment') {
          if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
            value = value.slice(1, -1).replace(/\\(.)/g, '$1');
          }
          comment = value;
        }
        continue;
      }
      inHeaders = false;
      body += line;
    }
    if (j >= lines.length) throw new KeyImportError('RFC 4716 block has no END line');
    const blob = fromBase64(body);
    if (!blob || blob.length === 0) throw new KeyImportError('RFC 4716 block has invalid base64');
    out.push({ blob, comment });
    i = j;
  }
  return out;
}

/** Writes a blob: `string keyType` then the fields `body` writes. */
export function buildBlob(keyType: string, body: (w: Writer) => void): Uint8Array {
  const w = new Writer(128).utf8(keyType);
  body(w);
  return w.finish();
}

