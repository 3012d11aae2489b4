/**
 * Algorithm negotiation. RFC 4253 §7.1.
 *
 * For every kind the chosen algorithm is the first one on the client's list that is also on the
 * server's list. The kex guess (`first_kex_packet_follows`) is right only when both sides' first
 * kex algorithm and first host key algorithm are the same.
 * @module
 */

import { NoCommonAlgorithmError } from './errors.ts';

/** Names in a kex list that signal extensions rather than name a kex method (never chosen). */
export const KEX_PSEUDO_ALGORITHMS: ReadonlySet<string> = new Set([
  'ext-info-c',
  'ext-info-s',
  'kex-strict-c-v00@openssh.com',
  'kex-strict-s-v00@openssh.com',
]);

/** The first client algorithm the server also offers; `NoCommonAlgorithmError` names both lists. */
export function negotiateAlgorithm(kind: string, client: readonly string[], server: readonly string[]): string {
  const theirs = new Set(server);
  for (const name of client) if (theirs.has(name)) return name;
  throw new NoCommonAlgorithmError(kind, client, server);
}

/** The name-lists of one SSH_MSG_KEXINIT. RFC 4253 §7.1. */
export interface KexInitLists {
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly cipherClientToServer: readonly string[];
  readonly cipherServerToClient: readonly string[];
  readonly macClientToServer: readonly string[];
  readonly macServerToClient: readonly string[];
  readonly compressionClientToServer: readonly string[];
  readonly compressionServerToClient: readonly string[];
  readonly languagesClientToServer?: readonly string[];
  readonly languagesServerToClient?: readonly string[];
}

/** What both sides agreed on. MACs are undefined when the direction's cipher is AEAD. */
export interface NegotiatedAlgorithms {
  readonly kex: string;
  readonly hostKey: string;
  readonly cipherClientToServer: string;
  readonly cipherServerToClient: string;
  readonly macClientToServer: string | undefined;
  readonly macServerToClient: string | undefined;
  readonly compressionClientToServer: string;
  readonly compressionServerToClient: string;
  readonly languageClientToServer: string | undefined;
  readonly languageServerToClient: string | undefined;
}

export interface NegotiateOptions {
  /** True for ciphers that carry their own integrity (AEAD): no MAC is negotiated for them. */
  readonly isAead?: (cipher: string) => boolean;
}

function optionalMatch(client: readonly string[] | undefined, server: readonly string[] | undefined): string | undefined {
  if (client === undefined || server === undefined) return undefined;
  const theirs = new Set(server);
  return client.find((n) => theirs.has(n));
}

/**
 * Negotiates every list of two KEXINITs. Kex pseudo-algorithms (`ext-info-c`,
 * `kex-strict-*`) are ignored. Languages never fail: no match means none.
 */
export function negotiateKexInit(client: KexInitLists, server: KexInitLists, options: NegotiateOptions = {}): NegotiatedAlgorithms {
  const kexClient = client.kex.filter((n) => !KEX_PSEUDO_ALGORITHMS.has(n));
  const kexServer = server.kex.filter((n) => !KEX_PSEUDO_ALGORITHMS.has(n));
  const kex = negotiateAlgorithm('kex', kexClient, kexServer);
  const hostKey = negotiateAlgorithm('host key', client.hostKey, server.hostKey);
  const cipherClientToServer = negotiateAlgorithm('cipher (client to server)', client.cipherClientToServer, server.cipherClientToServer);
  const cipherServerToClient = negotiateAlgorithm('cipher (server to client)', client.cipherServerToClient, server.cipherServerToClient);
  const aead = options.isAead ?? (() => false);
  const macClientToServer = aead(cipherClientToServer)
    ? undefined
    : negotiateAlgorithm('mac (client to server)', client.macClientToServer, server.macClientToServer);
  const macServerToClient = aead(cipherServerToClient)
    ? undefined
    : negotiateAlgorithm('mac (server to client)', client.macServerToClient, server.macServerToClient);
  return {
    kex,
    hostKey,
    cipherClientToServer,
    cipherServerToClient,
    macClientToServer,
    macServerToClient,
    compressionClientToServer: negotiateAlgorithm(
      'compression (client to server)',
      client.compressionClientToServer,
      server.compressionClientToServer,
    ),
    compressionServerToClient: negotiateAlgorithm(
      'compression (server to client)',
      client.compressionServerToClient,
      server.compressionServerToClient,
    ),
    languageClientToServer: optionalMatch(client.languagesClientToServer, server.languagesClientToServer),
    languageServerToClient: optionalMatch(client.languagesServerToClient, server.languagesServerToClient),
  };
}

/**
 * RFC 4253 §7: a guessed first kex packet is right when the preferred kex algorithm and the
 * preferred host key algorithm of both sides are the same; otherwise it must be ignored.
 */
export function isKexGuessCorrect(
  client: Pick<KexInitLists, 'kex' | 'hostKey'>,
  server: Pick<KexInitLists, 'kex' | 'hostKey'>,
): boolean {
  const ck = client.kex.find((n) => !KEX_PSEUDO_ALGORITHMS.has(n));
  const sk = server.kex.find((n) => !KEX_PSEUDO_ALGORITHMS.has(n));
  return ck !== undefined && ck === sk && client.hostKey[0] !== undefined && client.hostKey[0] === server.hostKey[0];
}
