/**
 * X.509 entries in known_hosts and authorized_keys lines, as AsyncSSH (after PKIX-SSH) reads
 * them: an x509v3-* key type followed by a base64 DER certificate, or by a subject-name pattern
 * behind `Subject`, `DN` or `Distinguished Name` (any case, `:` or `=`: `Subject:`, `subject=`).
 * @module
 */

import { KeyImportError } from '../errors.ts';
import { fromBase64 } from '../internal/bytes.ts';
import { SSHX509Certificate } from '../x509/certificate.ts';
import { firstWord } from './options.ts';

export type X509Entry =
  | { readonly kind: 'cert'; readonly cert: SSHX509Certificate; readonly comment: string | undefined }
  | { readonly kind: 'subject'; readonly subject: string };

/** Parses `x509v3-... <base64 DER | Subject:...>`, or returns undefined when `text` is not one. */
/** What introduces a subject pattern (AsyncSSH's forms; a base64 certificate starts "MI"). */
const SUBJECT_PREFIX = /^(?:Distinguished[ _-]?Name|Subject|DN)[=:]?\s?/i;

export function parseX509Entry(text: string): X509Entry | undefined {
  const [type, rest] = firstWord(text);
  if (!type.startsWith('x509v3-')) return undefined;
  const prefix = SUBJECT_PREFIX.exec(rest);
  if (prefix) {
    const subject = rest.slice(prefix[0].length).trim();
    if (subject === '') throw new KeyImportError('empty X.509 subject');
    return { kind: 'subject', subject };
  }
  const [b64, comment] = firstWord(rest);
  const der = fromBase64(b64);
  if (!der || der.length === 0) throw new KeyImportError('bad X.509 certificate data');
  let cert: SSHX509Certificate;
  try {
    cert = new SSHX509Certificate(der, comment === '' ? undefined : comment);
  } catch (cause) {
    if (cause instanceof KeyImportError) throw cause;
    throw new KeyImportError('invalid X.509 certificate', { cause });
  }
  if (!cert.sigAlgorithms.includes(type)) throw new KeyImportError(`${type} does not match the certificate key`);
  return { kind: 'cert', cert, comment: comment === '' ? undefined : comment };
}
