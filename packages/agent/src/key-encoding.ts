/**
 * A private key (with its certificate, if any) in the form SSH_AGENTC_ADD_IDENTITY carries it,
 * and back. draft-miller-ssh-agent §3.2.
 *
 * The private fields are those of OpenSSH's openssh-key-v1 private section, which @ssh/keys
 * writes (`SSHKey.encodePrivateFields`) and reads (`readPrivateKeyFields`); the `AgentKeyBodies`
 * table names them, and maps a plain key's fields onto its certificate type's.
 * @module
 */

import { type SSHCertificate, type SSHKey, SSHKeyPair, readPrivateKeyFields } from '@ssh/keys';
import { Reader, SshError } from '@ssh/wire';
import { AgentKeyError } from './errors.ts';
import { type AgentKeyBody, AgentKeyBodies } from './messages.ts';

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

/** The key's plain-type body (with an empty comment and no constraints). */
function plainBody(key: SSHKey): AgentKeyBody {
  const keyType = key.algorithm;
  if (!AgentKeyBodies.has(keyType)) throw new AgentKeyError(`key type ${keyType} has no agent encoding here`);
  let fields: Uint8Array;
  try {
    fields = key.encodePrivateFields();
  } catch (cause) {
    throw new AgentKeyError(`cannot encode the ${keyType} key`, { cause });
  }
  // The fields, then an empty comment: the table's case for the key type.
  const bytes = new Uint8Array(fields.length + 4);
  bytes.set(fields);
  try {
    const body = AgentKeyBodies.decode(keyType, bytes);
    if (body instanceof Uint8Array || body.constraints.length > 0) throw new AgentKeyError(`unexpected ${keyType} private fields`);
    return body;
  } catch (cause) {
    if (cause instanceof AgentKeyError) throw cause;
    throw new AgentKeyError(`unexpected ${keyType} private fields`, { cause });
  }
}

/**
 * The private key an ADD_IDENTITY body carries, for an agent that holds keys as `SSHKey`s.
 * Plain key types only: a certificate body is refused with AgentKeyError (its key is the
 * certificate's key plus the private fields; build it from `body.certificate` if needed).
 */
export function agentBodyKey(keyType: string, body: AgentKeyBody | Uint8Array): SSHKey {
  if (body instanceof Uint8Array || body.type !== keyType) throw new AgentKeyError(`key type ${keyType} has no agent encoding here`);
  if (keyType.endsWith('-cert-v01@openssh.com')) throw new AgentKeyError(`${keyType}: certificate bodies are not turned into keys here`);
  const encoded = AgentKeyBodies.encode(body);
  try {
    return readPrivateKeyFields(keyType, new Reader(encoded), body.comment);
  } catch (cause) {
    if (cause instanceof SshError) throw new AgentKeyError(`the ${keyType} key in the request is not valid`, { cause });
    throw cause;
  }
}
