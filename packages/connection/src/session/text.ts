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

/** What streams decode with: TextDecoder's streaming interface. */
export interface StreamDecoder {
  readonly encoding: string;
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/** Single-byte text: WHATWG maps the latin-1 labels to windows-1252, so it is done here. */
function singleByteDecoder(name: string, max: number, errors: 'strict' | 'replace'): StreamDecoder {
  return {
    encoding: name,
    decode(input?: Uint8Array): string {
      if (!input || input.length === 0) return '';
      let out = '';
      for (let i = 0; i < input.length; i += 8192) {
        const part = input.subarray(i, i + 8192);
        let codes: number[] | Uint8Array = part;
        if (max < 0xff && part.some((b) => b > max)) {
          if (errors === 'strict') throw new TypeError(`byte out of range for ${name}`);
          codes = Array.from(part, (b) => (b > max ? 0xfffd : b));
        }
        out += String.fromCharCode(...codes);
      }
      return out;
    },
  };
}

/** A streaming decoder for `encoding`: TextDecoder, or the single-byte decoder for latin-1 and ascii. */
export function textDecoder(encoding: string, errors: 'strict' | 'replace'): StreamDecoder {
  const name = encoding.toLowerCase();
  const max = SINGLE_BYTE[name];
  if (max !== undefined) return singleByteDecoder(name, max, errors);
  return new TextDecoder(name, { fatal: errors === 'strict' });
}
