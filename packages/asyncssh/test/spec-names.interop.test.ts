/**
 * Names of AsyncSSH's API that @ssh/asyncssh exports beside connect()/listen(), each used through
 * the package's public entry: the key file functions and the SSHKey/SSHCertificate write/append
 * methods, the agent client against a real ssh-agent, the flat constants against their RFC and
 * draft numbers, setSftpLogLevel on a real SFTP session, PasswordChangeRequired thrown by a
 * server's handlers (our client, OpenSSH ssh and AsyncSSH's client), and TimeoutError from run().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAsyncsshClient, runSsh, startSshAgent, type SshAgent } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as asyncssh from '../src/index.ts';
import {
  KeyEncryptionError,
  KeyImportError,
  PasswordChangeRequired,
  ProcessError,
  ProcessTimeoutError,
  SSHAgentClient,
  SSHAgentKeyPair,
  SSHClient,
  SSHLogger,
  SSHServer,
  TimeoutError,
  connect,
  connectAgent,
  generatePrivateKey,
  listen,
  loadCertificates,
  loadKeypairs,
  loadPublicKeys,
  readAllowedSigners,
  readAuthorizedKeys,
  readCertificate,
  readCertificateList,
  readKnownHosts,
  readPrivateKey,
  readPrivateKeyList,
  readPublicKey,
  readPublicKeyList,
  setLogLevel,
  setLogSink,
  setSftpLogLevel,
  type LogRecord,
  type PasswordChangeRequest,
  type SSHAcceptor,
  type SSHServerProcess,
} from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'asyncssh-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('key files', () => {
  const key = generatePrivateKey('ssh-ed25519', { comment: 'me' });
  const ca = generatePrivateKey('ecdsa-sha2-nistp256');

  it('write with the methods, read back with the functions', async () => {
    const p = join(dir, 'id_ed25519');
    await key.writePrivateKey(p, 'openssh', { passphrase: 'secret', rounds: 2 });
    await key.writePublicKey(`${p}.pub`);
    await ca.appendPublicKey(`${p}.pub`);
    const cert = ca.generateUserCertificate(key, 'me-cert', { principals: ['me'] });
    await cert.writeCertificate(`${p}-cert.pub`);
    await cert.appendCertificate(`${p}-cert.pub`);
    await cert.writeCertificate(`${p}-cert.rfc`, 'rfc4716');
    expect((await readCertificate(`${p}-cert.rfc`)).keyId).toBe('me-cert');

    await expect(readPrivateKey(p)).rejects.toBeInstanceOf(KeyEncryptionError);
    const back = await readPrivateKey(p, 'secret');
    expect(back.equals(key)).toBe(true);
    expect(back.getComment()).toBe('me');
    expect(await readPrivateKeyList(p, 'secret')).toHaveLength(1);
    expect((await readPublicKey(`${p}.pub`)).equals(key)).toBe(true);
    expect(await readPublicKeyList(`${p}.pub`)).toHaveLength(2);
    expect((await readCertificate(`${p}-cert.pub`)).keyId).toBe('me-cert');
    expect(await readCertificateList(`${p}-cert.pub`)).toHaveLength(2);

    const pairs = await loadKeypairs(p, { passphrase: 'secret' });
    expect(pairs.map((x) => x.getKeyType())).toEqual(['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519']);
    expect(await loadKeypairs([p, ca], { ignoreEncrypted: true })).toHaveLength(1);
    expect(await loadKeypairs([{ key: back, cert: null }], 'secret')).toHaveLength(1);
    expect(await loadPublicKeys(`${p}.pub`)).toHaveLength(2);
    expect(await loadCertificates([`${p}-cert.pub`])).toHaveLength(2);

    await key.appendPrivateKey(p, 'pkcs8-pem');
    await expect(readPrivateKeyList(p)).rejects.toBeInstanceOf(KeyEncryptionError);
  });

  it('known_hosts, authorized_keys and allowed_signers files', async () => {
    const line = text(key.exportPublicKey()).trim();
    writeFileSync(join(dir, 'known_hosts'), `host.example ${line}\n`);
    writeFileSync(join(dir, 'known_hosts2'), `@cert-authority *.example ${text(ca.exportPublicKey())}`);
    const known = await readKnownHosts([join(dir, 'known_hosts'), join(dir, 'known_hosts2')]);
    expect(known.match('host.example').hostKeys).toHaveLength(1);
    expect(known.match('host.example').caKeys).toHaveLength(1);
    writeFileSync(join(dir, 'authorized_keys'), `from="10.0.0.0/8" ${line}\n`);
    const auth = await readAuthorizedKeys(join(dir, 'authorized_keys'));
    expect(auth.validate(key, { clientAddr: '10.1.2.3' })).toBeDefined();
    expect(auth.validate(key, { clientAddr: '192.0.2.1' })).toBeUndefined();
    writeFileSync(join(dir, 'allowed_signers'), `me@example ${line}\n`);
    expect((await readAllowedSigners(join(dir, 'allowed_signers'))).entries).toHaveLength(1);
  });

  it('a corrupt key file gives a KeyImportError', async () => {
    const p = join(dir, 'corrupt');
    writeFileSync(p, '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA=\n-----END OPENSSH PRIVATE KEY-----\n');
    await expect(readPrivateKey(p)).rejects.toBeInstanceOf(KeyImportError);
    await expect(loadKeypairs([p])).rejects.toBeInstanceOf(KeyImportError);
    writeFileSync(p, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA garbage\n');
    await expect(readPublicKey(p)).rejects.toBeInstanceOf(KeyImportError);
    await expect(readCertificate(p)).rejects.toBeInstanceOf(KeyImportError);
  });
});

describe('agent', () => {
  let agent: SshAgent;
  beforeAll(async () => {
    agent = await startSshAgent();
  });
  afterAll(async () => agent?.stop());

  it('connectAgent reaches ssh-agent: add, list, sign, remove', async () => {
    const client = await connectAgent(agent.socketPath);
    try {
      expect(client).toBeInstanceOf(SSHAgentClient);
      const key = generatePrivateKey('ssh-ed25519', { comment: 'agent-key' });
      await client.addKeys([key]);
      const [listed, ...rest] = await client.getKeys();
      expect(rest).toHaveLength(0);
      expect(listed).toBeInstanceOf(SSHAgentKeyPair);
      expect(listed?.getComment()).toBe('agent-key');
      const data = new TextEncoder().encode('sign me');
      expect(key.verify(data, await (listed as SSHAgentKeyPair).sign(data))).toBe(true);
      await client.removeAll();
      expect(await client.getKeys()).toHaveLength(0);
    } finally {
      client.close();
    }
    await expect(connectAgent(join(dir, 'no-agent.sock'))).rejects.toThrow();
  });
});

describe('constants', () => {
  it('disconnect reasons: RFC 4253 §11.1', () => {
    const names = [
      'HOST_NOT_ALLOWED_TO_CONNECT',
      'PROTOCOL_ERROR',
      'KEY_EXCHANGE_FAILED',
      'RESERVED',
      'MAC_ERROR',
      'COMPRESSION_ERROR',
      'SERVICE_NOT_AVAILABLE',
      'PROTOCOL_VERSION_NOT_SUPPORTED',
      'HOST_KEY_NOT_VERIFIABLE',
      'CONNECTION_LOST',
      'BY_APPLICATION',
      'TOO_MANY_CONNECTIONS',
      'AUTH_CANCELLED_BY_USER',
      'NO_MORE_AUTH_METHODS_AVAILABLE',
      'ILLEGAL_USER_NAME',
    ];
    expect(names.map((n) => (asyncssh as Record<string, unknown>)[`DISC_${n}`])).toEqual(names.map((_, i) => i + 1));
  });

  it('channel open failures: RFC 4254 §5.1 and AsyncSSH 2.10.1 own codes', () => {
    expect([asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, asyncssh.OPEN_CONNECT_FAILED, asyncssh.OPEN_UNKNOWN_CHANNEL_TYPE, asyncssh.OPEN_RESOURCE_SHORTAGE]).toEqual([1, 2, 3, 4]);
    // python3 -c 'import asyncssh.constants as c; print(c.OPEN_REQUEST_X11_FORWARDING_FAILED, ...)'
    expect([asyncssh.OPEN_REQUEST_X11_FORWARDING_FAILED, asyncssh.OPEN_REQUEST_PTY_FAILED, asyncssh.OPEN_REQUEST_SESSION_FAILED]).toEqual([0xfffffffd, 0xfffffffe, 0xffffffff]);
    expect(asyncssh.EXTENDED_DATA_STDERR).toBe(1); // RFC 4254 §5.2
  });

  it('SFTP status codes: filexfer-13 §9.1, 0 to 31 in order', () => {
    const names = [
      'OK', 'EOF', 'NO_SUCH_FILE', 'PERMISSION_DENIED', 'FAILURE', 'BAD_MESSAGE', 'NO_CONNECTION', 'CONNECTION_LOST', 'OP_UNSUPPORTED',
      'INVALID_HANDLE', 'NO_SUCH_PATH', 'FILE_ALREADY_EXISTS', 'WRITE_PROTECT', 'NO_MEDIA', 'NO_SPACE_ON_FILESYSTEM', 'QUOTA_EXCEEDED',
      'UNKNOWN_PRINCIPAL', 'LOCK_CONFLICT', 'DIR_NOT_EMPTY', 'NOT_A_DIRECTORY', 'INVALID_FILENAME', 'LINK_LOOP', 'CANNOT_DELETE',
      'INVALID_PARAMETER', 'FILE_IS_A_DIRECTORY', 'BYTE_RANGE_LOCK_CONFLICT', 'BYTE_RANGE_LOCK_REFUSED', 'DELETE_PENDING',
      'FILE_CORRUPT', 'OWNER_INVALID', 'GROUP_INVALID', 'NO_MATCHING_BYTE_RANGE_LOCK',
    ]; // prettier-ignore
    expect(names.map((n) => (asyncssh as Record<string, unknown>)[`FX_${n}`])).toEqual(names.map((_, i) => i));
  });

  it('terminal modes: RFC 4254 §8 under AsyncSSH names', () => {
    const expected: Record<string, number> = {
      PTY_OP_END: 0, PTY_VINTR: 1, PTY_VQUIT: 2, PTY_VERASE: 3, PTY_VKILL: 4, PTY_VEOF: 5, PTY_VEOL: 6, PTY_VEOL2: 7, PTY_VSTART: 8,
      PTY_VSTOP: 9, PTY_VSUSP: 10, PTY_VDSUSP: 11, PTY_VREPRINT: 12, PTY_WERASE: 13, PTY_VLNEXT: 14, PTY_VFLUSH: 15, PTY_VSWTCH: 16,
      PTY_VSTATUS: 17, PTY_VDISCARD: 18, PTY_IGNPAR: 30, PTY_PARMRK: 31, PTY_INPCK: 32, PTY_ISTRIP: 33, PTY_INLCR: 34, PTY_IGNCR: 35,
      PTY_ICRNL: 36, PTY_IUCLC: 37, PTY_IXON: 38, PTY_IXANY: 39, PTY_IXOFF: 40, PTY_IMAXBEL: 41, PTY_IUTF8: 42, PTY_ISIG: 50,
      PTY_ICANON: 51, PTY_XCASE: 52, PTY_ECHO: 53, PTY_ECHOE: 54, PTY_ECHOK: 55, PTY_ECHONL: 56, PTY_NOFLSH: 57, PTY_TOSTOP: 58,
      PTY_IEXTEN: 59, PTY_ECHOCTL: 60, PTY_ECHOKE: 61, PTY_PENDIN: 62, PTY_OPOST: 70, PTY_OLCUC: 71, PTY_ONLCR: 72, PTY_OCRNL: 73,
      PTY_ONOCR: 74, PTY_ONLRET: 75, PTY_CS7: 90, PTY_CS8: 91, PTY_PARENB: 92, PTY_PARODD: 93, PTY_OP_ISPEED: 128, PTY_OP_OSPEED: 129,
    }; // prettier-ignore
    const exported = Object.fromEntries(Object.entries(asyncssh).filter(([n]) => n.startsWith('PTY_')));
    expect(exported).toEqual(expected);
  });
});

/** A server whose password check throws PasswordChangeRequired, as AsyncSSH applications raise it. */
class ExpiringServer extends SSHServer {
  static changes: string[][] = [];
  override passwordAuthSupported(): boolean {
    return true;
  }
  override async validatePassword(username: string, password: string): Promise<boolean | PasswordChangeRequest> {
    await Promise.resolve();
    if ((username === 'expired' || username === 'openssh') && password === 'old') throw new PasswordChangeRequired('Password expired', 'en');
    if (username === 'plain' && password === 'old') return { changePrompt: 'Returned, not thrown' };
    if (username === 'boom') throw new Error('handler bug');
    return password === 'new';
  }
  override changePassword(username: string, oldPassword: string, newPassword: string): boolean {
    ExpiringServer.changes.push([username, oldPassword, newPassword]);
    if (newPassword === 'weak') throw new PasswordChangeRequired('Too weak, try again');
    // OpenSSH's askpass answers every prompt with the one password: 'old' is the new one for that user.
    return newPassword === 'new' || (username === 'openssh' && newPassword === 'old');
  }
}

class ChangingClient extends SSHClient {
  prompts: string[] = [];
  changed = false;
  private readonly answers: (readonly [string, string])[];
  constructor(answers: (readonly [string, string])[]) {
    super();
    this.answers = answers;
  }
  override passwordChangeRequested(prompt: string): readonly [string, string] | null {
    this.prompts.push(prompt);
    return this.answers.shift() ?? null;
  }
  override passwordChanged(): void {
    this.changed = true;
  }
}

describe('with our server', () => {
  let acceptor: SSHAcceptor;
  const hostKey = generatePrivateKey('ssh-ed25519');
  const hostLine = text(hostKey.exportPublicKey()).trim();
  const base = { host: '127.0.0.1', knownHosts: null, agentPath: null, config: null, clientKeys: null, preferredAuth: 'password' } as const;

  beforeAll(async () => {
    acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [hostKey],
      serverFactory: () => new ExpiringServer(),
      sftpFactory: true,
      processFactory: async (p: SSHServerProcess) => {
        if (p.command === 'hang') await new Promise((r) => setTimeout(r, 5000));
        p.exit(0);
      },
    });
  });
  afterAll(async () => acceptor?.waitClosed());
  const port = (): number => acceptor.getPort();

  it('PasswordChangeRequired thrown by validatePassword / changePassword: our client', async () => {
    const client = new ChangingClient([
      ['old', 'weak'],
      ['old', 'new'],
    ]);
    await using conn = await connect({ ...base, port: port(), username: 'expired', password: 'old', clientFactory: () => client });
    expect(conn.getExtraInfo('authMethod')).toBe('password');
    expect(client.prompts).toEqual(['Password expired', 'Too weak, try again']);
    expect(client.changed).toBe(true);
    // Returned rather than thrown still works; a handler's other errors refuse.
    const plain = new ChangingClient([['old', 'new']]);
    await using conn2 = await connect({ ...base, port: port(), username: 'plain', password: 'old', clientFactory: () => plain });
    expect(plain.prompts).toEqual(['Returned, not thrown']);
    conn2.close();
    await expect(connect({ ...base, port: port(), username: 'boom', password: 'x', clientFactory: () => new ChangingClient([]) })).rejects.toBeInstanceOf(
      asyncssh.PermissionDenied,
    );
  });

  it('PasswordChangeRequired: OpenSSH ssh changes the password through askpass', async () => {
    ExpiringServer.changes = [];
    const r = await runSsh({ host: '127.0.0.1', port: port(), name: 'ours', hostPublicKeys: [hostLine] }, 'true', {
      identity: null,
      user: 'openssh',
      password: 'old',
      args: ['-v', '-o', 'PreferredAuthentications=password'],
    });
    expect(r.stderr).toMatch(/Authenticated to .* using "password"/);
    expect(ExpiringServer.changes).toEqual([['openssh', 'old', 'old']]);
  });

  it('PasswordChangeRequired: the AsyncSSH client', async () => {
    ExpiringServer.changes = [];
    const snippet = [
      'class Client(asyncssh.SSHClient):',
      '    prompts = []',
      '    def password_change_requested(self, prompt, lang):',
      '        Client.prompts.append(prompt)',
      "        return ('old', 'new')",
      "conn, _ = await asyncssh.create_connection(Client, '127.0.0.1', params['port'], username='expired', password='old',",
      "                                           known_hosts=None, agent_path=None, client_keys=None, preferred_auth='password')",
      'async with conn:',
      "    r = await conn.run('true')",
      "result = {'status': r.exit_status, 'prompts': Client.prompts}",
    ].join('\n');
    const r = await runAsyncsshClient(snippet, { params: { port: port() }, identity: null, timeoutMs: 20_000 });
    expect(r.result).toEqual({ status: 0, prompts: ['Password expired'] });
    expect(ExpiringServer.changes).toEqual([['expired', 'old', 'new']]);
  });

  it('run() with a timeout rejects with TimeoutError, a ProcessError', async () => {
    expect(TimeoutError).toBe(ProcessTimeoutError);
    await using conn = await connect({ ...base, port: port(), username: 'u', password: 'new' });
    const err: unknown = await conn.run('hang', { timeout: 0.2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as TimeoutError).message).toMatch(/timed out after 0.2 seconds/);
    expect((err as Error).name).toBe('ProcessTimeoutError');
    // AbortSignal.timeout()'s error is a DOMException named TimeoutError, no instance of ours.
    const abort: unknown = await new Promise((resolve) => {
      const signal = AbortSignal.timeout(1);
      signal.addEventListener('abort', () => resolve(signal.reason));
    });
    expect((abort as Error).name).toBe('TimeoutError');
    expect(abort).not.toBeInstanceOf(TimeoutError);
  });

  it('setSftpLogLevel: SFTP records follow their own level, others the main one', async () => {
    const records: LogRecord[] = [];
    setLogSink((r) => records.push(r));
    try {
      const sftpRecords = (): LogRecord[] => records.filter((r) => r.logger.startsWith('asyncssh.sftp'));
      const session = async (): Promise<void> => {
        await using conn = await connect({ ...base, port: port(), username: 'u', password: 'new' });
        const sftp = await conn.startSftpClient();
        expect(await sftp.exists(dir)).toBe(true);
        sftp.exit();
        await sftp.waitClosed();
        for (let i = 0; i < 50 && !sftpRecords().some((r) => r.message === 'SFTP server exited'); i++) await new Promise((r) => setTimeout(r, 20));
      };

      setLogLevel('warning');
      setSftpLogLevel('debug');
      await session();
      expect(sftpRecords().map((r) => r.message)).toEqual(expect.arrayContaining(['Starting SFTP client', 'SFTP client started, version 3', 'Starting SFTP server', 'SFTP server exited']));
      expect(records.filter((r) => !r.logger.startsWith('asyncssh.sftp') && r.level === 'info')).toEqual([]);

      records.length = 0;
      setLogLevel('debug');
      setSftpLogLevel('error');
      await session();
      expect(sftpRecords()).toEqual([]);
      expect(records.some((r) => r.level === 'info' || r.level === 'debug')).toBe(true);

      records.length = 0;
      setLogLevel('info');
      setSftpLogLevel('notset'); // back to following the main level
      await session();
      expect(sftpRecords().map((r) => r.message)).toContain('Starting SFTP client');
      expect(sftpRecords().some((r) => r.level === 'debug')).toBe(false);
    } finally {
      setLogLevel('warning');
      setSftpLogLevel('notset');
      setLogSink((r) => process.stderr.write(`${r.logger} ${r.level.toUpperCase()}: ${r.message}\n`));
    }
  });

  it('SSHLogger children: sftp loggers by name', () => {
    expect(new SSHLogger('asyncssh [conn=3, client]').getChild('sftp').name).toBe('asyncssh.sftp [conn=3, client]');
    expect(new SSHLogger('asyncssh').getChild('sftp').name).toBe('asyncssh.sftp');
    expect(() => setSftpLogLevel('loud' as never)).toThrow(RangeError);
  });
});
