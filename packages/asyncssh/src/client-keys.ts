/**
 * The client's credentials as AsyncSSH gathers them: `clientKeys` (paths, keys, pairs, key with
 * certificate, and key pairs that sign elsewhere: an agent's, a PKCS#11 token's), else the keys of
 * an ssh-agent (SSH_AUTH_SOCK or `agentPath`), then those of a PKCS#11 provider
 * (`pkcs11Provider`, `pkcs11Pin`), then the user's default keys (~/.ssh/id_*, with *-cert.pub
 * picked up); and the host key for host-based authentication (a private key, or with
 * `clientHostKeysign` a public key that ssh-keysign signs for). Security keys (sk-*) among them
 * sign through their authenticator (`securityKeyProvider`, `securityKeyPin`, `securityKeyPrompts`).
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAgent } from '@ssh/agent/node';
import type { SSHAgentClient } from '@ssh/agent';
import { KeyEncryptionError, SSHKey, SSHKeyPair, type SSHCertificate, type SSHX509Certificate } from '@ssh/keys';
import {
  SSHSkKeyPair,
  isSecurityKey,
  loadCertificates,
  loadKeypairs,
  loadPkcs11Keys,
  loadPublicKeys,
  type CertificatesRef,
  type KeyPairRef,
  type SecurityKeyPrompts,
  type SecurityKeyProvider,
} from '@ssh/keys/node';
import type { ClientKey, ExternalKey } from '@ssh/transport';
import { DEFAULT_HOST_PUBLIC_KEY_FILES, findKeysign } from './keysign.ts';

/**
 * A key pair whose private half is elsewhere and which signs asynchronously: SSHAgentKeyPair,
 * SSHPkcs11KeyPair, or a caller's own (AsyncSSH accepts such pairs in client_keys).
 */
export interface ExternalKeyPair {
  readonly key: SSHKey | undefined;
  readonly certificate?: SSHCertificate | undefined;
  /** X.509 certificates for the key, end certificate first (a PKCS#11 token's): offered first, with x509v3-* algorithms. */
  readonly x509Certificates?: readonly SSHX509Certificate[];
  sign(data: Uint8Array, sigAlgorithm?: string): Promise<Uint8Array>;
}

export type ClientKeyRef = KeyPairRef | ExternalKeyPair;
export type ClientKeysOption = ClientKeyRef | readonly ClientKeyRef[];

function isExternalPair(ref: unknown): ref is ExternalKeyPair {
  return (
    typeof ref === 'object' &&
    ref !== null &&
    !(ref instanceof SSHKey) &&
    !(ref instanceof SSHKeyPair) &&
    !(ref instanceof Uint8Array) &&
    typeof (ref as { sign?: unknown }).sign === 'function' &&
    'key' in ref
  );
}

/** AsyncSSH's default identity files, in the order it tries them. */
export const DEFAULT_KEY_FILES = ['id_ed25519_sk', 'id_ecdsa_sk', 'id_ed448', 'id_ed25519', 'id_ecdsa', 'id_rsa', 'id_dsa'] as const;

export interface KeyOptions {
  readonly clientKeys?: ClientKeysOption | null;
  /**
   * OpenSSH certificates paired with whichever local keys (clientKeys, or the default keys) they
   * certify (AsyncSSH client_certs; ssh_config CertificateFile): each such key is offered with
   * its certificate first, then alone.
   */
  readonly clientCerts?: CertificatesRef;
  readonly passphrase?: string | Uint8Array;
  readonly ignoreEncrypted?: boolean;
  readonly agentPath?: string | null;
  /** A PKCS#11 provider whose tokens' keys are offered when no clientKeys are given (AsyncSSH pkcs11_provider). */
  readonly pkcs11Provider?: string | null;
  /** The PIN for the provider's tokens (AsyncSSH pkcs11_pin). */
  readonly pkcs11Pin?: string;
  /** What signs for sk-* keys: 'internal', a middleware library, or a backend (see SecurityKeyProvider). */
  readonly securityKeyProvider?: SecurityKeyProvider;
  readonly securityKeyPin?: string;
  readonly securityKeyPrompts?: SecurityKeyPrompts;
  readonly clientHostKeys?: ClientKeysOption;
  /**
   * Sign host-based requests with OpenSSH's ssh-keysign (AsyncSSH client_host_keysign, ssh_config
   * EnableSSHKeysign): true to look for it where OpenSSH installs it, or its path. clientHostKeys
   * are then public keys (default: /etc/ssh/ssh_host_*_key.pub).
   */
  readonly clientHostKeysign?: boolean | string;
  readonly clientHost?: string;
  readonly clientUsername?: string;
  readonly homeDirectory?: string;
}

export interface LoadedCredentials {
  readonly keys: ClientKey[];
  /** Signs for a key held elsewhere (an agent, a token); null when it cannot. */
  readonly agentSign: (key: SSHKey | SSHCertificate, algorithm: string, data: Uint8Array) => Promise<Uint8Array | null>;
  readonly closeAgent: () => void;
  readonly hostBased: HostBasedCredentials | undefined;
}

export interface HostBasedCredentials {
  /** The client host's keys, tried in turn until the server accepts one (as AsyncSSH and ssh do). */
  readonly keys: readonly (SSHKey | SSHKeyPair | ExternalKey)[];
  readonly clientHostName: string;
  readonly clientUserName: string;
  /** The ssh-keysign that signs for `keys` (then public keys); the client host name is then its to decide unless `clientHost` was given. */
  readonly keysign?: { readonly path: string; readonly clientHostGiven: boolean };
}

/** The host's public keys for ssh-keysign: those given (public keys, or the public half of whatever else), else the system's. */
async function keysignPublicKeys(refs: ClientKeysOption | undefined): Promise<(SSHKey | SSHCertificate)[]> {
  if (refs === undefined) return loadPublicKeys(DEFAULT_HOST_PUBLIC_KEY_FILES.filter((f) => existsSync(f)));
  const list: readonly ClientKeyRef[] = Array.isArray(refs) ? (refs as readonly ClientKeyRef[]) : [refs as ClientKeyRef];
  const out: (SSHKey | SSHCertificate)[] = [];
  for (const ref of list) {
    if (ref instanceof SSHKey) out.push(ref.convertToPublic());
    else if (ref instanceof SSHKeyPair) out.push(ref.certificate ?? ref.key.convertToPublic());
    else if (isExternalPair(ref)) {
      const k = ref.certificate ?? ref.key;
      if (k) out.push(k);
    } else if (typeof ref === 'string' || ref instanceof Uint8Array) out.push(...(await loadPublicKeys([ref])));
    else throw new TypeError('clientHostKeys: with clientHostKeysign, give public keys');
  }
  return out;
}

/**
 * loadKeypairs, with plain key files read synchronously, as AsyncSSH and OpenSSH read them: every
 * asynchronous file operation costs a turn of the event loop (several ms apiece on a busy machine,
 * measured at up to 25 ms for one key), and the connection waits for its keys before it starts.
 * Whatever is not plain (a file that cannot be read, X.509 certificates in the key file, a
 * -cert.pub beside it) goes through loadKeypairs as given, which keeps its results and errors.
 */
async function loadKeyFiles(refs: KeyPairRef | readonly KeyPairRef[], passphrase: string | Uint8Array | undefined, certlist?: readonly SSHCertificate[]): Promise<SSHKeyPair[]> {
  const options = { ...(passphrase !== undefined ? { passphrase } : {}), ...(certlist !== undefined ? { certlist } : {}) };
  const list: readonly KeyPairRef[] = Array.isArray(refs) ? (refs as readonly KeyPairRef[]) : [refs as KeyPairRef];
  const out: SSHKeyPair[] = [];
  for (const ref of list) {
    let data: Buffer | undefined;
    if (typeof ref === 'string') {
      try {
        data = readFileSync(ref);
        if (data.includes('-----BEGIN CERTIFICATE-----') || existsSync(`${ref}-cert.pub`)) data = undefined;
      } catch {
        data = undefined;
      }
    }
    out.push(...(await loadKeypairs(data === undefined ? ref : new Uint8Array(data), options)));
  }
  return out;
}

async function defaultKeys(home: string, passphrase: string | Uint8Array | undefined, ignoreEncrypted: boolean, certlist: readonly SSHCertificate[] | undefined): Promise<SSHKeyPair[]> {
  const out: SSHKeyPair[] = [];
  for (const name of DEFAULT_KEY_FILES) {
    const file = path.join(home, '.ssh', name);
    if (!existsSync(file)) continue;
    try {
      out.push(...(await loadKeyFiles(file, passphrase, certlist)));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EACCES') continue;
      if (err instanceof KeyEncryptionError && ignoreEncrypted) continue;
      throw err;
    }
  }
  return out;
}

function blobKey(key: SSHKey | SSHCertificate): string {
  return Buffer.from(key.publicData).toString('base64');
}

export async function loadClientKeys(options: KeyOptions): Promise<LoadedCredentials> {
  const home = options.homeDirectory ?? os.homedir();
  const certlist = options.clientCerts === undefined ? undefined : await loadCertificates(options.clientCerts);
  const keys: ClientKey[] = [];
  let agent: SSHAgentClient | undefined;
  const external = new Map<string, ExternalKeyPair>();
  const addExternal = (pair: ExternalKeyPair): void => {
    const publicKey = pair.certificate ?? pair.key;
    if (!publicKey) return;
    external.set(blobKey(publicKey), pair);
    // With X.509 certificates the key goes first with them (servers that know x509v3-*), then
    // again alone (the others), as a key with an OpenSSH certificate does.
    const chain = pair.x509Certificates;
    if (pair.certificate === undefined && chain !== undefined && chain.length > 0) keys.push({ publicKey, x509Chain: chain });
    keys.push({ publicKey });
  };
  // A security key's file holds only its handle: the key signs through its authenticator.
  const skAccess = {
    ...(options.securityKeyProvider === undefined ? {} : { provider: options.securityKeyProvider }),
    ...(options.securityKeyPin === undefined ? {} : { pin: options.securityKeyPin }),
    ...(options.securityKeyPrompts === undefined ? {} : { prompts: options.securityKeyPrompts }),
  };
  const addLocal = (pairs: readonly SSHKeyPair[]): void => {
    for (const pair of pairs) {
      if (isSecurityKey(pair.key)) addExternal(SSHSkKeyPair.fromKeyPair(pair, skAccess));
      else keys.push(pair);
    }
  };
  if (options.clientKeys === undefined) {
    const agentPath = options.agentPath === null ? undefined : (options.agentPath ?? process.env['SSH_AUTH_SOCK']);
    if (agentPath) {
      try {
        agent = await connectAgent(agentPath);
        for (const k of await agent.getKeys()) addExternal(k);
      } catch {
        // An unreachable agent is no reason to fail the connection: AsyncSSH goes on without it.
        agent?.close();
        agent = undefined;
      }
    }
    if (options.pkcs11Provider) {
      for (const k of await loadPkcs11Keys(options.pkcs11Provider, options.pkcs11Pin)) addExternal(k);
    }
    addLocal(await defaultKeys(home, options.passphrase, options.ignoreEncrypted ?? true, certlist));
  } else if (options.clientKeys !== null) {
    const refs: readonly ClientKeyRef[] = Array.isArray(options.clientKeys) ? (options.clientKeys as readonly ClientKeyRef[]) : [options.clientKeys as ClientKeyRef];
    for (const ref of refs) {
      if (isExternalPair(ref)) addExternal(ref);
      else addLocal(await loadKeyFiles(ref, options.passphrase, certlist));
    }
  }
  let hostBased: LoadedCredentials['hostBased'];
  if (options.clientHostKeysign !== undefined && options.clientHostKeysign !== false) {
    const keysignPath = findKeysign(options.clientHostKeysign);
    const publicKeys = await keysignPublicKeys(options.clientHostKeys);
    if (publicKeys.length > 0) {
      hostBased = {
        keys: publicKeys.map((publicKey) => ({ publicKey })),
        clientHostName: options.clientHost ?? `${os.hostname()}.`,
        clientUserName: options.clientUsername ?? os.userInfo().username,
        keysign: { path: keysignPath, clientHostGiven: options.clientHost !== undefined },
      };
    }
  } else if (options.clientHostKeys !== undefined) {
    const hostRefs: readonly ClientKeyRef[] = Array.isArray(options.clientHostKeys) ? (options.clientHostKeys as readonly ClientKeyRef[]) : [options.clientHostKeys as ClientKeyRef];
    const localRefs = hostRefs.filter((r): r is KeyPairRef => !isExternalPair(r));
    if (localRefs.length !== hostRefs.length) throw new TypeError('clientHostKeys: host-based authentication signs with local private keys only');
    const hostKeys = await loadKeyFiles(localRefs, options.passphrase);
    if (hostKeys.length > 0) {
      hostBased = {
        keys: hostKeys,
        clientHostName: options.clientHost ?? `${os.hostname()}.`,
        clientUserName: options.clientUsername ?? os.userInfo().username,
      };
    }
  }
  return {
    keys,
    hostBased,
    agentSign: async (key, algorithm, data) => {
      const k = external.get(blobKey(key));
      if (!k) return null;
      try {
        return await k.sign(data, algorithm);
      } catch {
        return null;
      }
    },
    closeAgent: () => agent?.close(),
  };
}
