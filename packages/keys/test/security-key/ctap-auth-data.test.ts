/**
 * Authenticator data, COSE keys, ECDSA signature conversion and attestation, against published
 * vectors: W3C WebAuthn Level 3 §16.2 "ES256 Credential with No Attestation" and §16.11 "Packed
 * Attestation with Ed25519 Credential" (RP ID example.org), the authenticatorGetInfo example of
 * the CTAP 2.0 specification (§5.4), and the registration response example of FIDO U2F Raw
 * Message Formats v1.2 §8.1. Then malformed input: short, truncated, trailing, wrong rpIdHash.
 */
import { verify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { WireError } from '@ssh/wire';
import { SecurityKeyError } from '../../src/node/security-key/backend.ts';
import { checkAttestation, publicKeyObject } from '../../src/node/security-key/ctap/attestation.ts';
import { checkedAuthenticatorData, parseAuthenticatorData, sha256 } from '../../src/node/security-key/ctap/auth-data.ts';
import { type CborMap, asBytes, asMap, decodeCbor, need } from '../../src/node/security-key/ctap/cbor.ts';
import { derSignatureToRaw, parseCoseKey } from '../../src/node/security-key/ctap/cose.ts';
import { parseGetInfo } from '../../src/node/security-key/ctap/ctap2.ts';
import { parseRegistration } from '../../src/node/security-key/ctap/u2f.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const WEBAUTHN_ES256 = {
  attestationObject: hex(
    'a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220',
  ),
  credentialId: 'f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4',
  assertionAuthData: hex('bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000'),
  assertionClientDataJSON: hex(
    '7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d',
  ),
  signature: hex('3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87'),
};

const WEBAUTHN_ED25519 = {
  attestationObject: hex(
    'a363666d74667061636b65646761747453746d74a363616c67266373696758483046022100d83f60bd80269537583218858aefb03ac57d45fa06e42feaae332d187f62da9f022100a02bd3cb6f7e1d283c93bad1f3f4b5a4c0494463da7fdbf256949116754d1f17637835638159022730820223308201c8a003020102021100b2cfc9ea33c8643b0e1a760463eaf164300a06082a8648ce3d0403023062311e301c06035504030c15576562417574686e207465737420766563746f7273310c300a060355040a0c0357334331253023060355040b0c1c41757468656e74696361746f72204174746573746174696f6e204341310b30090603550406130241413020170d3234303130313030303030305a180f33303234303130313030303030305a305f311e301c06035504030c15576562417574686e207465737420766563746f7273310c300a060355040a0c0357334331223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e310b30090603550406130241413059301306072a8648ce3d020106082a8648ce3d03010703420004dd2b7a564b73b8c0b81c4c62e521925c4d1198ec9f583dbf1eebe364b65cd9c29a9bdf346aaa81fb6b9507e5249a52fdaf8e39e26b0b7dc45992a7e233b70f70a360305e300c0603551d130101ff04023000300e0603551d0f0101ff040403020780301d0603551d0e041604140ae27546bc7eccb1b4b597bd354f0c0b1f1f8f8e301f0603551d2304183016801445aff715b0dd786741fee996ebc16547a3931b1e300a06082a8648ce3d0403020349003046022100a0d434ecb5fc3bfd7da5f41904517ad2836249f561bd834ba7a438a8ab7a4ce8022100fac845bb7a02513b58e9f319654dbe49b0f02b95835bac568c71f8a18cdde9ab6861757468446174615881bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b54100000000d5aa33581e8ca478e20fe713f5d32ff20020ce9f840ed96599580cd140fbc7bb3230633f50f61041aff73308ae71caa8a2bda401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832',
  ),
  registrationClientDataJSON: hex(
    '7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22714b763532723347734e396a526d733576616e6f6f306f303459557a656c6e7878586d5a426e6254733730222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20425f44543567375a445f2d394f544c59583549764551227d',
  ),
  assertionAuthData: hex('bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50100000000'),
  assertionClientDataJSON: hex(
    '7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a2269566c583442786a4f6d6d44534b4c596f7870557439736e364d48454f7943413135726947514a6e763949222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d',
  ),
  signature: hex('f5c59c7e46c34f6f8cc197101ddf9934fa2595f68eb1913a637e8419eb9ba4cfdfc48f85393bc0d40b011f0d6fecb097d6607525713223a0dc0d453993dae00b'),
};

function attestationObject(bytes: Uint8Array): { fmt: string; attStmt: CborMap; authData: Uint8Array } {
  const map = asMap(decodeCbor(bytes, { canonical: true }), 'attestation object');
  return { fmt: need(map, 'fmt', 'fmt') as string, attStmt: asMap(need(map, 'attStmt', 'attStmt'), 'attStmt'), authData: asBytes(need(map, 'authData', 'authData'), 'authData') };
}

describe('WebAuthn Level 3 test vectors', () => {
  test('§16.2 ES256: registration authData, COSE key, assertion signature as r || s', () => {
    const { fmt, attStmt, authData } = attestationObject(WEBAUTHN_ES256.attestationObject);
    const parsed = checkedAuthenticatorData(authData, 'example.org');
    expect(parsed.flags).toBe(0x59);
    expect(parsed.counter).toBe(0);
    expect(toHex(parsed.credential?.aaguid ?? new Uint8Array())).toBe('8446ccb9ab1db374750b2367ff6f3a1f');
    expect(toHex(parsed.credential?.credentialId ?? new Uint8Array())).toBe(WEBAUTHN_ES256.credentialId);
    const key = parsed.credential?.publicKey;
    expect(key?.alg).toBe('ecdsa');
    expect(toHex(key?.publicKey ?? new Uint8Array())).toBe('04afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220');
    expect(checkAttestation(fmt, attStmt, authData, new Uint8Array(32), parsed.credential as NonNullable<typeof parsed.credential>).signature).toHaveLength(0);

    const assertion = checkedAuthenticatorData(WEBAUTHN_ES256.assertionAuthData, 'example.org');
    expect([assertion.flags, assertion.counter, assertion.credential]).toEqual([0x19, 0, undefined]);
    const raw = derSignatureToRaw(WEBAUTHN_ES256.signature);
    expect(toHex(raw)).toBe('f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd388480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87');
    const signed = Buffer.concat([WEBAUTHN_ES256.assertionAuthData, sha256(WEBAUTHN_ES256.assertionClientDataJSON)]);
    const pub = publicKeyObject('ecdsa', key?.publicKey ?? new Uint8Array());
    expect(verify('sha256', signed, { key: pub, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
  });

  test('§16.11 Ed25519: packed attestation by certificate, OKP key, assertion signature', () => {
    const { fmt, attStmt, authData } = attestationObject(WEBAUTHN_ED25519.attestationObject);
    const parsed = checkedAuthenticatorData(authData, 'example.org');
    const credential = parsed.credential as NonNullable<typeof parsed.credential>;
    expect(credential.publicKey).toEqual({ alg: 'ed25519', publicKey: hex('44e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832') });
    const clientDataHash = sha256(WEBAUTHN_ED25519.registrationClientDataJSON);
    const checked = checkAttestation(fmt, attStmt, authData, clientDataHash, credential);
    expect(checked.certificate.length).toBe(551);
    expect(() => checkAttestation(fmt, attStmt, authData, new Uint8Array(32), credential)).toThrow(/attestation signature does not verify/);

    const signed = Buffer.concat([WEBAUTHN_ED25519.assertionAuthData, sha256(WEBAUTHN_ED25519.assertionClientDataJSON)]);
    expect(verify(null, signed, publicKeyObject('ed25519', credential.publicKey.publicKey), WEBAUTHN_ED25519.signature)).toBe(true);
  });
});

describe('CTAP 2.0 §5.4 authenticatorGetInfo example', () => {
  test('parses', () => {
    const info = parseGetInfo(
      asMap(decodeCbor(hex('a60182665532465f5632684649444f5f325f3002826375766d6b686d61632d7365637265740350f8a011f38c0a4d15800617111f9edc7d04a462726bf5627570f564706c6174f469636c69656e7450696ef4051904b0068101')), 'info'),
    );
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0']);
    expect(info.extensions).toEqual(['uvm', 'hmac-secret']);
    expect(toHex(info.aaguid)).toBe('f8a011f38c0a4d15800617111f9edc7d');
    expect(Object.fromEntries(info.options)).toEqual({ rk: true, up: true, plat: false, clientPin: false });
    expect(info.maxMsgSize).toBe(1200);
    expect(info.pinUvAuthProtocols).toEqual([1]);
    expect(info.algorithms).toBeUndefined();
  });

  test('wrong types are malformed, not crashes', () => {
    expect(() => parseGetInfo(new Map([[1, 'FIDO_2_0']]))).toThrow(WireError);
    expect(() => parseGetInfo(new Map<number, unknown>([[1, []], [3, new Uint8Array(15)]]) as CborMap)).toThrow(SecurityKeyError);
  });
});

describe('U2F Raw Message Formats §8.1 registration example', () => {
  const REG =
    '0504b174bc49c7ca254b70d2e5c207cee9cf174820ebd77ea3c65508c26da51b657c1cc6b952f8621697936482da0a6d3d3826a59095daf6cd7c03e2e60385d2f6d9402a552dfdb7477ed65fd84133f86196010b2215b57da75d315b7b9e8fe2e3925a6019551bab61d16591659cbaf00b4950f7abfe6660e2e006f76868b772d70c253082013c3081e4a003020102020a47901280001155957352300a06082a8648ce3d0403023017311530130603550403130c476e756262792050696c6f74301e170d3132303831343138323933325a170d3133303831343138323933325a3031312f302d0603550403132650696c6f74476e756262792d302e342e312d34373930313238303030313135353935373335323059301306072a8648ce3d020106082a8648ce3d030107034200048d617e65c9508e64bcc5673ac82a6799da3c1446682c258c463fffdf58dfd2fa3e6c378b53d795c4a4dffb4199edd7862f23abaf0203b4b8911ba0569994e101300a06082a8648ce3d0403020347003044022060cdb6061e9c22262d1aac1d96d8c70829b2366531dda268832cb836bcd30dfa0220631b1459f09e6330055722c8d89b7f48883b9089b88d60d1d9795902b30410df304502201471899bcc3987e62e8202c9b39c33c19033f7340352dba80fcab017db9230e402210082677d673d891933ade6f617e5dbde2e247e70423fd5ad7804a6d3d3961ef871';

  test('splits into key, key handle, certificate and signature', () => {
    const reg = parseRegistration(hex(REG));
    expect(toHex(reg.publicKey)).toMatch(/^04b174bc49c7ca254b70/);
    expect(reg.publicKey.length).toBe(65);
    expect(reg.keyHandle.length).toBe(64);
    expect(toHex(reg.keyHandle)).toMatch(/^2a552dfdb7477ed65fd8/);
    expect(reg.certificate.length).toBe(320);
    expect(toHex(reg.signature)).toMatch(/^304502201471899bcc39/);
    expect(derSignatureToRaw(reg.signature).length).toBe(64);
  });

  test('cut anywhere, it is refused', () => {
    const full = hex(REG);
    for (const at of [0, 1, 30, 66, 67, 100, 131, 200, 451]) expect(() => parseRegistration(full.subarray(0, at))).toThrow(WireError);
    const badReserved = full.slice();
    badReserved[0] = 0x04;
    expect(() => parseRegistration(badReserved)).toThrow(/0x05/);
  });
});

describe('malformed authenticator data', () => {
  const es256 = attestationObject(WEBAUTHN_ES256.attestationObject).authData;

  test.each([
    ['empty', new Uint8Array(0), /at least 37/],
    ['36 bytes', new Uint8Array(36), /at least 37/],
    ['AT flag without credential data', Uint8Array.from([...new Uint8Array(32), 0x41, 0, 0, 0, 0]), /AAGUID/],
    ['credential id cut short', es256.subarray(0, 80), /credential id/],
    ['COSE key cut short', es256.subarray(0, es256.length - 10), /cbor/],
    ['bytes after the credential', Uint8Array.from([...es256, 0]), /1 bytes after/],
    ['extensions flag without extensions', Uint8Array.from([...new Uint8Array(32), 0x81, 0, 0, 0, 0]), /cbor/],
    ['extensions that are not a map', Uint8Array.from([...new Uint8Array(32), 0x81, 0, 0, 0, 0, 0x01]), /extensions/],
  ])('%s', (_name, data, message) => {
    expect(() => parseAuthenticatorData(data)).toThrow(WireError);
    expect(() => parseAuthenticatorData(data)).toThrow(message);
    expect(() => checkedAuthenticatorData(data, 'example.org')).toThrow(SecurityKeyError);
  });

  test('a credential id longer than 1023 bytes', () => {
    const data = new Uint8Array(37 + 18);
    data[32] = 0x40;
    data.set([0x04, 0x00], 53);
    expect(() => parseAuthenticatorData(data)).toThrow(/1024 bytes, at most 1023/);
  });

  test('extensions are kept as sent', () => {
    const data = Uint8Array.from([...new Uint8Array(32), 0x81, 0, 0, 0, 9, 0xa1, 0x6b, ...Buffer.from('credProtect'), 0x02]);
    const parsed = parseAuthenticatorData(data);
    expect(parsed.counter).toBe(9);
    expect(toHex(parsed.extensions)).toBe(toHex(data.subarray(37)));
  });

  test('another relying party\'s data is refused', () => {
    expect(() => checkedAuthenticatorData(es256, 'example.com')).toThrow(/rpIdHash mismatch/);
    expect(() => checkedAuthenticatorData(es256, 'ssh:')).toThrow(SecurityKeyError);
  });
});

describe('COSE keys', () => {
  const ec2 = (x: number, y: number, alg = -7, crv = 1) =>
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, alg],
      [-1, crv],
      [-2, new Uint8Array(x)],
      [-3, new Uint8Array(y)],
    ]);
  test.each([
    ['short x', ec2(31, 32), /32 bytes|31 bytes/],
    ['long y', ec2(32, 33), /33 bytes/],
    ['ES384', ec2(48, 48, -35, 2), /unsupported key/],
    ['alg disagreeing with the key type', ec2(32, 32, -8), /unsupported key/],
    ['RSA', new Map<number, number | Uint8Array>([[1, 3], [3, -257], [-1, new Uint8Array(256)], [-2, Uint8Array.of(1, 0, 1)]]), /expected an integer|unsupported/],
    ['missing curve', new Map<number, number>([[1, 1], [3, -8]]), /COSE curve.*missing/],
  ])('%s', (_name, map, message) => {
    expect(() => parseCoseKey(map as CborMap)).toThrow(message);
  });
});

describe('DER ECDSA signatures', () => {
  test('short r and s are left-padded; leading zeros dropped', () => {
    const der = hex('3009020201ff020300ff01');
    expect(toHex(derSignatureToRaw(der))).toBe('01ff'.padStart(64, '0') + 'ff01'.padStart(64, '0'));
  });
  test.each([
    ['not a SEQUENCE', '3106020101020101'],
    ['trailing bytes', '300602010102010100'],
    ['bytes after s inside', '3009020101020101020101'],
    ['negative r', '3006020181020101'],
    ['redundant zero', '300702020001020101'],
    ['r longer than 32 bytes', '3027022200' + 'ff'.repeat(33) + '020101'],
    ['truncated', '300602010102'],
    ['a BIT STRING for s', '3006020101030101'],
  ])('%s', (_name, input) => {
    expect(() => derSignatureToRaw(hex(input))).toThrow(WireError);
  });
});
