/**
 * The client's credentials as AsyncSSH gathers them: `clientKeys` (paths, keys, pairs, key with
 * certificate), else the user's default keys (~/.ssh/id_*, with *-cert.pub picked up), plus the
 * keys of an ssh-agent (SSH_AUTH_SOCK or `agentPath`) when no keys were given; and the host key
 * for host-based authentication.
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAgent } from '@ssh/agent/node';
import type { SSHAgentClient, SSHAgentKeyPair } from '@ssh/agent';
import { KeyEncryptionError, type SSHCertificate, type SSHKey, type SSHKeyPair } from '@ssh/keys';
import { loadKeypairs, type KeyPairRef } from '@ssh/keys/node';
import type { ClientKey } from '@ssh/transport';

export type ClientKeysOption = KeyPairRef | readonly KeyPairRef[];

/** AsyncSSH's default identity files, in the order it tries them. */
export const DEFAULT_KEY_FILES = ['id_ed25519_sk', 'id_ecdsa_sk', 'id_ed448', 'id_ed25519', 'id_ecdsa', 'id_rsa', 'id_dsa'] as const;

export interface KeyOptions {
  readonly clientKeys?: ClientKeysOption | null;
  readonly passphrase?: string | Uint8Array;
  readonly ignoreEncrypted?: boolean;
  readonly agentPath?: string | null;
  readonly clientHostKeys?: ClientKeysOption;
  readonly clientHost?: string;
  readonly clientUsername?: string;
  readonly homeDirectory?: string;
}

export interface LoadedCredentials {
  readonly keys: ClientKey[];
  /** Signs for a key held by the agent; null when it cannot. */
  readonly agentSign: (key: SSHKey | SSHCertificate, algorithm: string, data: Uint8Array) => Promise<Uint8Array | null>;
  readonly closeAgent: () => void;
  readonly hostBased: { key: SSHKey | SSHKeyPair; clientHostName: string; clientUserName: string } | undefined;
}

/**
 * loadKeypairs, with plain key files read synchronously, as AsyncSSH and OpenSSH read them: every
 * asynchronous file operation costs a turn of the event loop (several ms apiece on a busy machine,
 * measured at up to 25 ms for one key), and the connection waits for its keys before it starts.
 * Whatever is not plain (a file that cannot be read, X.509 certificates in the key file, a
 * -cert.pub beside it) goes through loadKeypairs as given, which keeps its results and errors.
 */
async function loadKeyFiles(refs: KeyPairRef | readonly KeyPairRef[], passphrase: string | Uint8Array | undefined): Promise<SSHKeyPair[]> {
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
    out.push(...(await loadKeypairs(data === undefined ? ref : new Uint8Array(data), passphrase)));
  }
  return out;
}

async function defaultKeys(home: string, passphrase: string | Uint8Array | undefined, ignoreEncrypted: boolean): Promise<SSHKeyPair[]> {
  const out: SSHKeyPair[] = [];
  for (const name of DEFAULT_KEY_FILES) {
    const file = path.join(home, '.ssh', name);
    if (!existsSync(file)) continue;
    try {
      out.push(...(await loadKeyFiles(file, passphrase)));
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
  let keys: ClientKey[] = [];
  let agent: SSHAgentClient | undefined;
  const agentKeys = new Map<string, SSHAgentKeyPair>();
  if (options.clientKeys === undefined) {
    const agentPath = options.agentPath === null ? undefined : (options.agentPath ?? process.env['SSH_AUTH_SOCK']);
    if (agentPath) {
      try {
        agent = await connectAgent(agentPath);
        for (const k of await agent.getKeys()) {
          const publicKey = k.certificate ?? k.key;
          if (!publicKey) continue;
          agentKeys.set(blobKey(publicKey), k);
          keys.push({ publicKey });
        }
      } catch {
        // An unreachable agent is no reason to fail the connection: AsyncSSH goes on without it.
        agent?.close();
        agent = undefined;
      }
    }
    keys.push(...(await defaultKeys(home, options.passphrase, options.ignoreEncrypted ?? true)));
  } else if (options.clientKeys !== null) {
    keys = await loadKeyFiles(options.clientKeys as KeyPairRef | KeyPairRef[], options.passphrase);
  }
  let hostBased: LoadedCredentials['hostBased'];
  if (options.clientHostKeys !== undefined) {
    const [hostKey] = await loadKeyFiles(options.clientHostKeys as KeyPairRef | KeyPairRef[], options.passphrase);
    if (hostKey) {
      hostBased = {
        key: hostKey,
        clientHostName: options.clientHost ?? `${os.hostname()}.`,
        clientUserName: options.clientUsername ?? os.userInfo().username,
      };
    }
  }
  return {
    keys,
    hostBased,
    agentSign: async (key, algorithm, data) => {
      const k = agentKeys.get(blobKey(key));
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
