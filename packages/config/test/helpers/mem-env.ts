/** An in-memory HostEnvironment for unit tests: files in a map, exec answered by a callback. */
import type { HostEnvironment } from '../../src/index.ts';
import { globMatcher } from '@ssh/wire';

export interface MemEnvOptions {
  files?: Record<string, string>;
  exec?: (command: string) => number;
  env?: Record<string, string>;
  groups?: Record<string, string[]>;
  user?: string;
  home?: string;
  /** Owner and mode of files, for statFile (files not listed: owned by the user, mode 0644). */
  stats?: Record<string, { uid: number; mode: number }>;
  /** Names the fake resolver knows: name -> canonical name (CNAME target) or '' for none. */
  hosts?: Record<string, string>;
  /** Other accounts' home directories, for homeDirOf (absent: the environment cannot look accounts up). */
  homes?: Record<string, string>;
  /** TCP service names the fake getservbyname knows (absent: the environment cannot look them up). */
  services?: Record<string, number>;
}

export interface MemEnv extends HostEnvironment {
  readonly execLog: string[];
  readonly readLog: string[];
  /** Names looked up, in order, with the hints given. */
  readonly lookupLog: { name: string; family: string; wantCname: boolean }[];
  /** Service names looked up, in order. */
  readonly serviceLog: string[];
}

export function memEnv(o: MemEnvOptions = {}): MemEnv {
  const files = o.files ?? {};
  const execLog: string[] = [];
  const readLog: string[] = [];
  const lookupLog: { name: string; family: string; wantCname: boolean }[] = [];
  const hosts = o.hosts;
  const serviceLog: string[] = [];
  const services = o.services;
  return {
    localUser: o.user ?? 'alice',
    localUid: 1000,
    homeDir: o.home ?? '/home/alice',
    localHostname: 'box.example.org',
    env: o.env ?? { HOME: '/home/alice' },
    execLog,
    readLog,
    lookupLog,
    serviceLog,
    ...(services
      ? {
          servicePort(name: string) {
            serviceLog.push(name);
            return Object.hasOwn(services, name) ? services[name] : undefined;
          },
        }
      : {}),
    ...(o.homes ? { homeDirOf: (user: string) => (Object.hasOwn(o.homes ?? {}, user) ? o.homes?.[user] : undefined) } : {}),
    ...(hosts
      ? {
          resolveHost(name: string, hints: { family: string; wantCname: boolean }) {
            lookupLog.push({ name, family: hints.family, wantCname: hints.wantCname });
            const cname = hosts[name];
            if (cname === undefined) return undefined;
            return cname === '' ? {} : { canonicalName: cname };
          },
        }
      : {}),
    readFile(path) {
      readLog.push(path);
      const t = files[path];
      if (t === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return t;
    },
    glob(pattern) {
      const segs = pattern.split('/');
      return Object.keys(files)
        .filter((f) => {
          const fs = f.split('/');
          return fs.length === segs.length && segs.every((s, i) => globMatcher(s, { escapes: true })(fs[i] as string) && (!(fs[i] as string).startsWith('.') || s.startsWith('.')));
        })
        .sort();
    },
    statFile(path) {
      return o.stats?.[path] ?? (files[path] === undefined ? undefined : { uid: 1000, mode: 0o100644 });
    },
    exec(command) {
      execLog.push(command);
      return o.exec ? o.exec(command) : 1;
    },
    groupsOf(user) {
      return o.groups?.[user];
    },
  };
}
