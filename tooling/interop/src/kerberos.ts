/**
 * A throwaway Kerberos realm (MIT krb5) on loopback, for the gssapi-with-mic tests: its own
 * krb5.conf (KRB5_CONFIG) and kdc.conf (KRB5_KDC_PROFILE), a database made by kdb5_util, a
 * krb5kdc on a free port of 127.0.0.1, principals added with kadmin.local, a keytab holding the
 * host principals' keys (KRB5_KTNAME) and a credential cache with the user's ticket from kinit
 * (KRB5CCNAME). Every file lives in one temporary directory, the KDC is stopped by PID, and
 * replay caches go to that directory too (KRB5RCACHEDIR).
 *
 * MIT's library reads these variables from the environment of the process when it first needs
 * them: `realm.env` is for peers' environments, `useInThisProcess()` sets them here, before the
 * first GSS-API call of the process (vitest runs each test file in its own process).
 * @module
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { InteropStartError } from './errors.ts';
import { LOOPBACK, freePort } from './ports.ts';
import { type PeerProcess, run, startProcess } from './process.ts';
import { makeTempDir, removeTempDir } from './tmp.ts';

export const KRB5KDC = '/usr/sbin/krb5kdc';
export const KDB5_UTIL = '/usr/sbin/kdb5_util';
export const KADMIN_LOCAL = '/usr/sbin/kadmin.local';
export const KINIT = '/usr/bin/kinit';
export const KDESTROY = '/usr/bin/kdestroy';

/** The realm every test uses. */
export const TEST_REALM = 'TEST.SSH';

/** Whether MIT Kerberos' KDC and tools are installed (tooling/scripts/ensure-peers.sh installs them). */
export function kerberosAvailable(): boolean {
  return [KRB5KDC, KDB5_UTIL, KADMIN_LOCAL, KINIT].every((p) => existsSync(p));
}

export interface KerberosRealmOptions {
  /** The user principal's name (default: the user running the tests, so that sshd maps it to that account). */
  readonly user?: string;
  /** Further user principals, each with its own credential cache (`ccacheFor`). */
  readonly otherUsers?: readonly string[];
  /** Hosts whose host/<name> principal goes in the keytab (default ['localhost']). */
  readonly hosts?: readonly string[];
}

export interface KerberosRealm {
  readonly realm: string;
  readonly dir: string;
  readonly kdcPort: number;
  /** The user's principal ('root@TEST.SSH'), whose ticket is in `ccache`. */
  readonly userPrincipal: string;
  /** host/localhost@TEST.SSH (the first of `hosts`). */
  readonly hostPrincipal: string;
  readonly krb5Config: string;
  readonly kdcProfile: string;
  /** The host principals' keys (FILE: path). */
  readonly keytab: string;
  /** The user's credential cache (FILE: path). */
  readonly ccache: string;
  /** KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME and KRB5RCACHEDIR, for a peer's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The credential cache of one of `otherUsers` (FILE: path). */
  ccacheFor(user: string): string;
  /** An empty credential cache path (no ticket), under the realm's directory. */
  readonly emptyCcache: string;
  /** Sets `env` in this process (before its first GSS-API call). */
  useInThisProcess(): void;
  readonly kdc: PeerProcess;
  /** Stops the KDC by PID and removes the directory. Idempotent. */
  stop(): Promise<void>;
}

async function waitForTcp(port: number, proc: PeerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: LOOPBACK, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (!proc.running || Date.now() > deadline) throw new InteropStartError(`krb5kdc did not listen on port ${port}`, proc.output());
    await delay(25);
  }
}

/** Creates the realm, starts its KDC and gets the user's ticket. */
export async function startKerberosRealm(options: KerberosRealmOptions = {}): Promise<KerberosRealm> {
  const realm = TEST_REALM;
  const user = options.user ?? userInfo().username;
  const hosts = options.hosts ?? ['localhost'];
  const dir = await makeTempDir('krb5');
  let kdc: PeerProcess | undefined;
  try {
    const port = await freePort();
    const krb5Config = join(dir, 'krb5.conf');
    const kdcProfile = join(dir, 'kdc.conf');
    const keytab = join(dir, 'host.keytab');
    const userKeytab = join(dir, 'users.keytab');
    const ccache = join(dir, 'ccache');
    await writeFile(
      krb5Config,
      [
        '[libdefaults]',
        `  default_realm = ${realm}`,
        '  dns_lookup_realm = false',
        '  dns_lookup_kdc = false',
        '  dns_canonicalize_hostname = false',
        '  rdns = false',
        '  udp_preference_limit = 1',
        '  forwardable = true',
        `  default_ccache_name = FILE:${ccache}`,
        `  default_keytab_name = FILE:${keytab}`,
        '[realms]',
        `  ${realm} = {`,
        `    kdc = ${LOOPBACK}:${port}`,
        `    admin_server = ${LOOPBACK}:${port}`,
        '  }',
        '[domain_realm]',
        ...hosts.map((h) => `  ${h} = ${realm}`),
        '',
      ].join('\n'),
    );
    await writeFile(
      kdcProfile,
      [
        '[kdcdefaults]',
        `  kdc_ports = ${port}`,
        `  kdc_tcp_ports = ${port}`,
        '[realms]',
        `  ${realm} = {`,
        `    database_name = ${join(dir, 'principal')}`,
        `    key_stash_file = ${join(dir, 'stash')}`,
        `    acl_file = ${join(dir, 'kadm5.acl')}`,
        '    max_life = 10h',
        '    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal',
        '  }',
        '[logging]',
        `  kdc = FILE:${join(dir, 'kdc.log')}`,
        `  default = FILE:${join(dir, 'kdc.log')}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'kadm5.acl'), '');
    const env = { KRB5_CONFIG: krb5Config, KRB5_KDC_PROFILE: kdcProfile, KRB5RCACHEDIR: dir };
    await run(KDB5_UTIL, ['-r', realm, 'create', '-s', '-P', 'interop-master-password'], { env, timeoutMs: 30_000 });
    const users = [user, ...(options.otherUsers ?? [])];
    const queries = [
      ...users.map((u) => `addprinc -randkey ${u}`),
      ...hosts.map((h) => `addprinc -randkey host/${h}`),
      ...hosts.map((h) => `ktadd -k ${keytab} host/${h}`),
      ...users.map((u) => `ktadd -k ${userKeytab} -norandkey ${u}`),
    ];
    for (const q of queries) await run(KADMIN_LOCAL, ['-r', realm, '-q', q], { env });
    kdc = await startProcess(KRB5KDC, ['-n', '-r', realm], { name: 'krb5kdc', env });
    await waitForTcp(port, kdc, 10_000);
    const ccacheOf = (u: string): string => (u === user ? ccache : join(dir, `ccache-${u}`));
    for (const u of users) {
      await run(KINIT, ['-k', '-t', userKeytab, '-c', `FILE:${ccacheOf(u)}`, `${u}@${realm}`], { env });
    }
    const peerEnv = { KRB5_CONFIG: krb5Config, KRB5_KTNAME: `FILE:${keytab}`, KRB5CCNAME: `FILE:${ccache}`, KRB5RCACHEDIR: dir };
    const proc = kdc;
    let stopped: Promise<void> | undefined;
    return {
      realm,
      dir,
      kdcPort: port,
      userPrincipal: `${user}@${realm}`,
      hostPrincipal: `host/${hosts[0] ?? 'localhost'}@${realm}`,
      krb5Config,
      kdcProfile,
      keytab,
      ccache,
      env: peerEnv,
      ccacheFor: (u) => {
        if (!users.includes(u)) throw new Error(`no principal ${u} in the test realm`);
        return ccacheOf(u);
      },
      emptyCcache: join(dir, 'no-ccache'),
      useInThisProcess: () => {
        Object.assign(process.env, peerEnv);
      },
      kdc: proc,
      stop: async () => {
        stopped ??= proc.stop().then(async () => removeTempDir(dir));
        return stopped;
      },
    };
  } catch (error) {
    await kdc?.stop();
    await removeTempDir(dir);
    throw error;
  }
}
