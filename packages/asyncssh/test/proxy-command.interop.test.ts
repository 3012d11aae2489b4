/**
 * connect() through a proxy command (AsyncSSH's proxy_command, ssh_config's ProxyCommand) to
 * sshd: the command is a small TCP relay on its standard input and output. Given as a list, as a
 * string with quoting, and from a config file with %h and %p; stopped when the connection closes,
 * even when it ignores the end of its input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKey, knownHostsLines, makeTempDir, removeTempDir, startSshd, type KeyPair, type SshdServer } from '@ssh/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type SSHClientConnectionOptions } from '../src/index.ts';

let sshd: SshdServer;
let dir: string;
let key: KeyPair;
let knownHosts: string;
let relay: string;

/** The relay: [host, port, pid file, 'keep' to ignore the end of its input]. */
const RELAY = `
import net from 'node:net';
import { writeFileSync } from 'node:fs';
const [host, port, pidFile, mode] = process.argv.slice(2);
writeFileSync(pidFile, String(process.pid));
const s = net.connect(Number(port), host);
process.stdin.pipe(s, { end: mode !== 'keep' });
s.pipe(process.stdout);
s.on('error', () => process.exit(1));
if (mode === 'keep') setInterval(() => undefined, 1000);
`;

beforeAll(async () => {
  key = await generateKey('ed25519', { label: 'proxy-command-user' });
  sshd = await startSshd({ hostKeyTypes: ['ed25519'], authorizedKeys: [key] });
  dir = await makeTempDir('proxy-command');
  knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, knownHostsLines(sshd).join('\n') + '\n');
  relay = path.join(dir, 'relay.mjs');
  await writeFile(relay, RELAY);
}, 30_000);

afterAll(async () => {
  await sshd?.stop();
  if (dir !== undefined) await removeTempDir(dir);
});

const common = (): SSHClientConnectionOptions => ({ username: sshd.user, clientKeys: [key.privateKeyPath], knownHosts, agentPath: null });

/** Whether process `pid` is gone within `ms`. */
async function exits(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

describe('proxyCommand against sshd', () => {
  it('a list: runs a command over the relay, and the relay is gone after close', async () => {
    const pidFile = path.join(dir, 'list.pid');
    const conn = await connect({ ...common(), host: sshd.host, port: sshd.port, config: null, proxyCommand: [process.execPath, relay, sshd.host, String(sshd.port), pidFile] });
    expect((await conn.run('echo through the relay', { check: true })).stdout).toBe('through the relay\n');
    conn.close();
    await conn.waitClosed();
    expect(await exits(Number(await readFile(pidFile, 'utf8')), 5_000)).toBe(true);
  });

  it('a string with quoting; a relay that ignores the end of its input is stopped', async () => {
    const pidFile = path.join(dir, 'with space.pid');
    const command = `'${process.execPath}' "${relay}" ${sshd.host} ${sshd.port} '${pidFile}' keep`;
    const conn = await connect({ ...common(), host: sshd.host, port: sshd.port, config: null, proxyCommand: command });
    expect((await conn.run('echo quoted', { check: true })).stdout).toBe('quoted\n');
    const pid = Number(await readFile(pidFile, 'utf8'));
    conn.close();
    await conn.waitClosed();
    expect(await exits(pid, 5_000)).toBe(true);
  });

  it('from ssh_config, with %h and %p expanded (HostName and Port of the alias); proxyCommand null turns it off', async () => {
    const configPath = path.join(dir, 'ssh_config');
    const pidFile = path.join(dir, 'config.pid');
    await writeFile(
      configPath,
      ['Host proxied-alias', `  HostName ${sshd.host}`, `  Port ${sshd.port}`, `  ProxyCommand ${process.execPath} ${relay} %h %p ${pidFile}`, ''].join('\n'),
    );
    {
      await using conn = await connect('proxied-alias', { ...common(), config: [configPath] });
      expect((await conn.run('echo from the config', { check: true })).stdout).toBe('from the config\n');
      expect(Number(await readFile(pidFile, 'utf8'))).toBeGreaterThan(0);
    }
    await writeFile(pidFile, '');
    await using direct = await connect('proxied-alias', { ...common(), config: [configPath], proxyCommand: null });
    expect((await direct.run('echo direct', { check: true })).stdout).toBe('direct\n');
    expect(await readFile(pidFile, 'utf8')).toBe('');
  });
});
