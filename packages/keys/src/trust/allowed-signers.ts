/**
 * allowed_signers files (ssh-keygen(1) ALLOWED SIGNERS) for SSHSIG verification: principal
 * patterns, cert-authority, namespaces=, valid-after=, valid-before=.
 * @module
 */

import { KeyImportError } from '../errors.ts';
import { parseOpensshPublicLine } from '../formats/public.ts';
import { decodePublicBlob } from '../import.ts';
import { SSHKey } from '../key.ts';
import { validateSshsig, type Sshsig } from '../sshsig.ts';
import { parseOptions, parseTimespec } from './options.ts';
import { matchPatternList } from '@ssh/wire';
import { SignatureError } from '../errors.ts';

export interface AllowedSigner {
  readonly principals: readonly string[];
  readonly key: SSHKey;
  readonly certAuthority: boolean;
  readonly namespaces: readonly string[] | undefined;
  readonly validAfter: bigint | undefined;
  readonly validBefore: bigint | undefined;
  readonly line: number;
}

/**
 * The principals field and the rest of the line, as ssh-keygen splits them: up to the first
 * blank, where a double quote opens a part that runs to the next quote, blanks included (the
 * quotes are dropped).
 */
function splitPrincipals(line: string): [string, string] {
  const at = line.search(/[\s"]/);
  if (at < 0) return [line, ''];
  if (line[at] !== '"') return [line.slice(0, at), line.slice(at + 1).trimStart()];
  const close = line.indexOf('"', at + 1);
  if (close < 0) throw new KeyImportError('unterminated quote in allowed_signers principals');
  return [line.slice(0, at) + line.slice(at + 1, close), line.slice(close + 1).trimStart()];
}

export function parseAllowedSignerLine(line: string, lineNumber = 1): AllowedSigner {
  const [principalField, rest] = splitPrincipals(line.trim());
  if (principalField === '' || rest === '') throw new KeyImportError('incomplete allowed_signers line');
  let keyText = rest;
  let certAuthority = false;
  let namespaces: string[] | undefined;
  let validAfter: bigint | undefined;
  let validBefore: bigint | undefined;
  if (!parseOpensshPublicLine(rest)) {
    const parsed = parseOptions(rest);
    keyText = parsed.rest;
    const seen = new Set<string>();
    for (const [name, value] of parsed.options) {
      // As ssh-keygen: each option with a value may be given once.
      if (value !== true) {
        if (seen.has(name)) throw new KeyImportError(`more than one ${name}= option`);
        seen.add(name);
      }
      if (name === 'cert-authority' && value === true) certAuthority = true;
      else if (name === 'namespaces' && value !== true) namespaces = value.split(',');
      else if (name === 'valid-after' && value !== true) validAfter = parseTimespec(value);
      else if (name === 'valid-before' && value !== true) validBefore = parseTimespec(value);
      else throw new KeyImportError(`unknown allowed_signers option ${JSON.stringify(name)}`);
    }
    if (validAfter !== undefined && validBefore !== undefined && validBefore <= validAfter) {
      throw new KeyImportError('valid-before is not after valid-after');
    }
  }
  const parsed = parseOpensshPublicLine(keyText);
  if (!parsed) throw new KeyImportError('bad key in allowed_signers line');
  const key = new SSHKey(decodePublicBlob(parsed.blob), parsed.comment);
  return { principals: principalField.split(','), key, certAuthority, namespaces, validAfter, validBefore, line: lineNumber };
}

export class SSHAllowedSigners {
  readonly entries: readonly AllowedSigner[];
  readonly skippedLines: readonly number[];

  constructor(entries: readonly AllowedSigner[], skippedLines: readonly number[] = []) {
    this.entries = entries;
    this.skippedLines = skippedLines;
  }

  /** True when `principal` may make `sig` (already verified) at `now` (epoch seconds). */
  allows(sig: Sshsig, principal: string, now: number = Date.now() / 1000): boolean {
    const t = BigInt(Math.floor(now));
    return this.entries.some((e) => {
      if (matchPatternList(principal, e.principals) !== 1) return false;
      if (e.namespaces && matchPatternList(sig.namespace, e.namespaces) !== 1) return false;
      if (e.validAfter !== undefined && t < e.validAfter) return false;
      if (e.validBefore !== undefined && t > e.validBefore) return false;
      if (sig.certificate) {
        if (!e.certAuthority || !e.key.equals(sig.certificate.signingKey)) return false;
        // As ssh-keygen: a certificate that names no principals is valid for none here.
        if (sig.certificate.principals.length === 0) return false;
        try {
          sig.certificate.validate({ kind: 'user', principal, now });
        } catch {
          return false;
        }
        return true;
      }
      return !e.certAuthority && e.key.equals(sig.publicKey);
    });
  }

  /**
   * `ssh-keygen -Y find-principals` for a signature made by `key` itself: the principals of the
   * first entry that lists the key directly and is valid at `now` (epoch seconds), or none.
   */
  findPrincipals(key: SSHKey, now: number = Date.now() / 1000): string[] {
    const t = BigInt(Math.floor(now));
    const entry = this.entries.find(
      (e) => !e.certAuthority && e.key.equals(key) && (e.validAfter === undefined || t >= e.validAfter) && (e.validBefore === undefined || t <= e.validBefore),
    );
    return entry ? [...entry.principals] : [];
  }
}

export function importAllowedSigners(text: string): SSHAllowedSigners {
  const entries: AllowedSigner[] = [];
  const skipped: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      entries.push(parseAllowedSignerLine(line, i + 1));
    } catch {
      skipped.push(i + 1);
    }
  });
  return new SSHAllowedSigners(entries, skipped);
}

/** `ssh-keygen -Y verify`: checks the signature, then that `principal` is allowed to make it. */
export function verifySshsigForPrincipal(signers: SSHAllowedSigners, data: string | Uint8Array, message: string | Uint8Array, namespace: string, principal: string, now?: number): Sshsig {
  const sig = validateSshsig(data, message, namespace);
  if (!signers.allows(sig, principal, now)) throw new SignatureError(`${JSON.stringify(principal)} is not an allowed signer for this key`);
  return sig;
}
