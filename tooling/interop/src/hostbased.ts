/**
 * An sshd that accepts host-based authentication, with the client hosts it trusts given by the
 * test: its own /etc/ssh (ssh_known_hosts) and home directory (.shosts) bind-mounted in a mount
 * namespace of its own (`unshare -m`, root only), so the machine's files are never touched.
 * @module
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { startSshd, type SshdOptions, type SshdServer } from './sshd.ts';

export interface HostbasedSshdOptions extends Omit<SshdOptions, 'launcher'> {
  /** Lines of sshd's /etc/ssh/ssh_known_hosts: `name key` of each trusted client host. */
  readonly knownHosts: readonly string[];
  /** Client host names whose users may log in as the same user name (the user's ~/.shosts). */
  readonly shostsHosts: readonly string[];
}

/**
 * Starts sshd with HostbasedAuthentication (names taken from the request, as
 * HostbasedUsesNameFromPacketOnly) and no authorized keys; `dir` holds its /etc/ssh and home.
 */
export async function startHostbasedSshd(dir: string, options: HostbasedSshdOptions): Promise<SshdServer> {
  const { knownHosts, shostsHosts, config = [], ...rest } = options;
  const etc = path.join(dir, 'hostbased-sshd-etc');
  const home = path.join(dir, 'hostbased-home');
  await mkdir(etc, { recursive: true });
  await mkdir(home, { recursive: true });
  const user = userInfo();
  await writeFile(path.join(etc, 'ssh_known_hosts'), knownHosts.map((l) => `${l}\n`).join(''));
  await writeFile(path.join(home, '.shosts'), shostsHosts.map((h) => `${h} ${user.username}\n`).join(''), { mode: 0o600 });
  return startSshd({
    hostKeyTypes: ['ed25519'],
    authorizedKeys: [],
    logLevel: 'DEBUG1',
    ...rest,
    config: ['HostbasedAuthentication yes', 'HostbasedUsesNameFromPacketOnly yes', 'IgnoreRhosts no', 'IgnoreUserKnownHosts yes', ...config],
    launcher: ['unshare', '-m', 'sh', '-c', `mount --bind '${etc}' /etc/ssh && mount --bind '${home}' '${user.homedir}' && exec "$0" "$@"`],
  });
}
