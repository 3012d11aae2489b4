/**
 * Key exchange methods: name constants and the registration table, in the spec's preference
 * order (defaults first). RFC 4253 §8, RFC 4419, RFC 5656, RFC 8268, RFC 8731, RFC 4432,
 * draft-ietf-sshm-mlkem-hybrid-kex, OpenSSH PROTOCOL (sntrup761x25519).
 * @module
 */

import type { HashName } from '../hash.ts';
import type { AlgorithmSpec } from '../registry.ts';
import { dhAgreement, type ModpGroup } from './dh.ts';
import { gexKex } from './dh-gex.ts';
import { gssKex, type GssKexKind } from './gss.ts';
import { ecdhAgreement } from './ecdh.ts';
import { ecClassical, hybridAgreement, mlKem1024, mlKem768, sntrup761, x25519Classical } from './hybrid.ts';
import { montgomeryAgreement } from './montgomery.ts';
import { oneRoundKex } from './one-round.ts';
import { rsaKex } from './rsa.ts';
import type { KexImpl } from './types.ts';

export const KEX = {
  MLKEM768_X25519_SHA256: 'mlkem768x25519-sha256',
  MLKEM768_NISTP256_SHA256: 'mlkem768nistp256-sha256',
  MLKEM1024_NISTP384_SHA384: 'mlkem1024nistp384-sha384',
  SNTRUP761_X25519_SHA512: 'sntrup761x25519-sha512',
  SNTRUP761_X25519_SHA512_OPENSSH: 'sntrup761x25519-sha512@openssh.com',
  CURVE25519_SHA256: 'curve25519-sha256',
  CURVE25519_SHA256_LIBSSH: 'curve25519-sha256@libssh.org',
  CURVE448_SHA512: 'curve448-sha512',
  ECDH_NISTP521: 'ecdh-sha2-nistp521',
  ECDH_NISTP384: 'ecdh-sha2-nistp384',
  ECDH_NISTP256: 'ecdh-sha2-nistp256',
  ECDH_SECP256K1: 'ecdh-sha2-1.3.132.0.10',
  DH_GEX_SHA256: 'diffie-hellman-group-exchange-sha256',
  DH_GROUP14_SHA256: 'diffie-hellman-group14-sha256',
  DH_GROUP15_SHA512: 'diffie-hellman-group15-sha512',
  DH_GROUP16_SHA512: 'diffie-hellman-group16-sha512',
  DH_GROUP17_SHA512: 'diffie-hellman-group17-sha512',
  DH_GROUP18_SHA512: 'diffie-hellman-group18-sha512',
  DH_GROUP14_SHA256_SSHCOM: 'diffie-hellman-group14-sha256@ssh.com',
  DH_GROUP14_SHA1: 'diffie-hellman-group14-sha1',
  RSA2048_SHA256: 'rsa2048-sha256',
  DH_GEX_SHA224_SSHCOM: 'diffie-hellman-group-exchange-sha224@ssh.com',
  DH_GEX_SHA384_SSHCOM: 'diffie-hellman-group-exchange-sha384@ssh.com',
  DH_GEX_SHA512_SSHCOM: 'diffie-hellman-group-exchange-sha512@ssh.com',
  DH_GEX_SHA1: 'diffie-hellman-group-exchange-sha1',
  DH_GROUP14_SHA224_SSHCOM: 'diffie-hellman-group14-sha224@ssh.com',
  DH_GROUP15_SHA256_SSHCOM: 'diffie-hellman-group15-sha256@ssh.com',
  DH_GROUP15_SHA384_SSHCOM: 'diffie-hellman-group15-sha384@ssh.com',
  DH_GROUP16_SHA384_SSHCOM: 'diffie-hellman-group16-sha384@ssh.com',
  DH_GROUP16_SHA512_SSHCOM: 'diffie-hellman-group16-sha512@ssh.com',
  DH_GROUP18_SHA512_SSHCOM: 'diffie-hellman-group18-sha512@ssh.com',
  DH_GROUP1_SHA1: 'diffie-hellman-group1-sha1',
  RSA1024_SHA1: 'rsa1024-sha1',
} as const;

/**
 * GSS-API key exchange (RFC 4462, RFC 8732). Registered under the method names; on the wire each
 * carries its mechanism's suffix (gssKexName). Not offered from the registry's lists: a transport
 * offers them only for a connection with GSS-API key exchange on, since they need a security
 * context the application establishes.
 */
const GSS_DEFAULTS: readonly [string, HashName, GssKexKind][] = [
  ['gss-curve25519-sha256', 'sha256', { type: 'fixed', agreement: montgomeryAgreement('x25519') }],
  ['gss-curve448-sha512', 'sha512', { type: 'fixed', agreement: montgomeryAgreement('x448') }],
  ['gss-nistp521-sha512', 'sha512', { type: 'fixed', agreement: ecdhAgreement('secp521r1') }],
  ['gss-nistp384-sha384', 'sha384', { type: 'fixed', agreement: ecdhAgreement('secp384r1') }],
  ['gss-nistp256-sha256', 'sha256', { type: 'fixed', agreement: ecdhAgreement('prime256v1') }],
  ['gss-1.3.132.0.10-sha256', 'sha256', { type: 'fixed', agreement: ecdhAgreement('secp256k1') }],
  ['gss-gex-sha256', 'sha256', { type: 'gex' }],
  ['gss-group14-sha256', 'sha256', { type: 'fixed', agreement: dhAgreement(14) }],
  ['gss-group15-sha512', 'sha512', { type: 'fixed', agreement: dhAgreement(15) }],
  ['gss-group16-sha512', 'sha512', { type: 'fixed', agreement: dhAgreement(16) }],
  ['gss-group17-sha512', 'sha512', { type: 'fixed', agreement: dhAgreement(17) }],
  ['gss-group18-sha512', 'sha512', { type: 'fixed', agreement: dhAgreement(18) }],
  ['gss-group14-sha1', 'sha1', { type: 'fixed', agreement: dhAgreement(14) }],
];
const GSS_OTHERS: readonly [string, HashName, GssKexKind][] = [
  ['gss-gex-sha1', 'sha1', { type: 'gex' }],
  ['gss-group1-sha1', 'sha1', { type: 'fixed', agreement: dhAgreement(1) }],
];

function gss(name: string, hash: HashName, kind: GssKexKind, isDefault: boolean): AlgorithmSpec<KexImpl> {
  return { name, default: isDefault, available: () => false, impl: gssKex(name, hash, kind) };
}

const on = (name: string, impl: KexImpl): AlgorithmSpec<KexImpl> => ({ name, default: true, impl });
const off = (name: string, impl: KexImpl, insecure = false): AlgorithmSpec<KexImpl> =>
  insecure ? { name, default: false, insecure: true, impl } : { name, default: false, impl };
const dh = (name: string, group: ModpGroup, hash: HashName): KexImpl => oneRoundKex(name, hash, dhAgreement(group));

/** Every key exchange method, preference order. */
export const kexAlgorithms: readonly AlgorithmSpec<KexImpl>[] = /* @__PURE__ */ [
  ...GSS_DEFAULTS.map(([n, h, k]) => gss(n, h, k, true)),
  on(KEX.MLKEM768_X25519_SHA256, oneRoundKex(KEX.MLKEM768_X25519_SHA256, 'sha256', hybridAgreement(() => mlKem768, x25519Classical, 'sha256'))),
  on(
    KEX.MLKEM768_NISTP256_SHA256,
    oneRoundKex(KEX.MLKEM768_NISTP256_SHA256, 'sha256', hybridAgreement(() => mlKem768, (a) => ecClassical('prime256v1', 65, a), 'sha256')),
  ),
  on(
    KEX.MLKEM1024_NISTP384_SHA384,
    oneRoundKex(KEX.MLKEM1024_NISTP384_SHA384, 'sha384', hybridAgreement(() => mlKem1024, (a) => ecClassical('secp384r1', 97, a), 'sha384')),
  ),
  on(
    KEX.SNTRUP761_X25519_SHA512,
    oneRoundKex(KEX.SNTRUP761_X25519_SHA512, 'sha512', hybridAgreement(() => sntrup761, x25519Classical, 'sha512')),
  ),
  on(
    KEX.SNTRUP761_X25519_SHA512_OPENSSH,
    oneRoundKex(KEX.SNTRUP761_X25519_SHA512_OPENSSH, 'sha512', hybridAgreement(() => sntrup761, x25519Classical, 'sha512')),
  ),
  on(KEX.CURVE25519_SHA256, oneRoundKex(KEX.CURVE25519_SHA256, 'sha256', montgomeryAgreement('x25519'))),
  on(KEX.CURVE25519_SHA256_LIBSSH, oneRoundKex(KEX.CURVE25519_SHA256_LIBSSH, 'sha256', montgomeryAgreement('x25519'))),
  on(KEX.CURVE448_SHA512, oneRoundKex(KEX.CURVE448_SHA512, 'sha512', montgomeryAgreement('x448'))),
  on(KEX.ECDH_NISTP521, oneRoundKex(KEX.ECDH_NISTP521, 'sha512', ecdhAgreement('secp521r1'))),
  on(KEX.ECDH_NISTP384, oneRoundKex(KEX.ECDH_NISTP384, 'sha384', ecdhAgreement('secp384r1'))),
  on(KEX.ECDH_NISTP256, oneRoundKex(KEX.ECDH_NISTP256, 'sha256', ecdhAgreement('prime256v1'))),
  on(KEX.ECDH_SECP256K1, oneRoundKex(KEX.ECDH_SECP256K1, 'sha256', ecdhAgreement('secp256k1'))),
  on(KEX.DH_GEX_SHA256, gexKex(KEX.DH_GEX_SHA256, 'sha256')),
  on(KEX.DH_GROUP14_SHA256, dh(KEX.DH_GROUP14_SHA256, 14, 'sha256')),
  on(KEX.DH_GROUP15_SHA512, dh(KEX.DH_GROUP15_SHA512, 15, 'sha512')),
  on(KEX.DH_GROUP16_SHA512, dh(KEX.DH_GROUP16_SHA512, 16, 'sha512')),
  on(KEX.DH_GROUP17_SHA512, dh(KEX.DH_GROUP17_SHA512, 17, 'sha512')),
  on(KEX.DH_GROUP18_SHA512, dh(KEX.DH_GROUP18_SHA512, 18, 'sha512')),
  on(KEX.DH_GROUP14_SHA256_SSHCOM, dh(KEX.DH_GROUP14_SHA256_SSHCOM, 14, 'sha256')),
  on(KEX.DH_GROUP14_SHA1, dh(KEX.DH_GROUP14_SHA1, 14, 'sha1')),
  on(KEX.RSA2048_SHA256, rsaKex(KEX.RSA2048_SHA256, 'sha256', 2048)),
  ...GSS_OTHERS.map(([n, h, k]) => gss(n, h, k, false)),
  off(KEX.DH_GEX_SHA224_SSHCOM, gexKex(KEX.DH_GEX_SHA224_SSHCOM, 'sha224')),
  off(KEX.DH_GEX_SHA384_SSHCOM, gexKex(KEX.DH_GEX_SHA384_SSHCOM, 'sha384')),
  off(KEX.DH_GEX_SHA512_SSHCOM, gexKex(KEX.DH_GEX_SHA512_SSHCOM, 'sha512')),
  off(KEX.DH_GEX_SHA1, gexKex(KEX.DH_GEX_SHA1, 'sha1'), true),
  off(KEX.DH_GROUP14_SHA224_SSHCOM, dh(KEX.DH_GROUP14_SHA224_SSHCOM, 14, 'sha224')),
  off(KEX.DH_GROUP15_SHA256_SSHCOM, dh(KEX.DH_GROUP15_SHA256_SSHCOM, 15, 'sha256')),
  off(KEX.DH_GROUP15_SHA384_SSHCOM, dh(KEX.DH_GROUP15_SHA384_SSHCOM, 15, 'sha384')),
  off(KEX.DH_GROUP16_SHA384_SSHCOM, dh(KEX.DH_GROUP16_SHA384_SSHCOM, 16, 'sha384')),
  off(KEX.DH_GROUP16_SHA512_SSHCOM, dh(KEX.DH_GROUP16_SHA512_SSHCOM, 16, 'sha512')),
  off(KEX.DH_GROUP18_SHA512_SSHCOM, dh(KEX.DH_GROUP18_SHA512_SSHCOM, 18, 'sha512')),
  off(KEX.DH_GROUP1_SHA1, dh(KEX.DH_GROUP1_SHA1, 1, 'sha1'), true),
  off(KEX.RSA1024_SHA1, rsaKex(KEX.RSA1024_SHA1, 'sha1', 1024), true),
];

export type { GssKexAnswer, KexImpl, KexExchange, KexStep, KexResult, KexRole, KexTranscript, KexOptions, GexBounds, DhGroup } from './types.ts';
