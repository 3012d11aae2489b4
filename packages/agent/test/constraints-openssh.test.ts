/**
 * The constraints OpenSSH's ssh-add sends, decoded on the agent side as OpenSSH's agent reads
 * them: associated-certs-v00@openssh.com is a boolean and then one string (of certificates),
 * not one string like sk-provider@openssh.com and restrict-destination-v00@openssh.com.
 */
import { describe, expect, it } from 'vitest';
import { WireError, Writer } from '@ssh/wire';
import { generatePrivateKey } from '@ssh/keys';
import { AgentAddSmartcardKeyConstrained, decodeAgentRequest, decodeConstraints, encodeConstraints } from '../src/index.ts';

const ASSOCIATED = 'associated-certs-v00@openssh.com';

/** The body of associated-certs-v00@openssh.com: `bool certs_only, string certs` (the blobs one string each). */
function associatedCerts(certsOnly: boolean, blobs: readonly Uint8Array[]): Uint8Array {
  return new Writer(64)
    .bool(certsOnly)
    .nested((w) => {
      for (const b of blobs) w.bytes(b);
    })
    .finish();
}

describe('associated-certs-v00@openssh.com', () => {
  const ca = generatePrivateKey('ssh-ed25519');
  const user = generatePrivateKey('ssh-ed25519');
  const cert = ca.generateUserCertificate(user.convertToPublic(), 'token key');

  for (const [certsOnly, blobs] of [
    [false, [cert.publicData]],
    [true, [cert.publicData, cert.publicData]],
    [true, []],
    [false, []],
  ] as const) {
    it(`decodes certs_only=${certsOnly} with ${blobs.length} certificates, before and after other constraints`, () => {
      const data = associatedCerts(certsOnly, blobs);
      const ext = { type: 'extension' as const, name: ASSOCIATED, data };
      for (const list of [[ext], [ext, { type: 'confirm' as const }], [{ type: 'lifetime' as const, seconds: 30 }, ext]]) {
        expect(decodeConstraints(encodeConstraints(list))).toEqual(list);
      }
    });
  }

  it('arrives whole in an ADD_SMARTCARD_KEY_CONSTRAINED', () => {
    const data = associatedCerts(false, [cert.publicData]);
    const constraints = encodeConstraints([{ type: 'confirm' }, { type: 'extension', name: ASSOCIATED, data }]);
    const request = decodeAgentRequest(AgentAddSmartcardKeyConstrained.encode({ providerId: '/usr/lib/p11.so', pin: '', constraints }));
    expect(request).toEqual({
      type: 'add-smartcard-key',
      providerId: '/usr/lib/p11.so',
      pin: '',
      constraints: [{ type: 'confirm' }, { type: 'extension', name: ASSOCIATED, data }],
    });
  });

  it('a truncated one is a WireError', () => {
    const bytes = encodeConstraints([{ type: 'extension', name: ASSOCIATED, data: associatedCerts(true, [cert.publicData]) }]);
    for (const cut of [bytes.length - 1, bytes.length - cert.publicData.length, 4 + ASSOCIATED.length + 1, 4 + ASSOCIATED.length + 2]) {
      expect(() => decodeConstraints(bytes.subarray(0, cut))).toThrow(WireError);
    }
  });
});
