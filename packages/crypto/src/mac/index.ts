/**
 * MAC algorithms: name constants and the registration table, in the spec's preference order
 * (defaults first). RFC 4253 §6.4, RFC 6668, OpenSSH PROTOCOL §1.5, RFC 4418 (UMAC).
 * @module
 */

import type { AlgorithmSpec } from '../registry.ts';
import type { HashName } from '../hash.ts';
import type { MacImpl } from './types.ts';
import { hmacMac } from './hmac.ts';
import { umacMac } from './umac.ts';

export const MAC = {
  UMAC64_ETM: 'umac-64-etm@openssh.com',
  UMAC128_ETM: 'umac-128-etm@openssh.com',
  HMAC_SHA2_256_ETM: 'hmac-sha2-256-etm@openssh.com',
  HMAC_SHA2_512_ETM: 'hmac-sha2-512-etm@openssh.com',
  HMAC_SHA1_ETM: 'hmac-sha1-etm@openssh.com',
  UMAC64: 'umac-64@openssh.com',
  UMAC128: 'umac-128@openssh.com',
  HMAC_SHA2_256: 'hmac-sha2-256',
  HMAC_SHA2_512: 'hmac-sha2-512',
  HMAC_SHA1: 'hmac-sha1',
  HMAC_SHA256_2_SSHCOM: 'hmac-sha256-2@ssh.com',
  HMAC_SHA224_SSHCOM: 'hmac-sha224@ssh.com',
  HMAC_SHA256_SSHCOM: 'hmac-sha256@ssh.com',
  HMAC_SHA384_SSHCOM: 'hmac-sha384@ssh.com',
  HMAC_SHA512_SSHCOM: 'hmac-sha512@ssh.com',
  HMAC_MD5_ETM: 'hmac-md5-etm@openssh.com',
  HMAC_SHA2_256_96_ETM: 'hmac-sha2-256-96-etm@openssh.com',
  HMAC_SHA2_512_96_ETM: 'hmac-sha2-512-96-etm@openssh.com',
  HMAC_SHA1_96_ETM: 'hmac-sha1-96-etm@openssh.com',
  HMAC_MD5_96_ETM: 'hmac-md5-96-etm@openssh.com',
  HMAC_MD5: 'hmac-md5',
  HMAC_SHA2_256_96: 'hmac-sha2-256-96',
  HMAC_SHA2_512_96: 'hmac-sha2-512-96',
  HMAC_SHA1_96: 'hmac-sha1-96',
  HMAC_MD5_96: 'hmac-md5-96',
} as const;

type Row = readonly [name: string, hash: HashName, keyLength: number, tagLength: number, etm: boolean, isDefault: boolean];

// Key and tag lengths as AsyncSSH and OpenSSH use them (hmac-sha256@ssh.com takes a 16-byte key).
const HMAC_ROWS: readonly Row[] = [
  [MAC.HMAC_SHA2_256_ETM, 'sha256', 32, 32, true, true],
  [MAC.HMAC_SHA2_512_ETM, 'sha512', 64, 64, true, true],
  [MAC.HMAC_SHA1_ETM, 'sha1', 20, 20, true, true],
  [MAC.HMAC_SHA2_256, 'sha256', 32, 32, false, true],
  [MAC.HMAC_SHA2_512, 'sha512', 64, 64, false, true],
  [MAC.HMAC_SHA1, 'sha1', 20, 20, false, true],
  [MAC.HMAC_SHA256_2_SSHCOM, 'sha256', 32, 32, false, true],
  [MAC.HMAC_SHA224_SSHCOM, 'sha224', 28, 28, false, true],
  [MAC.HMAC_SHA256_SSHCOM, 'sha256', 16, 32, false, true],
  [MAC.HMAC_SHA384_SSHCOM, 'sha384', 48, 48, false, true],
  [MAC.HMAC_SHA512_SSHCOM, 'sha512', 64, 64, false, true],
  [MAC.HMAC_MD5_ETM, 'md5', 16, 16, true, false],
  [MAC.HMAC_SHA2_256_96_ETM, 'sha256', 32, 12, true, false],
  [MAC.HMAC_SHA2_512_96_ETM, 'sha512', 64, 12, true, false],
  [MAC.HMAC_SHA1_96_ETM, 'sha1', 20, 12, true, false],
  [MAC.HMAC_MD5_96_ETM, 'md5', 16, 12, true, false],
  [MAC.HMAC_MD5, 'md5', 16, 16, false, false],
  [MAC.HMAC_SHA2_256_96, 'sha256', 32, 12, false, false],
  [MAC.HMAC_SHA2_512_96, 'sha512', 64, 12, false, false],
  [MAC.HMAC_SHA1_96, 'sha1', 20, 12, false, false],
  [MAC.HMAC_MD5_96, 'md5', 16, 12, false, false],
];

function hmacSpec(row: Row): AlgorithmSpec<MacImpl> {
  const [name, hash, keyLength, tagLength, etm, isDefault] = row;
  const impl = hmacMac(hash, keyLength, tagLength, etm);
  return hash === 'md5' ? { name, default: isDefault, insecure: true, impl } : { name, default: isDefault, impl };
}

/** Preference order of the spec: UMAC and HMAC names interleave. */
const ORDER: readonly string[] = Object.values(MAC);

/** Every MAC algorithm, preference order. */
export const macAlgorithms: readonly AlgorithmSpec<MacImpl>[] = /* @__PURE__ */ (() => {
  const byName = new Map<string, AlgorithmSpec<MacImpl>>();
  for (const row of HMAC_ROWS) byName.set(row[0], hmacSpec(row));
  byName.set(MAC.UMAC64_ETM, { name: MAC.UMAC64_ETM, default: true, impl: umacMac(8, true) });
  byName.set(MAC.UMAC128_ETM, { name: MAC.UMAC128_ETM, default: true, impl: umacMac(16, true) });
  byName.set(MAC.UMAC64, { name: MAC.UMAC64, default: true, impl: umacMac(8, false) });
  byName.set(MAC.UMAC128, { name: MAC.UMAC128, default: true, impl: umacMac(16, false) });
  return ORDER.flatMap((n) => {
    const spec = byName.get(n);
    return spec === undefined ? [] : [spec];
  });
})();

export type { Mac, MacImpl } from './types.ts';
