/**
 * The client's server host key policy, as AsyncSSH's `connect()` applies it: plain keys trusted
 * by known_hosts (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT) or by a `validateHostPublicKey` hook,
 * OpenSSH host certificates (PROTOCOL.certkeys) signed by an @cert-authority with an algorithm
 * CASignatureAlgorithms allows, X.509 host certificate chains (RFC 6187) to trusted roots,
 * @revoked keys refused, and the host key algorithms to offer narrowed to what known_hosts
 * trusts for the host.
 *
 * Where AsyncSSH and the OpenSSH client read the same known_hosts file differently, this mostly
 * follows OpenSSH, so that `ssh` and `connect()` agree on a host (the interop tests compare all
 * three):
 * - off port 22, plain `host` entries count when no `[host]:port` entry lists a key (for a
 *   certificate: its CA); revocations count in every lookup made;
 * - a host key alias is looked up like a host name (`[alias]:port`, then `alias`: AsyncSSH reads
 *   the first, OpenSSH the second), but entries for the address do not count;
 * - a certificate that fails its checks (but is not revoked) is judged again as its plain key.
 * @module
 */

import {
  decodePublicBlob,
  decodeX509Blob,
  parseName,
  SSHCertificate,
  SSHKey,
  verifyX509Chain,
  type NameAttribute,
  type SSHX509Certificate,
} from '@ssh/keys';
import { HostKeyNotVerifiable } from '@ssh/transport';
import {
  defaultHome,
  resolveKnownHosts,
  resolveX509Roots,
  type KnownHostsOption,
  type ResolvedTrust,
  type TrustLists,
  type X509TrustedCertsOption,
} from './host-keys/trust-sources.ts';
import { caSignatureAlgorithms } from './options.ts';

export type { HostTrustLists, KnownHostsCallback, KnownHostsOption, ResolvedTrust, TrustLists, X509TrustedCertsOption } from './host-keys/trust-sources.ts';

/** A hook deciding on a key known_hosts does not trust (AsyncSSH's SSHClient.validate_host_public_key / validate_host_ca_key). */
export type HostKeyHook = (host: string, addr: string | undefined, port: number, key: SSHKey) => boolean | Promise<boolean>;

export interface HostKeyPolicyOptions {
  /** The host connected to, as given (before any alias). */
  readonly host: string;
  readonly port: number;
  /** The server's address once connected; known_hosts entries for it match too. */
  readonly peerAddress?: string;
  /**
   * Looked up in known_hosts instead of `host` (as `[alias]:port` off port 22, then as `alias`;
   * entries for the address do not count), and checked against certificate principals.
   */
  readonly hostKeyAlias?: string;
  /** See {@link KnownHostsOption}. Default: `~/.ssh/known_hosts`; `null` accepts any host key. */
  readonly knownHosts?: KnownHostsOption;
  /** X.509 trust anchors. Default: `~/.ssh/ca-bundle.crt` when readable; `null` disables X.509 host certificates. */
  readonly x509TrustedCerts?: X509TrustedCertsOption;
  /** Directories of trusted X.509 certificates. Default: `~/.ssh/crt` when it is a directory. */
  readonly x509TrustedCertPaths?: readonly string[];
  /** Purposes an X.509 host certificate must allow (default `secureShellServer`; `any` skips the check). */
  readonly x509Purposes?: string | readonly string[];
  /**
   * The algorithms a host certificate's CA may have signed it with (OpenSSH's
   * CASignatureAlgorithms; see `caSignatureAlgs` of connect()). Default: OpenSSH's, without ssh-rsa.
   */
  readonly caSignatureAlgs?: string | readonly string[];
  /** Asked about plain keys known_hosts does not list (not about revoked ones). Default: refuse. */
  readonly validateHostPublicKey?: HostKeyHook;
  /** Asked about certificate signers known_hosts does not list as @cert-authority. Default: refuse. */
  readonly validateHostCaKey?: HostKeyHook;
  /** Where the defaults live (default: the user's home directory). */
  readonly homeDirectory?: string;
  /** Clock for certificate validity, milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** What the server presented: a key, an OpenSSH certificate, an X.509 chain (end first), or the raw K_S blob. */
export type HostKeyInput = SSHKey | SSHCertificate | readonly SSHX509Certificate[] | Uint8Array;

export interface HostKeyVerifier {
  /** False when `knownHosts` is `null`: every host key is accepted. */
  readonly checking: boolean;
  /** The trust lists found for this host (empty when checking is off). */
  readonly trust: ResolvedTrust;
  /**
   * AsyncSSH's default server_host_key_algs: `all` (the algorithms the client supports, in
   * preference order) narrowed to the signature algorithms of the host keys known_hosts lists
   * for this host, with certificate algorithms ahead of them when it lists a CA and X.509 ones
   * ahead of all when X.509 roots are trusted. With nothing trusted (or nothing left), `all`.
   * Call it only when the user did not choose the host key algorithms.
   */
  preferredAlgorithms(all: readonly string[]): string[];
  /**
   * Resolves when the host key (which the transport has already seen sign the exchange hash
   * with `algorithm`) is trusted; rejects with HostKeyNotVerifiable saying which key and why.
   */
  verify(key: HostKeyInput, algorithm?: string): Promise<void>;
}

const CERT_SUFFIX = '-cert-v01@openssh.com';

type Presented =
  | { readonly kind: 'key'; readonly key: SSHKey }
  | { readonly kind: 'cert'; readonly cert: SSHCertificate }
  | { readonly kind: 'x509'; readonly chain: readonly SSHX509Certificate[] };

function decodeBlob(blob: Uint8Array): Presented {
  let type = '';
  if (blob.length >= 4) {
    const n = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
    type = new TextDecoder().decode(blob.subarray(4, 4 + Math.min(n, 256)));
  }
  if (type.startsWith('x509v3-')) return { kind: 'x509', chain: decodeX509Blob(blob).chain };
  if (type.endsWith(CERT_SUFFIX)) return { kind: 'cert', cert: new SSHCertificate(blob) };
  return { kind: 'key', key: new SSHKey(decodePublicBlob(blob)) };
}

function present(input: HostKeyInput): Presented {
  if (input instanceof SSHKey) return { kind: 'key', key: input };
  if (input instanceof SSHCertificate) return { kind: 'cert', cert: input };
  if (input instanceof Uint8Array) return decodeBlob(input);
  return { kind: 'x509', chain: input };
}

function describe(p: Presented): string {
  switch (p.kind) {
    case 'key':
      return `${p.key.algorithm} key ${p.key.getFingerprint()}`;
    case 'cert':
      return `${p.cert.algorithm} certificate of key ${p.cert.key.getFingerprint()} signed by ${p.cert.signingKey.algorithm} CA ${p.cert.signingKey.getFingerprint()}`;
    case 'x509': {
      const end = p.chain[0];
      return end ? `X.509 certificate "${end.subjectName}" (${end.key.algorithm} key ${end.key.getFingerprint()})` : 'empty X.509 certificate chain';
    }
  }
}

const has = (list: readonly SSHKey[], key: SSHKey): boolean => list.some((k) => k.equals(key));
const sameCert = (a: SSHX509Certificate, b: SSHX509Certificate): boolean =>
  a.data.length === b.data.length && a.data.every((byte, i) => byte === b.data[i]);

/**
 * AsyncSSH's X509NamePattern (PKIX-SSH's `Subject:` entries): the pattern lists the RDNs most
 * significant first, as OpenSSL prints names ('O=Example,CN=host'), and a trailing `,*` matches
 * every name that starts with them. @ssh/keys' matchSubject reads patterns in RFC 4514 order
 * (the reverse), which AsyncSSH does not.
 */
function matchSubjectPattern(pattern: string, subject: readonly NameAttribute[]): boolean {
  let text = pattern.trim();
  const prefix = text.endsWith(',*');
  if (prefix) text = text.slice(0, -2);
  let wanted: NameAttribute[];
  try {
    wanted = parseName(text).reverse();
  } catch {
    return false;
  }
  if (prefix ? subject.length < wanted.length : subject.length !== wanted.length) return false;
  return wanted.every((w, i) => subject[i]?.oid === w.oid && subject[i]?.value === w.value);
}

/** Refusal reasons, turned into HostKeyNotVerifiable by `verify`. */
class Refusal {
  readonly why: string;
  readonly cause: unknown;
  constructor(why: string, cause?: unknown) {
    this.why = why;
    this.cause = cause;
  }
}

/**
 * Builds the policy for one connection: reads the known_hosts and X.509 trust sources (so call
 * it once the peer address is known and before the key exchange starts). Rejects with
 * KeyImportError when a file the options name cannot be read.
 */
export async function createHostKeyVerifier(options: HostKeyPolicyOptions): Promise<HostKeyVerifier> {
  const name = options.hostKeyAlias ?? options.host;
  const { port } = options;
  const addr = options.peerAddress;
  const hostPort = port === 22 ? options.host : `[${options.host}]:${port}`;
  const where = options.hostKeyAlias === undefined ? hostPort : `${options.hostKeyAlias} (alias of ${hostPort})`;
  const home = options.homeDirectory ?? defaultHome();
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  const caSigAlgs = caSignatureAlgorithms(options.caSignatureAlgs);

  if (options.knownHosts === null) {
    const trust: ResolvedTrust = { hostKeys: [], caKeys: [], revokedKeys: [], x509Certs: [], revokedX509Certs: [], x509Subjects: [], revokedX509Subjects: [], withoutPort: undefined, notes: ['host key checking is disabled'] };
    return { checking: false, trust, preferredAlgorithms: (all) => [...all], verify: async () => undefined };
  }

  const trust = await resolveKnownHosts(options.knownHosts, { name, addr, port, alias: options.hostKeyAlias !== undefined, home });
  const x509Roots = await resolveX509Roots(options.x509TrustedCerts, options.x509TrustedCertPaths, home);
  // Certificates known_hosts lists for the host are trusted like roots (AsyncSSH adds them to x509_trusted_certs).
  const roots = x509Roots === null ? null : [...x509Roots, ...trust.x509Certs].filter((c) => !trust.revokedX509Certs.some((r) => sameCert(r, c)));
  const purposes = options.x509Purposes ?? 'secureShellServer';

  const sourceNote = () => (trust.notes.length > 0 ? ` [${trust.notes.join('; ')}]` : '');

  // The [host]:port lookup, then (off port 22, from files) the plain host one, as OpenSSH.
  const lookups: readonly TrustLists[] = trust.withoutPort ? [trust, trust.withoutPort] : [trust];

  /** What known_hosts says about a plain key: the first lookup listing it, revoking it or listing other keys decides. */
  const keyStatus = (key: SSHKey): 'ok' | 'revoked' | 'unknown' | readonly SSHKey[] => {
    for (const t of lookups) {
      if (has(t.revokedKeys, key)) return 'revoked';
      if (has(t.hostKeys, key)) return 'ok';
      if (t.hostKeys.length > 0) return t.hostKeys;
    }
    return 'unknown';
  };

  const checkKey = async (key: SSHKey): Promise<void> => {
    const status = keyStatus(key);
    if (status === 'ok') return;
    if (status === 'revoked') throw new Refusal('the key is marked @revoked in known_hosts');
    if (options.validateHostPublicKey && (await options.validateHostPublicKey(name, addr, port, key))) return;
    throw new Refusal(
      status === 'unknown'
        ? `no known_hosts entry matches this host${sourceNote()}`
        : `known_hosts lists other keys for this host (${status.map((k) => `${k.algorithm} ${k.getFingerprint()}`).join(', ')}): the host key may have changed`,
    );
  };

  const checkCert = async (cert: SSHCertificate): Promise<void> => {
    const ca = cert.signingKey;
    let listed = false;
    for (const t of lookups) {
      if (has(t.revokedKeys, ca)) throw new Refusal('its CA key is marked @revoked in known_hosts');
      if (has(t.revokedKeys, cert.key)) throw new Refusal('its key is marked @revoked in known_hosts');
      if ((listed = has(t.caKeys, ca))) break;
    }
    try {
      if (!listed && !(options.validateHostCaKey && (await options.validateHostCaKey(name, addr, port, ca)))) {
        throw new Refusal(`its CA is not a known_hosts @cert-authority for this host${sourceNote()}`);
      }
      try {
        cert.validate({ kind: 'host', principal: name, now: nowSeconds(), caSignatureAlgorithms: caSigAlgs });
      } catch (cause) {
        throw new Refusal(cause instanceof Error ? cause.message.replace(/^ssh: /, '') : 'the certificate is not valid', cause);
      }
    } catch (e) {
      // As OpenSSH: a certificate that does not check out is judged again as its plain key.
      if (e instanceof Refusal && keyStatus(cert.key) === 'ok') return;
      throw e;
    }
  };

  const checkX509 = (chain: readonly SSHX509Certificate[]): void => {
    const end = chain[0];
    if (end === undefined) throw new Refusal('the certificate chain is empty');
    if (roots === null) throw new Refusal('X.509 host certificates are disabled (x509TrustedCerts is null)');
    if (trust.revokedX509Subjects.some((s) => matchSubjectPattern(s, end.subject))) throw new Refusal('its subject is marked @revoked in known_hosts');
    if (trust.x509Subjects.length > 0 && !trust.x509Subjects.some((s) => matchSubjectPattern(s, end.subject))) {
      throw new Refusal('its subject matches none of the X.509 subjects known_hosts trusts for this host');
    }
    const revoked = chain.find((c) => trust.revokedX509Certs.some((r) => sameCert(r, c)));
    if (revoked) throw new Refusal(`certificate "${revoked.subjectName}" in the chain is marked @revoked in known_hosts`);
    try {
      // As AsyncSSH: the host name is checked against the certificate only when no trusted subject names it.
      verifyX509Chain(chain, roots, { purposes, now: nowSeconds(), ...(trust.x509Subjects.length > 0 ? {} : { principal: name }) });
    } catch (cause) {
      throw new Refusal(cause instanceof Error ? cause.message.replace(/^ssh: /, '') : 'the certificate chain is not valid', cause);
    }
  };

  return {
    checking: true,
    trust,
    preferredAlgorithms(all) {
      const isCert = (a: string) => a.endsWith(CERT_SUFFIX);
      const isX509 = (a: string) => a.startsWith('x509v3-');
      const listing = lookups.find((t) => t.hostKeys.length > 0);
      const trustedAlgs = new Set(listing?.hostKeys.flatMap((k) => k.sigAlgorithms));
      let chosen: string[] = [];
      if (trustedAlgs.size > 0) chosen = all.filter((a) => trustedAlgs.has(a));
      if (lookups.some((t) => t.caKeys.length > 0)) chosen = [...all.filter(isCert), ...chosen];
      if (chosen.length === 0) chosen = all.filter((a) => !isX509(a));
      if (roots !== null && roots.length > 0) chosen = [...all.filter(isX509), ...chosen];
      return chosen.length > 0 ? chosen : [...all];
    },
    async verify(input, algorithm) {
      let presented: Presented;
      try {
        presented = present(input);
      } catch (cause) {
        throw new HostKeyNotVerifiable(`host key for ${where}${algorithm ? ` (${algorithm})` : ''} cannot be read`, undefined, { cause });
      }
      try {
        if (presented.kind === 'key') await checkKey(presented.key);
        else if (presented.kind === 'cert') await checkCert(presented.cert);
        else checkX509(presented.chain);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        const label = presented.kind === 'key' ? 'host key' : 'host certificate';
        throw new HostKeyNotVerifiable(`${label} for ${where} is not trusted: ${describe(presented)}: ${e.why}`, undefined, e.cause === undefined ? undefined : { cause: e.cause });
      }
    },
  };
}
