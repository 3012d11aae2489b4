/**
 * PEM armor (RFC 7468), with the RFC 1421 headers OpenSSL's legacy encryption uses.
 * @module
 */

import { KeyImportError } from '../errors.ts';
import { fromBase64, toBase64, wrap } from '../internal/bytes.ts';

export interface PemBlock {
  readonly label: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly data: Uint8Array;
}

const BEGIN_RE = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/;

/** Every PEM block in `text`, in order. Text between blocks is ignored. */
export function decodePemBlocks(text: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = BEGIN_RE.exec((lines[i] as string).trim());
    if (!m) continue;
    const label = m[1] as string;
    const end = `-----END ${label}-----`;
    const headers = new Map<string, string>();
    let body = '';
    let j = i + 1;
    // RFC 1421 headers: "Name: value" lines (with continuation lines) before a blank line.
    let inHeaders = true;
    let lastHeader: string | undefined;
    for (; j < lines.length; j++) {
      const line = (lines[j] as string).trim();
      if (line === end) break;
      if (inHeaders) {
        // `(?!\s)`: the blanks after the colon split one way only (a value holding a carriage
        // return made `\s*(.*)$` try every split, quadratic in the run of blanks).
        const h = /^([A-Za-z0-9-]+):\s*(?!\s)(.*)$/.exec(line);
        if (h) {
          lastHeader = h[1] as string;
          headers.set(lastHeader, h[2] as string);
          continue;
        }
        if (lastHeader !== undefined && /^\s/.test(lines[j] as string) && line !== '') {
          headers.set(lastHeader, `${headers.get(lastHeader) ?? ''}${line}`);
          continue;
        }
        inHeaders = false;
        if (line === '') continue;
      }
      body += line;
    }
    if (j >= lines.length) throw new KeyImportError(`PEM block "${label}" has no END line`);
    const data = fromBase64(body);
    if (!data) throw new KeyImportError(`PEM block "${label}" has invalid base64`);
    blocks.push({ label, headers, data });
    i = j;
  }
  return blocks;
}

/** PEM text for `data` under `label` (64 columns). */
export function encodePem(label: string, data: Uint8Array, headers?: ReadonlyMap<string, string>): string {
  let out = `-----BEGIN ${label}-----\n`;
  if (headers && headers.size > 0) {
    for (const [k, v] of headers) out += `${k}: ${v}\n`;
    out += '\n';
  }
  for (const line of wrap(toBase64(data), 64)) out += `${line}\n`;
  return `${out}-----END ${label}-----\n`;
}
