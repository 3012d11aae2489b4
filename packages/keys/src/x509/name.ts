/**
 * X.501 distinguished names (RFC 5280 §4.1.2.4) to and from RFC 4514 strings, and the
 * subject-name matching AsyncSSH (after PKIX-SSH) uses in trust files.
 * @module
 */

import { type DerReader, der, derOid, derSequence, derSequenceOf, isOid, TAG } from '../asn1.ts';
import { KeyImportError } from '../errors.ts';
import { latin1, tryUtf8, utf8 } from '../internal/bytes.ts';

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
const OIDS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(SHORT_NAMES).map(([oid, n]) => [n.toLowerCase(), oid]));

/** One attribute of a name, in DER order (most general first). */
export interface NameAttribute {
  readonly oid: string;
  readonly value: string;
}

function escapeValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

/** RFC 4514 text: most specific first ("CN=host,O=Example,C=US"). */
export function nameToString(attrs: readonly NameAttribute[]): string {
  return [...attrs].reverse().map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${escapeValue(a.value)}`).join(',');
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[++i] as string);
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/** Parses "CN=a, O=b" (RFC 4514 order) into attributes in DER order. */
export function parseName(text: string): NameAttribute[] {
  const rdns = splitUnescaped(text, ',').map((s) => s.trim()).filter((s) => s !== '');
  const attrs = rdns.map((rdn) => {
    const at = rdn.indexOf('=');
    if (at <= 0) throw new KeyImportError(`bad name component ${JSON.stringify(rdn)}`);
    const key = rdn.slice(0, at).trim();
    const oid = OIDS[key.toLowerCase()] ?? (isOid(key) ? key : undefined);
    if (!oid) throw new KeyImportError(`unknown name attribute ${JSON.stringify(key)}`);
    const value = rdn.slice(at + 1).trim().replace(/\\(.)/g, '$1');
    return { oid, value };
  });
  return attrs.reverse();
}

/** DER Name (one attribute per RDN). */
export function encodeName(attrs: readonly NameAttribute[]): Uint8Array {
  return derSequenceOf(
    attrs.map((a) => {
      const ascii = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(a.value);
      const tag = a.oid === '2.5.4.6' || (ascii && a.oid !== '1.2.840.113549.1.9.1') ? TAG.PRINTABLE_STRING : a.oid === '1.2.840.113549.1.9.1' ? TAG.IA5_STRING : TAG.UTF8_STRING;
      return der(TAG.SET, derSequence(derOid(a.oid), der(tag, utf8(a.value))));
    }),
  );
}

/** Parses a DER Name. */
export function decodeName(r: DerReader): NameAttribute[] {
  const seq = r.sequence('Name');
  const out: NameAttribute[] = [];
  while (!seq.atEnd) {
    const set = seq.sequence('RelativeDistinguishedName', TAG.SET);
    while (!set.atEnd) {
      const atv = set.sequence('AttributeTypeAndValue');
      const oid = atv.oid('attribute type');
      const el = atv.element();
      let value: string;
      if (el.tag === 0x1e) {
        // BMPString: UTF-16BE
        let s = '';
        for (let i = 0; i + 1 < el.content.length; i += 2) s += String.fromCharCode(((el.content[i] as number) << 8) | (el.content[i + 1] as number));
        value = s;
      } else {
        value = tryUtf8(el.content) ?? latin1(el.content);
      }
      out.push({ oid, value });
    }
  }
  return out;
}

/**
 * AsyncSSH's subject match: `pattern` lists RDNs (RFC 4514 order); a trailing ",*" matches any
 * further (more general) components.
 */
export function matchSubject(pattern: string, subject: readonly NameAttribute[]): boolean {
  let text = pattern.trim();
  const prefix = text.endsWith(',*');
  if (prefix) text = text.slice(0, -2);
  let wanted: NameAttribute[];
  try {
    wanted = parseName(text).reverse();
  } catch {
    return false;
  }
  const have = [...subject].reverse();
  if (prefix ? have.length < wanted.length : have.length !== wanted.length) return false;
  return wanted.every((w, i) => have[i]?.oid === w.oid && have[i]?.value === w.value);
}
