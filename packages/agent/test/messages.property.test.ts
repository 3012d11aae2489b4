/** Every agent schema round-trips; ADD_IDENTITY bodies made from real keys re-encode byte for byte. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SSHKeyPair, generatePrivateKey } from '@ssh/keys';
import {
  AgentAddIdConstrained,
  AgentAddIdentity,
  AgentExtension,
  AgentExtensionResponse,
  AgentIdentitiesAnswer,
  AgentKeyError,
  AgentSignRequest,
  AgentSignResponse,
  SessionBind,
  agentReplies,
  agentRequests,
  decodeAgentRequest,
  encodeAgentReply,
  encodeConstraints,
  encodeExtensionNames,
} from '../src/index.ts';
import { agentBodyKey, agentKeyBody } from '../src/key-encoding.ts';
import { Reader, Writer } from '@ssh/wire';

const bytes = fc.uint8Array({ maxLength: 40 });
const name = fc.stringMatching(/^[a-z0-9@.-]{1,24}$/);

describe('schemas round-trip', () => {
  it('requests and replies', () => {
    fc.assert(
      fc.property(bytes, bytes, fc.nat(0xffffffff), name, (a, b, n, s) => {
        for (const [schema, value] of [
          [AgentSignRequest, { publicKey: a, data: b, flags: n }],
          [AgentSignResponse, { signature: a }],
          [AgentIdentitiesAnswer, { keys: [{ publicKey: a, comment: b }, { publicKey: b, comment: a }] }],
          [AgentExtension, { extensionType: s, contents: a }],
          [AgentExtensionResponse, { extensionType: s, contents: b }],
        ] as const) {
          const encoded = (schema.encode as (v: unknown) => Uint8Array)(value);
          expect(schema.decode(encoded)).toEqual(value);
        }
      }),
    );
  });

  it('session-bind and query bodies', () => {
    fc.assert(
      fc.property(bytes, bytes, bytes, fc.boolean(), fc.array(name, { maxLength: 4 }), (hostKey, sessionId, signature, isForwarding, names) => {
        const v = { hostKey, sessionId, signature, isForwarding };
        const w = new Writer(64);
        SessionBind.write(w, v, {});
        expect(SessionBind.read(new Reader(w.finish()), 'bind', {})).toEqual(v);
        const body = encodeExtensionNames(names);
        const reply = encodeAgentReply({ type: 'success', contents: body });
        expect(reply[0]).toBe(6);
        expect(reply.subarray(1)).toEqual(body);
      }),
    );
  });

  it('random payloads decode or throw WireError through the reply table', () => {
    fc.assert(
      fc.property(fc.constantFrom(5, 6, 12, 14, 28, 29), bytes, (n, body) => {
        try {
          agentReplies.decode(Uint8Array.from([n, ...body]));
        } catch (e) {
          expect((e as Error).name).toBe('WireError');
        }
      }),
    );
  });
});

describe('ADD_IDENTITY from real keys', () => {
  const keys = [
    generatePrivateKey('ssh-ed25519', { comment: 'ed' }),
    generatePrivateKey('ecdsa-sha2-nistp256'),
    generatePrivateKey('ecdsa-sha2-nistp384'),
    generatePrivateKey('ecdsa-sha2-nistp521'),
    generatePrivateKey('ssh-rsa', { keySize: 1024 }),
  ];

  it('decodes on the agent side and re-encodes byte for byte', () => {
    for (const key of keys) {
      for (const schema of [AgentAddIdentity, AgentAddIdConstrained]) {
        const constraints = schema === AgentAddIdentity ? new Uint8Array(0) : encodeConstraints([{ type: 'lifetime', seconds: 60 }]);
        const payload = schema.encode(agentKeyBody(key, constraints));
        const decoded = agentRequests.decode(payload);
        expect(decoded.name).toBe(schema.name);
        expect((schema.encode as (v: unknown) => Uint8Array)(decoded.message)).toEqual(payload);
        const req = decodeAgentRequest(payload);
        expect(req.type === 'add-identity' && req.keyType).toBe(key.algorithm);
      }
    }
  });

  it('the agent side gets the same key back, which signs', () => {
    for (const key of keys) {
      const req = decodeAgentRequest(AgentAddIdentity.encode(agentKeyBody(key, new Uint8Array(0), new TextEncoder().encode('back'))));
      if (req.type !== 'add-identity') throw new Error('not an add-identity');
      const back = agentBodyKey(req.keyType, req.key);
      expect(back.equals(key)).toBe(true);
      expect(back.getComment()).toBe('back');
      const data = Uint8Array.of(1, 2, 3);
      expect(key.verify(data, back.sign(data))).toBe(true);
    }
  });

  it('bad bodies are AgentKeyError on the agent side', () => {
    const bad = { type: 'ssh-ed25519' as const, publicKey: new Uint8Array(3), privateKey: new Uint8Array(5), comment: new Uint8Array(0), constraints: new Uint8Array(0) };
    expect(() => agentBodyKey('ssh-ed25519', bad)).toThrow(AgentKeyError);
    expect(() => agentBodyKey('ssh-ed25519', new Uint8Array(4))).toThrow(AgentKeyError);
    const certBody = { type: 'ssh-dss-cert-v01@openssh.com' as const, certificate: new Uint8Array(1), x: new Uint8Array(1), comment: new Uint8Array(0), constraints: new Uint8Array(0) };
    expect(() => agentBodyKey('ssh-dss-cert-v01@openssh.com', certBody)).toThrow(AgentKeyError);
  });

  it('a public key is refused with AgentKeyError', () => {
    expect(() => agentKeyBody(generatePrivateKey('ssh-ed25519').convertToPublic(), new Uint8Array(0))).toThrow(/no private part/);
  });

  it('a key pair with a certificate is sent as the certificate type, with the certificate blob first', () => {
    const ca = generatePrivateKey('ssh-ed25519');
    const user = generatePrivateKey('ssh-ed25519', { comment: 'user' });
    const cert = ca.generateUserCertificate(user.convertToPublic(), 'id');
    const { keyType, body } = agentKeyBody(new SSHKeyPair(user, cert), new Uint8Array(0));
    expect(keyType).toBe('ssh-ed25519-cert-v01@openssh.com');
    expect(!(body instanceof Uint8Array) && 'certificate' in body && body.certificate).toEqual(cert.publicData);
  });
});
