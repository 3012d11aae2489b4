/**
 * OpenSSH client configuration for connect(): the user's ~/.ssh/config and /etc/ssh/ssh_config
 * by default (or `config`; `~` is `homeDirectory` when given), resolved for the target host with @ssh/config, filling in what the
 * caller's options leave unset. Explicit options always win, as in AsyncSSH. Host name
 * canonicalisation (CanonicalizeHostname) looks names up with node:dns.
 * @module
 */

import { existsSync } from 'node:fs';
import { loadClientConfig } from '@ssh/config/node';
import type { ClientConfigOptions, HostEnvironment } from '@ssh/config';
import type { SSHClientConnectionOptions } from './client.ts';
import { resolveHostName } from './host-resolver.ts';

/**
 * Not public: a testing seam. `resolveHost` replaces the node:dns look-ups of
 * CanonicalizeHostname, so that tests need no DNS (connect() never passes it).
 */
export interface ClientConfigSeam {
  readonly resolveHost?: HostEnvironment['resolveHost'];
}

/**
 * The caller's own ProxyJump (`tunnel`) and ProxyCommand (`proxyCommand`), for CanonicalizeHostname
 * yes to know whether the connection will be direct: each one set (true) or null (false: the
 * config's is turned off) wins over the config's, as connect() takes it; unset, the config's counts.
 */
function callerProxies(options: SSHClientConnectionOptions): { proxyJump?: boolean; proxyCommand?: boolean } {
  return {
    ...(options.tunnel !== undefined ? { proxyJump: options.tunnel !== null } : {}),
    ...(options.proxyCommand !== undefined ? { proxyCommand: options.proxyCommand !== null } : {}),
  };
}

/** The caller's `family` (4, 6, 0), over the config's AddressFamily, for the look-ups of canonicalisation. */
function withFamily(resolve: NonNullable<HostEnvironment['resolveHost']>, family: SSHClientConnectionOptions['family']): NonNullable<HostEnvironment['resolveHost']> {
  if (family === undefined) return resolve;
  const given = family === 4 ? 'inet' : family === 6 ? 'inet6' : 'any';
  return (name, hints) => resolve(name, { ...hints, family: given });
}

/** Reads the config (unless `config` is null) and merges it under `options`. */
export async function applyClientConfig(options: SSHClientConnectionOptions, seam: ClientConfigSeam = {}): Promise<SSHClientConnectionOptions> {
  if (options.config === null || options.sock !== undefined) return options;
  const target = options.host ?? 'localhost';
  const resolved = await loadClientConfig(
    options.config,
    {
      host: target,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.username !== undefined ? { user: options.username } : {}),
      ...callerProxies(options),
    },
    {
      ...(options.homeDirectory !== undefined ? { homeDir: options.homeDirectory } : {}),
      resolveHost: withFamily(seam.resolveHost ?? resolveHostName, options.family),
    },
  );
  const c: ClientConfigOptions = resolved.options;
  const has = (keyword: string): boolean => resolved.settings.has(keyword);
  const out: Record<string, unknown> = {};
  const take = <K extends keyof SSHClientConnectionOptions>(key: K, value: unknown): void => {
    if (options[key] === undefined && value !== undefined) out[key] = value;
  };
  // HostName replaces the name given (an alias), as in ssh, and so does the canonical name.
  if (has('hostname') && c.host !== undefined) out['host'] = c.host;
  if (has('port')) take('port', c.port);
  if (has('user')) take('username', c.username);
  take('connectTimeout', c.connectTimeout);
  take('keepaliveInterval', c.keepaliveInterval);
  take('keepaliveCountMax', c.keepaliveCountMax);
  take('rekeyBytes', c.rekeyBytes);
  take('rekeySeconds', c.rekeySeconds);
  take('hostKeyAlias', c.hostKeyAlias);
  take('serverHostKeyAlgs', c.serverHostKeyAlgs);
  take('kexAlgs', c.kexAlgs);
  take('encryptionAlgs', c.encryptionAlgs);
  take('macAlgs', c.macAlgs);
  take('compressionAlgs', c.compressionAlgs);
  take('caSignatureAlgs', c.caSignatureAlgs);
  take('preferredAuth', c.preferredAuth);
  take('passwordAuth', c.passwordAuth);
  take('kbdintAuth', c.kbdintAuth);
  take('hostBasedAuth', c.hostBasedAuth);
  take('clientHostKeysign', c.clientHostKeysign);
  take('gssAuth', c.gssAuth);
  take('gssDelegateCreds', c.gssDelegateCreds);
  take('gssKex', c.gssKex);
  if (typeof c.publicKeyAuth === 'boolean') take('publicKeyAuth', c.publicKeyAuth);
  take('tcpKeepalive', c.tcpKeepalive);
  // AddressFamily and BindAddress (the local port is left to the system, as ssh does).
  if (c.family !== undefined) take('family', c.family === 'inet' ? 4 : c.family === 'inet6' ? 6 : 0);
  if (c.localAddr !== undefined) take('localAddr', [c.localAddr, 0]);
  // ProxyJump: the hops, each as [user@]host[:port]; `none` (null) means connect directly.
  if (has('proxyjump')) take('tunnel', c.tunnel ?? null);
  // ProxyCommand (tokens expanded by the reader), run as AsyncSSH runs proxy_command; `none`: null.
  if (has('proxycommand')) take('proxyCommand', c.proxyCommand ?? null);
  take('command', c.command);
  take('env', c.env);
  take('sendEnv', c.sendEnv);
  take('requestPty', c.requestPty);
  if (typeof c.agentForwarding === 'boolean') take('agentForwarding', c.agentForwarding);
  else if (typeof c.agentForwarding === 'string' && options.agentForwarding !== false && typeof options.agentForwarding !== 'string') {
    // ForwardAgent <socket>: forwarding on, to that agent, while IdentityAgent (agentPath) still
    // authenticates, as in ssh; ssh keeps the path when -A (agentForwarding true) turned it on.
    out['agentForwarding'] = c.agentForwarding;
  }
  // ForwardX11Trusted yes: X11 forwarding, going on without it when it fails (as AsyncSSH).
  if (c.x11Forwarding !== undefined) take('x11Forwarding', c.x11Forwarding === 'ignore-failure' ? 'ignore_failure' : false);
  if (has('identityagent')) take('agentPath', c.agentPath);
  if (has('pkcs11provider')) take('pkcs11Provider', c.pkcs11Provider ?? null);
  take('securityKeyProvider', c.securityKeyProvider);
  // Files named by the config that do not exist are skipped, as ssh does.
  if (has('userknownhostsfile') || has('globalknownhostsfile')) take('knownHosts', c.knownHosts?.filter((f) => existsSync(f)));
  if (has('certificatefile')) take('clientCerts', c.clientCerts?.filter((f) => existsSync(f)));
  if (has('identityfile') && c.clientKeys !== undefined) {
    const keys = c.clientKeys.filter((f) => existsSync(f));
    if (keys.length > 0 || c.clientKeys.length === 0) take('clientKeys', keys);
  }
  return { ...out, ...stripUndefined(options), host: (out['host'] as string | undefined) ?? options.host ?? target };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
