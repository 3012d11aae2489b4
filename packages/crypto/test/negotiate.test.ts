/** RFC 4253 §7.1 negotiation and the kex guess rule. */
import { describe, expect, it } from 'vitest';
import { isKexGuessCorrect, negotiateAlgorithm, negotiateKexInit, NoCommonAlgorithmError, type KexInitLists } from '../src/index.ts';

const base: KexInitLists = {
  kex: ['curve25519-sha256', 'ext-info-c', 'kex-strict-c-v00@openssh.com'],
  hostKey: ['ssh-ed25519', 'rsa-sha2-256'],
  cipherClientToServer: ['aes128-gcm@openssh.com', 'aes128-ctr'],
  cipherServerToClient: ['aes128-ctr'],
  macClientToServer: ['hmac-sha2-256'],
  macServerToClient: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
  compressionClientToServer: ['none'],
  compressionServerToClient: ['zlib@openssh.com', 'none'],
};

describe('negotiation', () => {
  it('picks the first client algorithm the server has', () => {
    expect(negotiateAlgorithm('cipher', ['a', 'b', 'c'], ['c', 'b'])).toBe('b');
  });

  it('names both lists when nothing matches', () => {
    try {
      negotiateAlgorithm('cipher', ['a', 'b'], ['c']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NoCommonAlgorithmError);
      const err = e as NoCommonAlgorithmError;
      expect(err.kind).toBe('cipher');
      expect(err.client).toEqual(['a', 'b']);
      expect(err.server).toEqual(['c']);
      expect(err.message).toBe('ssh: no matching cipher algorithm: client offers [a,b], server offers [c]');
      expect(err.code).toBe('SSH_ERR_NO_COMMON_ALGORITHM');
    }
  });

  it('negotiates a whole KEXINIT, ignoring pseudo-algorithms, skipping MACs for AEAD ciphers', () => {
    const server: KexInitLists = {
      ...base,
      kex: ['kex-strict-s-v00@openssh.com', 'curve25519-sha256'],
      hostKey: ['rsa-sha2-256', 'ssh-ed25519'],
      macClientToServer: ['hmac-sha1'],
      compressionServerToClient: ['none', 'zlib@openssh.com'],
    };
    const result = negotiateKexInit(base, server, { isAead: (n) => n.includes('gcm') });
    expect(result).toEqual({
      kex: 'curve25519-sha256',
      hostKey: 'ssh-ed25519',
      cipherClientToServer: 'aes128-gcm@openssh.com',
      cipherServerToClient: 'aes128-ctr',
      macClientToServer: undefined,
      macServerToClient: 'hmac-sha2-256-etm@openssh.com',
      compressionClientToServer: 'none',
      compressionServerToClient: 'zlib@openssh.com',
      languageClientToServer: undefined,
      languageServerToClient: undefined,
    });
    expect(() => negotiateKexInit(base, server)).toThrow(/mac \(client to server\)/);
    expect(() => negotiateKexInit(base, { ...base, kex: ['ext-info-s', 'ext-info-c'] })).toThrow(NoCommonAlgorithmError);
  });

  it('the kex guess is right only when both first kex and first host key algorithms agree', () => {
    expect(isKexGuessCorrect(base, base)).toBe(true);
    expect(isKexGuessCorrect(base, { ...base, hostKey: ['rsa-sha2-256', 'ssh-ed25519'] })).toBe(false);
    expect(isKexGuessCorrect(base, { ...base, kex: ['ecdh-sha2-nistp256', 'curve25519-sha256'] })).toBe(false);
    expect(isKexGuessCorrect({ kex: ['ext-info-c', 'a'], hostKey: ['k'] }, { kex: ['a'], hostKey: ['k'] })).toBe(true);
  });
});
