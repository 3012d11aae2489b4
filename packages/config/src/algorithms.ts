/**
 * Algorithm list keywords (Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms,
 * PubkeyAcceptedAlgorithms, HostbasedAcceptedAlgorithms, CASignatureAlgorithms): which names a
 * list may hold, checked as OpenSSH 9.2 checks them when it reads the line (readconf.c and
 * servconf.c with ciphers_valid, mac_valid, kex_names_valid and sshkey_names_valid2) and, for
 * sshd and the client's HostKeyAlgorithms, when it assembles the list (kex_assemble_names).
 *
 * The names are OpenSSH 9.2's and this toolkit's own (@ssh/crypto's registry, @ssh/keys' key
 * and signature types, their certificates and X.509 forms): a name either knows is accepted. This
 * package imports neither, so the names are written out here;
 * `packages/asyncssh/test/config-algorithms.test.ts` checks them against both registries.
 * @module
 */

import { matchPattern } from '@ssh/wire';
import { BadArgument, type ConfigLine } from './document.ts';
import { single } from './values.ts';

export type AlgorithmListKind = 'cipher' | 'mac' | 'kex' | 'key' | 'ca';

const CIPHERS: ReadonlySet<string> = new Set([
  // OpenSSH 9.2 (ssh -Q cipher)
  '3des-cbc', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr',
  'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com',
  // @ssh/crypto besides
  'blowfish-cbc', 'cast128-cbc', 'seed-cbc@ssh.com', 'arcfour256', 'arcfour128', 'arcfour',
]);

const MACS: ReadonlySet<string> = new Set([
  // OpenSSH 9.2 (ssh -Q mac)
  'hmac-sha1', 'hmac-sha1-96', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-md5', 'hmac-md5-96',
  'umac-64@openssh.com', 'umac-128@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha1-96-etm@openssh.com',
  'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-md5-etm@openssh.com',
  'hmac-md5-96-etm@openssh.com', 'umac-64-etm@openssh.com', 'umac-128-etm@openssh.com',
  // @ssh/crypto besides
  'hmac-sha256-2@ssh.com', 'hmac-sha224@ssh.com', 'hmac-sha256@ssh.com', 'hmac-sha384@ssh.com', 'hmac-sha512@ssh.com',
  'hmac-sha2-256-96-etm@openssh.com', 'hmac-sha2-512-96-etm@openssh.com', 'hmac-sha2-256-96', 'hmac-sha2-512-96',
]);

const KEX: ReadonlySet<string> = new Set([
  // OpenSSH 9.2 (ssh -Q kex)
  'diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group-exchange-sha1',
  'diffie-hellman-group-exchange-sha256', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
  'curve25519-sha256', 'curve25519-sha256@libssh.org', 'sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com',
  // @ssh/crypto besides
  'mlkem768x25519-sha256', 'mlkem768nistp256-sha256', 'mlkem1024nistp384-sha384', 'curve448-sha512',
  'ecdh-sha2-1.3.132.0.10', 'diffie-hellman-group15-sha512', 'diffie-hellman-group17-sha512',
  'diffie-hellman-group14-sha256@ssh.com', 'rsa2048-sha256', 'diffie-hellman-group-exchange-sha224@ssh.com',
  'diffie-hellman-group-exchange-sha384@ssh.com', 'diffie-hellman-group-exchange-sha512@ssh.com',
  'diffie-hellman-group14-sha224@ssh.com', 'diffie-hellman-group15-sha256@ssh.com', 'diffie-hellman-group15-sha384@ssh.com',
  'diffie-hellman-group16-sha384@ssh.com', 'diffie-hellman-group16-sha512@ssh.com', 'diffie-hellman-group18-sha512@ssh.com',
  'rsa1024-sha1',
]);

/** Plain key and signature algorithm names (no certificates). */
const PLAIN_KEYS: readonly string[] = [
  // OpenSSH 9.2 (ssh -Q key-sig, plain)
  'ssh-ed25519', 'sk-ssh-ed25519@openssh.com', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com', 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-dss', 'ssh-rsa',
  'rsa-sha2-256', 'rsa-sha2-512',
  // @ssh/keys besides
  'ssh-ed448', 'ecdsa-sha2-1.3.132.0.10', 'ssh-rsa-sha224@ssh.com', 'ssh-rsa-sha256@ssh.com', 'ssh-rsa-sha384@ssh.com',
  'ssh-rsa-sha512@ssh.com',
];

/** OpenSSH certificate names: `-cert-v01@openssh.com` after the name without its `@openssh.com`. */
const certName = (name: string): string => `${name.replace(/@openssh\.com$/, '')}-cert-v01@openssh.com`;

const CERT_KEYS: readonly string[] = [
  ...['ssh-ed25519', 'sk-ssh-ed25519@openssh.com', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'].map(certName),
  ...['sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-dss', 'ssh-rsa', 'rsa-sha2-256', 'rsa-sha2-512'].map(certName),
  ...['ssh-ed448', 'ecdsa-sha2-1.3.132.0.10'].map(certName),
  // X.509 (RFC 6187) names @ssh/keys signs and verifies with.
  'x509v3-rsa2048-sha256', 'x509v3-ssh-rsa', 'x509v3-ssh-dss', 'x509v3-ssh-ed25519', 'x509v3-ssh-ed448',
  'x509v3-ecdsa-sha2-nistp256', 'x509v3-ecdsa-sha2-nistp384', 'x509v3-ecdsa-sha2-nistp521', 'x509v3-ecdsa-sha2-1.3.132.0.10',
];

const KEYS: ReadonlySet<string> = new Set([...PLAIN_KEYS, ...CERT_KEYS]);

/** sshkey.c's short names of plain key types, matched without regard to case (`RSA`, `ed25519`). */
const SHORT_NAMES: ReadonlySet<string> = new Set(['ed25519', 'ed25519-sk', 'ecdsa', 'ecdsa-sk', 'dsa', 'rsa']);

/** Every name of a kind: what a list's patterns are matched against when it is assembled. */
const ALL: Readonly<Record<AlgorithmListKind, readonly string[]>> = {
  cipher: [...CIPHERS],
  mac: [...MACS],
  kex: [...KEX],
  key: [...KEYS],
  ca: PLAIN_KEYS,
};

/** Whether one element of a list is a name OpenSSH (or this toolkit) would take, as the line is read. */
function validElement(kind: AlgorithmListKind, element: string): boolean {
  switch (kind) {
    case 'cipher':
      return CIPHERS.has(element);
    case 'mac':
      return MACS.has(element);
    case 'kex':
      return KEX.has(element);
    case 'key':
    case 'ca': {
      // sshkey_names_valid2 with wildcards: a name, a short name, or a pattern (negated or not)
      // that matches some key type.
      if (KEYS.has(element) || SHORT_NAMES.has(element.toLowerCase())) return true;
      const pattern = element.startsWith('!') ? element.slice(1) : element;
      return ALL.key.some((n) => matchPattern(n, pattern));
    }
  }
}

/**
 * Checks an algorithm list as OpenSSH reads it: a `-` list is not checked; otherwise, after an
 * optional `+` or `^`, the list may not be empty and each name up to the first empty one must be
 * known. Returns the list as written.
 */
export function checkAlgorithmList(kind: AlgorithmListKind, arg: string, what: string): string {
  if (arg.startsWith('-')) return arg;
  const body = arg.startsWith('+') || arg.startsWith('^') ? arg.slice(1) : arg;
  if (body === '') throw new BadArgument(`Bad ${what} '${arg}'.`);
  for (const e of body.split(',')) {
    // strsep's loop ends at the first empty element: what follows it is not looked at.
    if (e === '') break;
    if (!validElement(kind, e)) throw new BadArgument(`Bad ${what} '${arg}'.`);
  }
  return arg;
}

/**
 * kex_assemble_names' refusals, which sshd applies to every list when it starts and ssh to
 * HostKeyAlgorithms when it connects: no negated pattern in a `+`, `^` or explicit list, and an
 * explicit list must name at least one known algorithm. Returns undefined when the list is good.
 */
export function assembleProblem(kind: AlgorithmListKind, arg: string): string | undefined {
  if (arg.startsWith('-')) return undefined;
  const explicit = !(arg.startsWith('+') || arg.startsWith('^'));
  const elements = (explicit ? arg : arg.slice(1)).split(',');
  if (elements.some((e) => e.startsWith('!'))) return 'invalid argument';
  if (explicit && !elements.some((e) => ALL[kind].some((n) => matchPattern(n, e)))) return 'invalid argument';
  return undefined;
}

/** An algorithm list keyword's value, its names checked as ssh/sshd check them when they read the line. */
export const algorithmList =
  (kind: AlgorithmListKind, what: string) =>
  (line: ConfigLine): string =>
    checkAlgorithmList(kind, single(line), what);

/** An algorithm list the connection does not use: checked the same way, kept as the raw argument. */
export const uncheckedAlgorithmList =
  (kind: AlgorithmListKind) =>
  (line: ConfigLine): readonly string[] => [checkAlgorithmList(kind, single(line), 'key types')];
