/**
 * clientHostKeysign against the real OpenSSH ssh-keysign and sshd. Neither the machine's
 * /etc/ssh nor the user's home is touched: ssh-keysign runs through a wrapper that gives it, in
 * its own mount namespace (unshare -m), an /etc/ssh holding `EnableSSHKeysign yes` and a client
 * host key; sshd runs likewise with an /etc/ssh holding ssh_known_hosts and a home holding
 * .shosts. Needs root (mount namespaces), as the harness runs.
 */
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKey, knownHostsLines, makeTempDir, removeTempDir, startHostbasedSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeysignError, PermissionDenied, connect, type SSHClientConnectionOptions } from '../src/index.ts';

/** A proxy command that relays its standard input and output to 127.0.0.1:port. */
function relay(port: number): string[] {
  const script = `const s = require('net').connect(${port}, '127.0.0.1'); process.stdin.pipe(s); s.pipe(process.stdout); s.on('close', () => process.exit(0));`;
  return [process.execPath, '-e', script];
}

const SSH_KEYSIGN = '/usr/lib/openssh/ssh-keysign';

describe('our client with the real ssh-keysign against sshd', () => {
  let dir: string;
  let sshd: SshdServer;
  let hostKey: KeyPair;
  /** A second client host key ssh-keysign holds, which sshd does not know. */
  let unknownHostKey: KeyPair;
  /** ssh-keysign with our /etc/ssh: enabled, holding hostKey. */
  let keysignEnabled: string;
  /** ssh-keysign with an ssh_config that does not enable it. */
  let keysignDisabled: string;

  /** A wrapper that runs the real ssh-keysign with `etc` as /etc/ssh (descriptor 3 passes through). */
  async function wrapper(name: string, etc: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\nexec unshare -m sh -c 'mount --bind "$0" /etc/ssh && exec ${SSH_KEYSIGN}' '${etc}'\n`, { mode: 0o755 });
    return file;
  }

  /** A directory to stand for /etc/ssh on the client: ssh_config, and the client host keys. */
  async function clientEtc(name: string, sshConfig: string): Promise<string> {
    const etc = path.join(dir, name);
    await mkdir(etc);
    await writeFile(path.join(etc, 'ssh_config'), sshConfig);
    await copyFile(hostKey.privateKeyPath, path.join(etc, 'ssh_host_ecdsa_key'));
    await chmod(path.join(etc, 'ssh_host_ecdsa_key'), 0o600);
    await writeFile(path.join(etc, 'ssh_host_ecdsa_key.pub'), `${hostKey.publicKey}\n`);
    await copyFile(unknownHostKey.privateKeyPath, path.join(etc, 'ssh_host_ed25519_key'));
    await chmod(path.join(etc, 'ssh_host_ed25519_key'), 0o600);
    return etc;
  }

  beforeAll(async () => {
    dir = await makeTempDir('keysign-interop');
    hostKey = await generateKey('ecdsa-p256', { label: 'keysign-client-host' });
    unknownHostKey = await generateKey('ed25519', { label: 'keysign-unknown-client-host' });
    keysignEnabled = await wrapper('keysign-enabled', await clientEtc('client-etc', 'Host *\n  EnableSSHKeysign yes\n'));
    keysignDisabled = await wrapper('keysign-disabled', await clientEtc('client-etc-off', 'Host *\n  HostbasedAuthentication yes\n'));
    // sshd: the client host's key in /etc/ssh/ssh_known_hosts, the host/user pair in ~/.shosts.
    // ssh-keysign signs for the name of the socket's local address, 127.0.0.1: localhost.
    sshd = await startHostbasedSshd(dir, { knownHosts: [`localhost ${hostKey.publicKey}`], shostsHosts: ['localhost'] });
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    if (dir) await removeTempDir(dir);
  });

  const options = (more: SSHClientConnectionOptions): SSHClientConnectionOptions => ({
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    knownHosts: new TextEncoder().encode(knownHostsLines(sshd).join('\n') + '\n'),
    agentPath: null,
    config: null,
    clientKeys: null,
    preferredAuth: 'hostbased',
    clientHostKeys: [hostKey.publicKeyPath],
    ...more,
  });

  it('logs in by hostbased: ssh-keysign signs with a host key only it reads, for the local address name', async () => {
    await using conn = await connect(options({ clientHostKeysign: keysignEnabled }));
    expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
    expect((await conn.run('true')).exitStatus).toBe(0);
    await sshd.waitForLog(/Accepted hostbased for \S+ from 127\.0\.0\.1/);
  });

  it('each host key is tried in turn: ssh-keysign signs for one sshd does not know, then for the one it knows', async () => {
    await using conn = await connect(options({ clientHostKeysign: keysignEnabled, clientHostKeys: [unknownHostKey.publicKeyPath, hostKey.publicKeyPath] }));
    expect(conn.getExtraInfo('authMethod')).toBe('hostbased');
    await sshd.waitForLog(/Failed hostbased for \S+ from 127\.0\.0\.1 port \d+ ssh2: ED25519/);
  });

  it('ssh-keysign not enabled in its ssh_config: hostbased is given up (PermissionDenied, no hang)', async () => {
    await expect(connect(options({ clientHostKeysign: keysignDisabled }))).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('a client host name that is not the local address name: ssh-keysign refuses to sign', async () => {
    await expect(connect(options({ clientHostKeysign: keysignEnabled, clientHost: 'other.example' }))).rejects.toBeInstanceOf(PermissionDenied);
  });

  it('over a proxy command: KeysignError when asked for; from ssh_config (EnableSSHKeysign) hostbased is only left out', async () => {
    const user = await generateKey('ed25519', { label: 'keysign-user' });
    await sshd.setAuthorizedKeys([user]);
    const proxyCommand = relay(sshd.port);
    await expect(connect(options({ clientHostKeysign: keysignEnabled, proxyCommand }))).rejects.toMatchObject({ reason: 'no-socket' });
    await expect(connect(options({ clientHostKeysign: keysignEnabled, proxyCommand }))).rejects.toBeInstanceOf(KeysignError);
    const config = path.join(dir, 'ssh_config');
    await writeFile(config, `Host *\n  EnableSSHKeysign yes\n`);
    // The keysign found is the system's, and the host keys offered /etc/ssh's: neither is used.
    const { clientHostKeys: _hostKeys, ...fromConfig } = options({ config, proxyCommand, clientKeys: [user.privateKeyPath], preferredAuth: 'hostbased,publickey' });
    await using conn = await connect(fromConfig);
    expect(conn.getExtraInfo('authMethod')).toBe('publickey');
  });

  it('a host key ssh-keysign does not hold: it refuses to sign', async () => {
    const other = await generateKey('ed25519', { label: 'keysign-other-host' });
    await expect(connect(options({ clientHostKeysign: keysignEnabled, clientHostKeys: [other.publicKeyPath] }))).rejects.toBeInstanceOf(PermissionDenied);
  });
});
