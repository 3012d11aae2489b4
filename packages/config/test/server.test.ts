import { describe, expect, test } from 'vitest';
import {
  ConfigParseError,
  expandAuthorizedKeysPath,
  parseServerConfig,
  resolveServerConfig,
  type ResolvedServerConfig,
  type ServerConnection,
} from '../src/index.ts';
import { memEnv, type MemEnvOptions } from './helpers/mem-env.ts';

function resolve(text: string, conn: ServerConnection, o: MemEnvOptions = {}): ResolvedServerConfig {
  const env = memEnv(o);
  return resolveServerConfig(parseServerConfig({ text, file: '/etc/ssh/sshd_config' }, env), conn, env);
}

function error(text: string, o: MemEnvOptions = {}): ConfigParseError {
  try {
    resolve(text, { user: 'u' }, o);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigParseError);
    return e as ConfigParseError;
  }
  throw new Error('expected a ConfigParseError');
}

const BASE = 'HostKey /k1\nHostKey /k2\nPort 22\nPort 2222\nPasswordAuthentication no\nClientAliveInterval 1m\nRekeyLimit 1G 1h\n';

describe('global settings', () => {
  test('first value wins; HostKey and Port accumulate', () => {
    const r = resolve(`${BASE}PasswordAuthentication yes\n`, {});
    expect(r.options).toMatchObject({ serverHostKeys: ['/k1', '/k2'], ports: [22, 2222], passwordAuth: false, keepaliveInterval: 60 });
    expect(r.options).toMatchObject({ rekeyBytes: 1073741824, rekeySeconds: 3600 });
  });
});

describe('Match', () => {
  const text = `${BASE}Match User bob,carol Address 10.0.0.0/8\n PasswordAuthentication yes\n RekeyLimit 2G\nMatch Group wheel\n PermitTTY no\nMatch Host *.example.com LocalPort 2222\n ClientAliveInterval 5\nMatch LocalAddress 192.168.0.0/16 RDomain r*\n AllowAgentForwarding no\nMatch all\n PubkeyAuthentication no\n`;
  test('a matching block overrides the global value, only for that connection', () => {
    const bob = resolve(text, { user: 'bob', address: '10.1.2.3' });
    expect(bob.options.passwordAuth).toBe(true);
    expect(bob.settings.get('passwordauthentication')).toMatchObject({ fromMatch: true });
    // The byte limit comes from the Match block, the interval stays global.
    expect(bob.options).toMatchObject({ rekeyBytes: 2147483648, rekeySeconds: 3600 });
    expect(resolve(text, { user: 'bob', address: '192.168.1.1' }).options.passwordAuth).toBe(false);
    expect(resolve(text, { user: 'dave', address: '10.1.2.3' }).options.passwordAuth).toBe(false);
  });
  test('Group asks the environment for the user\'s groups', () => {
    const groups = { bob: ['users', 'wheel'], dave: ['users'] };
    expect(resolve(text, { user: 'bob' }, { groups }).options.allowPty).toBe(false);
    expect(resolve(text, { user: 'dave' }, { groups }).options.allowPty).toBeUndefined();
    expect(resolve(text, { user: 'ghost' }, { groups }).options.allowPty).toBeUndefined();
  });
  // Every Match Group line asked again, and the Node environment answers with a process (id -Gn).
  test('the user\'s groups are asked for once per resolution, however many Match Group lines', () => {
    const env = memEnv({ groups: { bob: ['users', 'wheel'] } });
    const asked: string[] = [];
    const counting = { ...env, groupsOf: (user: string) => (asked.push(user), env.groupsOf?.(user)) };
    const cfg = parseServerConfig({ text: 'Match Group wheel\n PermitTTY no\nMatch Group x\n PermitTTY yes\nMatch Group !x,users\n PasswordAuthentication no\n', file: 'f' }, counting);
    expect(resolveServerConfig(cfg, { user: 'bob' }, counting).options).toMatchObject({ allowPty: false, passwordAuth: false });
    expect(asked).toEqual(['bob']);
  });
  test('Host (case-insensitive), LocalPort, LocalAddress, RDomain, all', () => {
    expect(resolve(text, { host: 'A.Example.COM', localPort: 2222 }).options.keepaliveInterval).toBe(5);
    expect(resolve(text, { host: 'a.example.com', localPort: 22 }).options.keepaliveInterval).toBe(60);
    expect(resolve(text, { localAddress: '192.168.4.4', rdomain: 'red' }).options.agentForwarding).toBe(false);
    expect(resolve(text, { localAddress: '192.168.4.4' }).options.agentForwarding).toBeUndefined();
    expect(resolve(text, {}).options.publicKeyAuth).toBe(false);
  });
  test('negated criteria (an extension over sshd 9.2)', () => {
    expect(resolve('Match !User root\n PermitTTY no\n', { user: 'bob' }).options.allowPty).toBe(false);
    expect(resolve('Match !User root\n PermitTTY no\n', { user: 'root' }).options.allowPty).toBeUndefined();
  });
  test('Include takes ~ literally (sshd globs without GLOB_TILDE), ~user too', () => {
    const files = { '/home/alice/inc': 'PermitTTY no\n', '/srv/bob/inc': 'PermitTTY no\n', '~/lit': 'PermitTTY yes\n' };
    const o = { files, homes: { bob: '/srv/bob' } };
    expect(resolve('Include ~/inc ~bob/inc\n', {}, o).options.allowPty).toBeUndefined();
    expect(resolve('Include ~/lit\n', {}, o).options.allowPty).toBe(true);
  });
  test('Include inside a non-matching Match never matches; before the first Match it does', () => {
    const files = { '/etc/ssh/inc': 'Match User bob\n PermitTTY no\n' };
    expect(resolve('Include inc\n', { user: 'bob' }, { files }).options.allowPty).toBe(false);
    expect(resolve('Match User bob\n Include inc\n', { user: 'bob' }, { files }).options.allowPty).toBe(false);
    expect(resolve('Match User carol\n Include inc\n', { user: 'bob' }, { files }).options.allowPty).toBeUndefined();
  });
});

describe('bad input', () => {
  test.each([
    ['Match User bob\n Ciphers aes128-ctr', 2, /not allowed within a Match block/],
    ['BindAddress 1.2.3.4', 1, /Bad configuration option: bindaddress/],
    ['Host x', 1, /Bad configuration option: host/],
    ['Match Address 10.0.0.1/8', 1, /Invalid Match address/],
    ['Match LocalPort 99999', 1, /Invalid LocalPort/],
    ['Match User', 1, /Missing Match criteria/],
    ['Match User x all', 1, /cannot be combined/],
    ['Match Bogus x', 1, /Unsupported Match attribute/],
    ['Port 0', 1, /Bad port/],
    ['LoginGraceTime 1.5', 1, /invalid time value/],
    ['RekeyLimit 1G default', 1, /invalid time value/],
    ['Include /etc/ssh/loop', 2, /Include loop/],
  ])('%j', (text, line, re) => {
    const e = error(`\n${text}\n`, { files: { '/etc/ssh/loop': 'Include /etc/ssh/loop\n' } });
    expect(e.message).toMatch(re);
    if (!/loop/.test(text)) expect(e.line).toBe(line + 1);
  });
  test('Match all makes non-Match keywords legal again (sshd reads them at start-up)', () => {
    expect(resolve('Match all\nPort 23\n', {}).options.ports).toEqual([23]);
  });
});

// Accumulating keywords copied their whole list (and the lines it came from) for every line:
// quadratic in the number of lines.
test('many lines of accumulating keywords are combined in linear time', () => {
  const n = 40_000;
  const lines = Array.from({ length: n }, (_, i) => `HostKey /k${i}\nAcceptEnv V${i} W${i}\n`).join('');
  const r = resolve(lines, {});
  expect(r.options.serverHostKeys).toHaveLength(n);
  expect(r.settings.get('acceptenv')?.value).toHaveLength(2 * n);
  expect(r.settings.get('hostkey')?.sources).toHaveLength(n);
});

test('AuthorizedKeysFile stays unexpanded; expandAuthorizedKeysPath expands per user', () => {
  const r = resolve('AuthorizedKeysFile .ssh/authorized_keys /etc/keys/%u\n', {});
  expect(r.options.authorizedClientKeys).toEqual(['.ssh/authorized_keys', '/etc/keys/%u']);
  const user = { name: 'bob', uid: 1001, homeDir: '/home/bob' };
  expect(expandAuthorizedKeysPath('.ssh/authorized_keys', user)).toBe('/home/bob/.ssh/authorized_keys');
  expect(expandAuthorizedKeysPath('/etc/keys/%u-%U%%', user)).toBe('/etc/keys/bob-1001%');
  expect(expandAuthorizedKeysPath('%h/k', user)).toBe('/home/bob/k');
  expect(() => expandAuthorizedKeysPath('%x', user)).toThrow(ConfigParseError);
  expect(resolve('AuthorizedKeysFile none\n', {}).options.authorizedClientKeys).toBeNull();
});

describe('ForceCommand and VersionAddendum', () => {
  const value = (text: string, conn: ServerConnection = { user: 'u' }): { force: unknown; addendum: unknown } => {
    const r = resolve(text, conn);
    return { force: r.settings.get('forcecommand')?.value, addendum: r.settings.get('versionaddendum')?.value };
  };
  test('the rest of the line as written (quotes, comments, control characters kept); `none` in any case is none', () => {
    expect(value('ForceCommand /bin/echo "a b"  c # x\nVersionAddendum  hello \t world\n')).toEqual({ force: ['/bin/echo "a b"  c # x'], addendum: ['hello \t world'] });
    expect(value('ForceCommand NoNe\nVersionAddendum NONE\n')).toEqual({ force: ['none'], addendum: ['none'] });
    expect(value('ForceCommand "none"\nVersionAddendum ""\n')).toEqual({ force: ['"none"'], addendum: ['""'] });
    expect(value('ForceCommand x\ry\n').force).toEqual(['x\ry']);
  });
  test('ForceCommand in Match: the block that applies overrides the global value, `none` included', () => {
    expect(value('ForceCommand /a\nMatch User u\n  ForceCommand none\n').force).toEqual(['none']);
    expect(value('ForceCommand /a\nMatch User v\n  ForceCommand /b\n').force).toEqual(['/a']);
  });
  test('VersionAddendum refuses a carriage return inside, and Match', () => {
    expect(error('VersionAddendum x\ry\n').message).toContain('Invalid VersionAddendum argument');
    expect(error('Match User u\n  VersionAddendum x\n').message).toContain('not allowed within a Match block');
  });
});

describe('MaxStartups', () => {
  const value = (text: string): unknown => resolve(text, { user: 'u' }).settings.get('maxstartups')?.value;
  test('start:rate:full as sshd -T prints it: `start` alone is start:rate:start, the rate kept from an earlier line', () => {
    expect(value('MaxStartups 10:30:100\n')).toEqual({ start: 10, rate: 30, full: 100 });
    expect(value('MaxStartups 10\n')).toEqual({ start: 10, rate: 30, full: 10 });
    expect(value('MaxStartups 10:x:60\n')).toEqual({ start: 10, rate: 30, full: 10 });
    expect(value('MaxStartups 10:40:60\nMaxStartups 5\n')).toEqual({ start: 5, rate: 40, full: 5 });
    expect(value('MaxStartups 5\nMaxStartups 20:40:60\n')).toEqual({ start: 20, rate: 40, full: 60 });
    expect(value('MaxStartups 10:100:100\n')).toEqual({ start: 10, rate: 100, full: 100 });
  });
  test.each(['10:30', '10:101:100', '100:30:10', '10:0:100', '0', '0:30:100', '10:30:-1'])('%s is refused', (v) => {
    expect(error(`MaxStartups ${v}\n`).message).toContain('Invalid MaxStartups spec.');
  });
});

describe('service names for ports (a2port: a decimal port, else getservbyname(name, "tcp"))', () => {
  const services = { ssh: 22, http: 80 };
  test('Port, ListenAddress, PermitOpen, PermitListen and Match LocalPort take a service name', () => {
    const r = resolve('Port ssh\nListenAddress 127.0.0.1:http\nPermitOpen h:ssh\nPermitListen http\nMatch LocalPort ssh\n  PasswordAuthentication no\n', { user: 'u', localPort: 22 }, { services });
    expect(r.options.ports).toEqual([22]);
    expect(r.settings.get('listenaddress')?.value).toEqual(['127.0.0.1:http']);
    expect(r.settings.get('permitopen')?.value).toEqual(['h:ssh']);
    expect(r.options.passwordAuth).toBe(false);
    expect(resolve('Match LocalPort ssh\n  PasswordAuthentication no\n', { user: 'u', localPort: 2222 }, { services }).options.passwordAuth).toBeUndefined();
  });
  test('an unknown name is refused as before', () => {
    expect(error('Port SSH\n', { services }).message).toContain("Bad port 'SSH'");
    expect(error('ListenAddress 127.0.0.1:nosuch\n', { services }).message).toContain('bad port number');
    expect(error('PermitListen nosuch\n', { services }).message).toContain('bad port number');
    expect(error('Match LocalPort nosuch\n  PasswordAuthentication no\n', { services }).message).toContain("Invalid LocalPort 'nosuch'");
  });
  test('a line of many names is read in linear time, each name asked once', () => {
    const n = 20_000;
    const names = Array.from({ length: n }, (_, i) => `svc${i}`);
    const env = memEnv({ services: Object.fromEntries(names.map((s, i) => [s, 1 + (i % 65535)])) });
    const r = resolveServerConfig(parseServerConfig({ text: `PermitOpen ${names.map((s) => `h:${s}`).join(' ')}\n`, file: 'f' }, env), { user: 'u' }, env);
    expect(r.settings.get('permitopen')?.value).toHaveLength(n);
    expect(env.serviceLog).toHaveLength(n);
    const unknown = memEnv({ services: {} });
    expect(() => parseServerConfig({ text: `PermitListen ${names.join(' ')}\n`, file: 'f' }, unknown)).toThrow('bad port number');
  });
});

describe('~ and ~user in HostKey, HostCertificate and AuthorizedKeysFile', () => {
  const homes = { bob: '/home/bob' };
  test('expanded from homeDir and the password database, as sshd tilde_expand does', () => {
    const r = resolve('HostKey ~bob/k\nHostKey ~\nHostCertificate ~//c\nAuthorizedKeysFile ~bob/.ssh/ak .ssh/x ~\n', {}, { homes });
    expect(r.options).toMatchObject({ serverHostKeys: ['/home/bob/k', '/home/alice/'], serverHostCerts: ['/home/alice/c'], authorizedClientKeys: ['/home/bob/.ssh/ak', '.ssh/x', '/home/alice/'] });
  });
  test('no such user is an error on its line', () => {
    const e = error('Port 22\nHostKey /k\nHostKey ~nobody/k\n', { homes });
    expect([e.line, e.message]).toEqual([3, expect.stringMatching(/HostKey: No such user nobody/)]);
  });
});

describe('algorithm lists', () => {
  test('names this toolkit supports and OpenSSH 9.2 lacks are accepted', () => {
    const r = resolve('Ciphers arcfour256\nMACs hmac-sha512@ssh.com\nKexAlgorithms curve448-sha512\nHostKeyAlgorithms x509v3-ssh-rsa\nCASignatureAlgorithms ssh-ed448\n', {});
    expect(r.options).toMatchObject({ encryptionAlgs: 'arcfour256', macAlgs: 'hmac-sha512@ssh.com', kexAlgs: 'curve448-sha512', caSignatureAlgs: 'ssh-ed448' });
  });
  test('a list sshd cannot assemble is refused on its line', () => {
    const e = error('Port 22\nPubkeyAcceptedAlgorithms rsa\n');
    expect([e.line, e.message]).toEqual([2, expect.stringMatching(/PubkeyAcceptedAlgorithms: invalid argument/)]);
    expect(error('Ciphers ,\n').message).toMatch(/Ciphers: invalid argument/);
  });
});
