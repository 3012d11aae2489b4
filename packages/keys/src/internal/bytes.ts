/**
 * Small byte helpers shared by the formats: text, base64, hex, comparison.
 * @module
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 text of `bytes`, or undefined when they are not valid UTF-8. */
export function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 text of `bytes` with invalid sequences replaced. */
export function looseUtf8(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes);
}

/** One character per byte (U+0000-U+00FF). Buffer's native decoder: a spread into String.fromCharCode was half of a public key import. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 decoding (whitespace removed first); undefined when the text is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s]+/g, '');
  if (!BASE64_RE.test(clean) || clean.length % 4 === 1) return undefined;
  const buf = Buffer.from(clean, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function toHex(bytes: Uint8Array, sep = ''): string {
  const parts: string[] = [];
  for (const b of bytes) parts.push(b.toString(16).padStart(2, '0'));
  return parts.join(sep);
}

export function fromHex(text: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Wraps text at `width` columns. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines;
}

/** Input given as text or bytes, as bytes. */
export function asBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? utf8(data) : data;
}
