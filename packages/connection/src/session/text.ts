/**
 * Text encodings of channels and streams. Decoding goes through TextDecoder (every WHATWG label);
 * encoding covers what TextEncoder cannot: the single-byte latin-1 and ascii besides UTF-8.
 * @module
 */

const utf8 = new TextEncoder();

const SINGLE_BYTE: Readonly<Record<string, number>> = { 'latin1': 0xff, 'latin-1': 0xff, 'iso-8859-1': 0xff, 'ascii': 0x7f, 'us-ascii': 0x7f };

/** Checks an encoding name up front, so a typo fails at open rather than at the first write. */
export function checkEncoding(encoding: string | null): void {
  if (encoding === null) return;
  const name = encoding.toLowerCase();
  if (name !== 'utf-8' && name !== 'utf8' && SINGLE_BYTE[name] === undefined) {
    throw new RangeError(`unsupported encoding ${JSON.stringify(encoding)}: use 'utf-8', 'latin-1', 'ascii' or null for bytes`);
  }
}

/** Encodes `text` in `encoding` (utf-8, latin-1 or ascii). */
export function encodeText(text: string, encoding: string): Uint8Array {
  const max = SINGLE_BYTE[encoding.toLowerCase()];
  if (max === undefined) return utf8.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > max) throw new RangeError(`character U+${c.toString(16).padStart(4, '0')} cannot be encoded in ${encoding}`);
    out[i] = c;
  }
  return out;
}

/** A streaming decoder for `encoding` (ascii decodes as latin-1). */
export function textDecoder(encoding: string, errors: 'strict' | 'replace'): InstanceType<typeof TextDecoder> {
  const name = encoding.toLowerCase();
  return new TextDecoder(name === 'ascii' || name === 'us-ascii' || name === 'latin-1' ? 'latin1' : name, { fatal: errors === 'strict' });
}
