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
import { firstWord, parseOptions, parseTimespec } from './options.ts';
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

export function parseAllowedSignerLine(line: string, lineNumber = 1): AllowedSigner {
  const [principalField, rest] = firstWord(line);
  if (principalField === '' || rest === '') throw new KeyImportError('incomplete allowed_signers line');
  let keyText = rest;
  let certAuthority = false;
  let namespaces: string[] | undefined;
  let validAfter: bigint | undefined;
  let validBefore: bigint | undefined;
  if (!parseOpensshPublicLine(rest)) {
    const parsed = parseOptions(rest);
    keyText = parsed.rest;
    for (const [name, value] of parsed.options) {
      if (name === 'cert-authority' && value === true) certAuthority = true;
      else if (name === 'namespaces' && value !== true) namespaces = value.split(',');
      else if (name === 'valid-after' && value !== true) validAfter = parseTimespec(value);
      else if (name === 'valid-before' && value !== true) validBefore = parseTimespec(value);
      else throw new KeyImportError(`unknown allowed_signers option ${JSON.stringify(name)}`);
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

  /** Principals whose entries list `key` directly (ssh-keygen -Y find-principals). */
  findPrincipals(key: SSHKey): string[] {
    return this.entries.filter((e) => !e.certAuthority && e.key.equals(key)).flatMap((e) => e.principals);
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
