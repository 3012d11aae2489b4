/**
 * A private key (with its certificate, if any) in the form SSH_AGENTC_ADD_IDENTITY carries it.
 * draft-miller-ssh-agent §3.2.
 *
 * @ssh/keys has no public function for a key's bare private fields, so they are taken from its
 * unencrypted openssh-key-v1 export (OpenSSH PROTOCOL.key), whose private section holds exactly
 * the agent encoding: key type, fields, comment, then padding. The padding lands in the
 * `constraints` tail of the decoded body and is dropped.
 * @module
 */

import { type SSHCertificate, type SSHKey, SSHKeyPair } from '@ssh/keys';
import { Reader, SshError } from '@ssh/wire';
import { AgentKeyError } from './errors.ts';
import { type AgentKeyBody, AgentKeyBodies } from './messages.ts';

const MAGIC = 'openssh-key-v1\0';
const ARMOR = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;

/** Something the agent can hold: a private key, or a key pair (private key and optional certificate). */
export type AgentKeyInput = SSHKey | SSHKeyPair;

/** The key type and body of an ADD_IDENTITY for `input`, with `constraints` (encoded) appended. */
export function agentKeyBody(input: AgentKeyInput, constraints: Uint8Array, comment?: Uint8Array): { keyType: string; body: AgentKeyBody } {
  const key = input instanceof SSHKeyPair ? input.key : input;
  const cert = input instanceof SSHKeyPair ? input.certificate : undefined;
  if (!key.hasPrivate) throw new AgentKeyError(`${key.algorithm} key has no private part to give the agent`);
  const plain = plainBody(key);
  const note = comment ?? (input instanceof SSHKeyPair ? input.getCommentBytes() : key.getCommentBytes()) ?? new Uint8Array(0);
  if (cert === undefined) return { keyType: plain.type, body: { ...plain, comment: note, constraints } };
  return { keyType: cert.algorithm, body: certBody(cert, plain, note, constraints) };
}

/** The body of a certificate type: the certificate blob, then the plain fields the certificate case keeps. */
function certBody(cert: SSHCertificate, plain: AgentKeyBody, comment: Uint8Array, constraints: Uint8Array): AgentKeyBody {
  const entries = AgentKeyBodies.entries.get(cert.algorithm);
  if (entries === undefined) throw new AgentKeyError(`certificate type ${cert.algorithm} has no agent encoding here`);
  const from = plain as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: cert.algorithm };
  for (const { name } of entries) {
    if (name === 'certificate') out[name] = cert.publicData;
    else if (name === 'comment') out[name] = comment;
    else if (name === 'constraints') out[name] = constraints;
    else if (name in from) out[name] = from[name];
    else throw new AgentKeyError(`${cert.algorithm}: the key lacks field ${name}`);
  }
  return out as AgentKeyBody;
}

/** The key's plain-type body, read from its openssh-key-v1 export (comment and padding discarded). */
function plainBody(key: SSHKey): AgentKeyBody {
  let binary: Uint8Array;
  try {
    binary = opensshBinary(key.exportPrivateKey('openssh'));
  } catch (cause) {
    if (cause instanceof AgentKeyError) throw cause;
    throw new AgentKeyError(`cannot export the ${key.algorithm} key`, { cause });
  }
  try {
    const r = new Reader(binary);
    const magic = r.raw(MAGIC.length, 'magic');
    if (String.fromCharCode(...magic) !== MAGIC) throw new AgentKeyError('unexpected private key export');
    if (r.latin1('cipher') !== 'none') throw new AgentKeyError('private key export is encrypted');
    r.bytes('kdf');
    r.bytes('kdf options');
    if (r.u32('key count') !== 1) throw new AgentKeyError('unexpected private key export');
    r.bytes('public key');
    const section = r.nested('private section');
    section.u32('check');
    section.u32('check');
    const keyType = section.latin1('key type');
    if (!AgentKeyBodies.has(keyType)) throw new AgentKeyError(`key type ${keyType} has no agent encoding here`);
    const body = AgentKeyBodies.decode(keyType, section.rest());
    if (body instanceof Uint8Array) throw new AgentKeyError(`key type ${keyType} has no agent encoding here`);
    return body;
  } catch (cause) {
    if (cause instanceof AgentKeyError) throw cause;
    if (cause instanceof SshError) throw new AgentKeyError(`cannot read the exported ${key.algorithm} key`, { cause });
    throw cause;
  }
}

/** The binary openssh-key-v1 inside the armored export. */
function opensshBinary(exported: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(exported);
  const m = ARMOR.exec(text);
  if (m === null) throw new AgentKeyError('unexpected private key export');
  const b64 = (m[1] as string).replace(/\s+/g, '');
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
