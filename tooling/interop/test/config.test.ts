import { describe, expect, it } from 'vitest';
import { InteropError, describeCommand } from '../src/errors.ts';
import { knownHostsLines, parsePublicKeyLine, sshdConfigText } from '../src/index.ts';

const base = {
  config: [] as string[],
  trailingConfig: [] as string[],
  hostKeyPaths: ['/k/ed25519', '/k/rsa'],
  authorizedKeysPath: '/k/authorized_keys',
  subsystems: { sftp: '/usr/lib/openssh/sftp-server' },
  passwordAuthentication: false,
  logLevel: 'VERBOSE' as const,
};

describe('sshdConfigText', () => {
  it('puts user lines before the defaults and trailing lines last', () => {
    const text = sshdConfigText({ ...base, config: ['LogLevel DEBUG3'], trailingConfig: ['Match User x', '  PermitTTY no'] });
    const lines = text.trimEnd().split('\n');
    expect(lines.indexOf('LogLevel DEBUG3')).toBeLessThan(lines.indexOf('LogLevel VERBOSE'));
    expect(lines.slice(-2)).toEqual(['Match User x', '  PermitTTY no']);
    expect(lines).toContain('HostKey /k/ed25519');
    expect(lines).toContain('HostKey /k/rsa');
    expect(lines).toContain('AuthorizedKeysFile /k/authorized_keys');
    expect(lines).toContain('Subsystem sftp /usr/lib/openssh/sftp-server');
    expect(lines).toContain('PasswordAuthentication no');
  });

  it('leaves a subsystem to the user when the user defines it (sshd rejects duplicates)', () => {
    const text = sshdConfigText({ ...base, config: ['subsystem SFTP internal-sftp'] });
    expect(text).not.toContain('Subsystem sftp /usr/lib/openssh/sftp-server');
  });
});

describe('knownHostsLines', () => {
  it('pins host keys in [host]:port form, without comments', () => {
    const target = { host: '127.0.0.1', port: 2222, hostPublicKeys: ['ssh-ed25519 AAAAC3Nz comment here', 'ssh-rsa AAAAB3Nz'] };
    expect(knownHostsLines(target)).toEqual(['[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nz', '[127.0.0.1]:2222 ssh-rsa AAAAB3Nz']);
    expect(knownHostsLines({ ...target, port: 22 })[0]).toBe('127.0.0.1 ssh-ed25519 AAAAC3Nz');
    expect(knownHostsLines({ host: 'h', port: 1 })).toEqual([]);
  });

  it('trusts host certificate authorities with @cert-authority lines', () => {
    const target = { host: '127.0.0.1', port: 2222, hostPublicKeys: ['ssh-rsa AAAAB3Nz'], hostCertAuthorities: ['ssh-ed25519 AAAAC3Ca ca comment'] };
    expect(knownHostsLines(target)).toEqual(['[127.0.0.1]:2222 ssh-rsa AAAAB3Nz', '@cert-authority [127.0.0.1]:2222 ssh-ed25519 AAAAC3Ca']);
  });
});

describe('parsePublicKeyLine', () => {
  it('splits the line and fingerprints the blob', () => {
    const parsed = parsePublicKeyLine('ssh-ed25519 AAAA a comment');
    expect(parsed.algorithm).toBe('ssh-ed25519');
    expect([...parsed.blob]).toEqual([0, 0, 0]);
    expect(parsed.comment).toBe('a comment');
    // SHA-256 of three zero bytes (sha256sum of printf '\0\0\0'), base64 without padding.
    expect(parsed.fingerprint).toBe('SHA256:cJ6AyISHokEeHuTfufIqhhSS0gxHZRUMDHlKvXD4FHw');
  });

  it('rejects a line without a key', () => {
    expect(() => parsePublicKeyLine('ssh-ed25519')).toThrow(InteropError);
  });
});

describe('describeCommand', () => {
  it('quotes only what needs quoting', () => {
    expect(describeCommand('/usr/bin/ssh', ['-F', '/tmp/x', 'echo hi'])).toBe('/usr/bin/ssh -F /tmp/x "echo hi"');
  });
});
