/**
 * The algorithm names @ssh/config accepts in ssh_config and sshd_config algorithm lists cover
 * every name this toolkit negotiates: @ssh/crypto's registry and @ssh/keys' key, signature,
 * certificate and X.509 names (the config package imports neither, so it writes them out).
 */
import { listAlgorithms } from '@ssh/crypto';
import { ConfigParseError, parseClientConfig, parseServerConfig, resolveClientConfig, resolveServerConfig, type HostEnvironment } from '@ssh/config';
import { KEY_TYPES, SIGNATURE_ALGORITHMS, certTypeFor, x509Algorithms } from '@ssh/keys';
import { describe, expect, test } from 'vitest';

const env: HostEnvironment = {
  localUser: 'u',
  localUid: 1000,
  homeDir: '/home/u',
  localHostname: 'box',
  env: {},
  readFile: () => '',
  glob: () => [],
  exec: () => 1,
};

function accepted(text: string): boolean {
  try {
    resolveClientConfig(parseClientConfig({ text, file: 'ssh_config' }, env), { host: 'h' }, env);
    resolveServerConfig(parseServerConfig({ text, file: 'sshd_config' }, env), { user: 'u' }, env);
    return true;
  } catch (e) {
    if (e instanceof ConfigParseError) return false;
    throw e;
  }
}

const keyNames = [...new Set([...KEY_TYPES, ...SIGNATURE_ALGORITHMS, ...KEY_TYPES.map(certTypeFor), ...SIGNATURE_ALGORITHMS.filter((n) => n.startsWith('rsa-sha2-')).map(certTypeFor), ...KEY_TYPES.flatMap(x509Algorithms)])];

describe('algorithm names of this toolkit in config files', () => {
  test.each(listAlgorithms('cipher'))('Ciphers %s', (n) => expect(accepted(`Ciphers ${n}\n`)).toBe(true));
  test.each(listAlgorithms('mac'))('MACs %s', (n) => expect(accepted(`MACs ${n}\n`)).toBe(true));
  test.each(listAlgorithms('kex'))('KexAlgorithms %s', (n) => expect(accepted(`KexAlgorithms ${n}\n`)).toBe(true));
  test.each(keyNames)('HostKeyAlgorithms, PubkeyAcceptedAlgorithms, HostbasedAcceptedAlgorithms %s', (n) =>
    expect(accepted(`HostKeyAlgorithms ${n}\nPubkeyAcceptedAlgorithms ${n}\nHostbasedAcceptedAlgorithms ${n}\n`)).toBe(true),
  );
  test.each(SIGNATURE_ALGORITHMS)('CASignatureAlgorithms %s', (n) => expect(accepted(`CASignatureAlgorithms ${n}\n`)).toBe(true));
  test('a name neither knows is refused', () => {
    for (const k of ['Ciphers', 'MACs', 'KexAlgorithms', 'HostKeyAlgorithms', 'CASignatureAlgorithms']) expect(accepted(`${k} no-such-algorithm\n`)).toBe(false);
  });
});
