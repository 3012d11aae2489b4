/**
 * allowed_signers files against `ssh-keygen -Y verify` and `-Y find-principals`: the same file
 * and signature give the same answer here.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { createSshsig, importAllowedSigners, verifySshsigForPrincipal } from '../src/index.ts';
import { testKey } from './helpers/keys.ts';
import { KeygenDir } from './helpers/ssh-keygen.ts';

const dir = new KeygenDir();
afterAll(() => dir.cleanup());

const key = testKey('ssh-ed25519');
const K = new TextDecoder().decode(key.convertToPublic().exportPublicKey()).trim().split(' ').slice(0, 2).join(' ');
const MESSAGE = 'message\n';
const sig = createSshsig(key, MESSAGE, 'file');
const sigPath = dir.write(sig);

function oursVerifies(signers: string, principal: string): boolean {
  try {
    verifySshsigForPrincipal(importAllowedSigners(signers), sig, MESSAGE, 'file', principal);
    return true;
  } catch {
    return false;
  }
}

function theirsVerify(signers: string, principal: string): boolean {
  try {
    return dir.run(['-Y', 'verify', '-f', signers, '-I', principal, '-n', 'file', '-s', sigPath], MESSAGE).startsWith('Good "file" signature');
  } catch {
    return false;
  }
}

describe('allowed_signers lines in ssh-keygen -Y verify and here', () => {
  test.each([
    // The principals field may be quoted.
    [`"a@x" ${K}`, 'a@x'],
    [`"a@x,b@y" ${K}`, 'b@y'],
    [`"a@x ${K}`, 'a@x'],
    // namespaces=, valid-after= and valid-before= may each be given once.
    [`a@x namespaces="file",namespaces="file" ${K}`, 'a@x'],
    [`a@x valid-after="20200101",valid-after="20200101" ${K}`, 'a@x'],
    [`a@x valid-before="20990101",valid-before="20990101" ${K}`, 'a@x'],
    [`a@x ,namespaces="file" ${K}`, 'a@x'],
    // Times at or before 1970-01-01T00:00:00Z are invalid.
    [`a@x valid-after="19600101" ${K}`, 'a@x'],
    [`a@x valid-after="19700101Z" ${K}`, 'a@x'],
    [`a@x valid-after="19700101000001Z" ${K}`, 'a@x'],
    [`a@x namespaces="file", ${K}`, 'a@x'],
  ])('%s as %s', (line, principal) => {
    const signers = dir.write(`${line}\n`);
    expect(oursVerifies(`${line}\n`, principal)).toBe(theirsVerify(signers, principal));
  });

  test('a valid-before= not after valid-after= makes the line invalid', () => {
    const line = `a@x valid-after="20200101",valid-before="20200101" ${K}`;
    expect(() => dir.run(['-Y', 'find-principals', '-f', dir.write(`${line}\n`), '-s', sigPath])).toThrow('"valid-before" time is before "valid-after"');
    expect(importAllowedSigners(`${line}\n${line.replace('before="20200101"', 'before="20200102"')}`).skippedLines).toEqual([1]);
  });
});

describe('ssh-keygen -Y find-principals and findPrincipals', () => {
  test.each([
    // The first line that lists the key and holds now; namespaces= play no part.
    [`b@z valid-before="20200101" ${K}`, `c@w namespaces="git" ${K}`, `a@x,*@y ${K}`],
    [`"d@v" ${K}`, `a@x ${K}`],
    [`a@x,*@y ${K}`, `e@u ${K}`],
    [`f@t valid-after="20990101" ${K}`],
  ])('%s', (...lines) => {
    const file = dir.write(`${lines.join('\n')}\n`);
    let theirs: string[] = [];
    try {
      theirs = dir.run(['-Y', 'find-principals', '-f', file, '-s', sigPath]).trim().split('\n');
    } catch {
      theirs = [];
    }
    expect(importAllowedSigners(lines.join('\n')).findPrincipals(key)).toEqual(theirs);
  });
});

describe('signatures made with certificates, against a cert-authority line', () => {
  const ca = testKey('ecdsa-sha2-nistp256');
  const caLine = `*@example.com cert-authority ${new TextDecoder().decode(ca.convertToPublic().exportPublicKey()).trim()}`;

  test.each([
    [['alice@example.com'], 'alice@example.com'],
    [['alice@example.com'], 'bob@example.com'],
    // ssh-keygen: "Certificate lacks principal list"; the certificate is not valid for anyone.
    [[], 'alice@example.com'],
  ])('principals %j, verified as %s', (principals, principal) => {
    const cert = ca.generateUserCertificate(key, 'id', { principals });
    const certSig = createSshsig(key, MESSAGE, 'file', { certificate: cert });
    const signers = dir.write(`${caLine}\n`);
    let theirs: boolean;
    try {
      theirs = dir.run(['-Y', 'verify', '-f', signers, '-I', principal, '-n', 'file', '-s', dir.write(certSig)], MESSAGE).startsWith('Good');
    } catch {
      theirs = false;
    }
    let ours: boolean;
    try {
      verifySshsigForPrincipal(importAllowedSigners(caLine), certSig, MESSAGE, 'file', principal);
      ours = true;
    } catch {
      ours = false;
    }
    expect(ours).toBe(theirs);
  });
});
