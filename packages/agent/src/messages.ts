/**
 * ssh-agent messages, each declared once with the @ssh/wire DSL. draft-miller-ssh-agent §3-§4
 * (requests and replies), §3.2 (the private key encodings of ADD_IDENTITY, which are those of
 * OpenSSH's openssh-key-v1 private section), §3.2.7 (constraints); OpenSSH PROTOCOL.agent
 * (session-bind@openssh.com).
 *
 * Every message travels as `uint32 length, byte number, fields` (see framing.ts); the schemas
 * here describe the payload from the number on.
 * @module
 */

import { type Infer, Reader, W, Writer, defineMessage, defineMessageTable, defineTable } from '@ssh/wire';
import { AGENT, AGENT_CONSTRAIN } from './constants.ts';

// --- Private key bodies. §3.2.1-§3.2.6 -------------------------------------------------------
//
// After the key type come the key's fields (mpints are kept as their raw string bytes: the agent
// protocol only carries them), the comment, and, in ADD_ID_CONSTRAINED, the constraints up to
// the end of the message. A certificate type carries the certificate blob followed by the
// private fields of the plain type that the certificate does not already hold.

const tail = { comment: W.bytes, constraints: W.rest } as const;
const ed = { publicKey: W.bytes, privateKey: W.bytes, ...tail } as const;
const rsa = { n: W.bytes, e: W.bytes, d: W.bytes, iqmp: W.bytes, p: W.bytes, q: W.bytes, ...tail } as const;
const ecdsa = { curve: W.latin1, publicKey: W.bytes, privateKey: W.bytes, ...tail } as const;
const dsa = { p: W.bytes, q: W.bytes, g: W.bytes, y: W.bytes, x: W.bytes, ...tail } as const;
const sk = { application: W.latin1, flags: W.u8, keyHandle: W.bytes, reserved: W.bytes } as const;
const skEcdsa = { curve: W.latin1, publicKey: W.bytes, ...sk, ...tail } as const;
const skEd = { publicKey: W.bytes, ...sk, ...tail } as const;
const cert = { certificate: W.bytes } as const;

const keyBodies = {
  'ssh-ed25519': ed,
  'ssh-ed448': ed,
  'ssh-rsa': rsa,
  'ecdsa-sha2-nistp256': ecdsa,
  'ecdsa-sha2-nistp384': ecdsa,
  'ecdsa-sha2-nistp521': ecdsa,
  'ssh-dss': dsa,
  'sk-ecdsa-sha2-nistp256@openssh.com': skEcdsa,
  'sk-ssh-ed25519@openssh.com': skEd,
  'ssh-ed25519-cert-v01@openssh.com': { ...cert, publicKey: W.bytes, privateKey: W.bytes, ...tail },
  'ssh-ed448-cert-v01@openssh.com': { ...cert, publicKey: W.bytes, privateKey: W.bytes, ...tail },
  'ssh-rsa-cert-v01@openssh.com': { ...cert, d: W.bytes, iqmp: W.bytes, p: W.bytes, q: W.bytes, ...tail },
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': { ...cert, privateKey: W.bytes, ...tail },
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': { ...cert, privateKey: W.bytes, ...tail },
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': { ...cert, privateKey: W.bytes, ...tail },
  'ssh-dss-cert-v01@openssh.com': { ...cert, x: W.bytes, ...tail },
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com': { ...cert, ...sk, ...tail },
  'sk-ssh-ed25519-cert-v01@openssh.com': { ...cert, ...sk, ...tail },
} as const satisfies W.Cases;

/** The fields after the key type of ADD_IDENTITY / ADD_ID_CONSTRAINED, keyed by key type. */
export const AgentKeyBodies = defineTable('agent key', keyBodies);
export type AgentKeyBody = Infer<typeof AgentKeyBodies>;
/** Key types whose private fields this package can encode and decode. */
export const AGENT_KEY_TYPES: readonly string[] = Object.keys(keyBodies);

// --- Requests. §3 ----------------------------------------------------------------------------

/** §3.4: list the keys. */
export const AgentRequestIdentities = defineMessage(AGENT.REQUEST_IDENTITIES, 'SSH_AGENTC_REQUEST_IDENTITIES', {});

/** §3.6: sign `data` with the key whose public blob is `publicKey`. */
export const AgentSignRequest = defineMessage(AGENT.SIGN_REQUEST, 'SSH_AGENTC_SIGN_REQUEST', {
  publicKey: W.bytes,
  data: W.bytes,
  flags: W.u32,
});
export type AgentSignRequest = Infer<typeof AgentSignRequest>;

/** §3.2: add a key (`body` is the key type's case, or raw bytes for a type the table lacks). */
export const AgentAddIdentity = defineMessage(AGENT.ADD_IDENTITY, 'SSH_AGENTC_ADD_IDENTITY', {
  keyType: W.latin1,
  body: W.keyed('keyType', AgentKeyBodies),
});
export type AgentAddIdentity = Infer<typeof AgentAddIdentity>;

/** §3.2: add a key with constraints (the body's `constraints` bytes; see decodeConstraints). */
export const AgentAddIdConstrained = defineMessage(AGENT.ADD_ID_CONSTRAINED, 'SSH_AGENTC_ADD_ID_CONSTRAINED', {
  keyType: W.latin1,
  body: W.keyed('keyType', AgentKeyBodies),
});
export type AgentAddIdConstrained = Infer<typeof AgentAddIdConstrained>;

/** §3.3: remove the key whose public blob is `publicKey`. */
export const AgentRemoveIdentity = defineMessage(AGENT.REMOVE_IDENTITY, 'SSH_AGENTC_REMOVE_IDENTITY', {
  publicKey: W.bytes,
});
export type AgentRemoveIdentity = Infer<typeof AgentRemoveIdentity>;

/** §3.3 */
export const AgentRemoveAllIdentities = defineMessage(AGENT.REMOVE_ALL_IDENTITIES, 'SSH_AGENTC_REMOVE_ALL_IDENTITIES', {});

/** §3.2.5: load the keys of a PKCS#11 provider. */
export const AgentAddSmartcardKey = defineMessage(AGENT.ADD_SMARTCARD_KEY, 'SSH_AGENTC_ADD_SMARTCARD_KEY', {
  providerId: W.utf8,
  pin: W.utf8,
});
export type AgentAddSmartcardKey = Infer<typeof AgentAddSmartcardKey>;

/** §3.2.5 with constraints to the end of the message. */
export const AgentAddSmartcardKeyConstrained = defineMessage(AGENT.ADD_SMARTCARD_KEY_CONSTRAINED, 'SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED', {
  providerId: W.utf8,
  pin: W.utf8,
  constraints: W.rest,
});
export type AgentAddSmartcardKeyConstrained = Infer<typeof AgentAddSmartcardKeyConstrained>;

/** §3.3: unload a PKCS#11 provider's keys. */
export const AgentRemoveSmartcardKey = defineMessage(AGENT.REMOVE_SMARTCARD_KEY, 'SSH_AGENTC_REMOVE_SMARTCARD_KEY', {
  providerId: W.utf8,
  pin: W.utf8,
});
export type AgentRemoveSmartcardKey = Infer<typeof AgentRemoveSmartcardKey>;

/** §3.7 */
export const AgentLock = defineMessage(AGENT.LOCK, 'SSH_AGENTC_LOCK', { passphrase: W.bytes });
/** §3.7 */
export const AgentUnlock = defineMessage(AGENT.UNLOCK, 'SSH_AGENTC_UNLOCK', { passphrase: W.bytes });

/**
 * §3.8: a vendor extension. The contents follow the name directly, without a string wrapper, as
 * OpenSSH sends and expects them.
 */
export const AgentExtension = defineMessage(AGENT.EXTENSION, 'SSH_AGENTC_EXTENSION', {
  extensionType: W.latin1,
  contents: W.rest,
});
export type AgentExtension = Infer<typeof AgentExtension>;

/** Every request, for dispatch on the agent side. */
export const agentRequests = defineMessageTable('agent request', [
  AgentRequestIdentities,
  AgentSignRequest,
  AgentAddIdentity,
  AgentAddIdConstrained,
  AgentRemoveIdentity,
  AgentRemoveAllIdentities,
  AgentAddSmartcardKey,
  AgentAddSmartcardKeyConstrained,
  AgentRemoveSmartcardKey,
  AgentLock,
  AgentUnlock,
  AgentExtension,
]);

// --- Replies. §3 ------------------------------------------------------------------------------

/** §3.1 */
export const AgentFailure = defineMessage(AGENT.FAILURE, 'SSH_AGENT_FAILURE', {});
/** §3.1 */
export const AgentSuccess = defineMessage(AGENT.SUCCESS, 'SSH_AGENT_SUCCESS', {});

/** One key of an IDENTITIES_ANSWER: its public blob (a certificate blob for certificates) and comment. */
export const AgentIdentity = W.struct({ publicKey: W.bytes, comment: W.bytes }, 'identity');
export type AgentIdentity = Infer<typeof AgentIdentity>;

/** §3.5 */
export const AgentIdentitiesAnswer = defineMessage(AGENT.IDENTITIES_ANSWER, 'SSH_AGENT_IDENTITIES_ANSWER', {
  keys: W.list(AgentIdentity),
});
export type AgentIdentitiesAnswer = Infer<typeof AgentIdentitiesAnswer>;

/** §3.6: the SSH signature blob (`string algorithm, string signature`). */
export const AgentSignResponse = defineMessage(AGENT.SIGN_RESPONSE, 'SSH_AGENT_SIGN_RESPONSE', { signature: W.bytes });
export type AgentSignResponse = Infer<typeof AgentSignResponse>;

/** §3.8: the agent knows the extension but it failed. */
export const AgentExtensionFailure = defineMessage(AGENT.EXTENSION_FAILURE, 'SSH_AGENT_EXTENSION_FAILURE', {});

/** §3.8: an extension's reply carrying data. */
export const AgentExtensionResponse = defineMessage(AGENT.EXTENSION_RESPONSE, 'SSH_AGENT_EXTENSION_RESPONSE', {
  extensionType: W.latin1,
  contents: W.rest,
});
export type AgentExtensionResponse = Infer<typeof AgentExtensionResponse>;

/** Every reply (SSH_AGENT_SUCCESS as a bare message; extension replies may carry data after it). */
export const agentReplies = defineMessageTable('agent reply', [
  AgentFailure,
  AgentSuccess,
  AgentIdentitiesAnswer,
  AgentSignResponse,
  AgentExtensionFailure,
  AgentExtensionResponse,
]);

// --- Extension bodies. OpenSSH PROTOCOL.agent §1, draft §3.8.1 --------------------------------

/** session-bind@openssh.com: binds the agent connection to an SSH session (what ssh sends after KEX). */
export const SessionBind = W.struct(
  { hostKey: W.bytes, sessionId: W.bytes, signature: W.bytes, isForwarding: W.bool },
  'session-bind@openssh.com',
);
export type SessionBind = Infer<typeof SessionBind>;

/** Extension names, one string each up to the end (the body of a "query" reply). */
export const ExtensionNames = W.struct({ names: W.many(W.latin1) }, 'query');

// --- Constraints. §3.2.7 ------------------------------------------------------------------------

/** A key constraint. Extension constraints carry their (name-specific) data as raw bytes. */
export type AgentConstraint =
  | { readonly type: 'lifetime'; readonly seconds: number }
  | { readonly type: 'confirm' }
  | { readonly type: 'extension'; readonly name: string; readonly data: Uint8Array };

/**
 * Encodes constraints. An extension constraint's `data` is written as it is, so it must already
 * be in the extension's own wire form (one string for sk-provider@openssh.com and
 * restrict-destination-v00@openssh.com; a boolean and a string for associated-certs-v00@openssh.com).
 */
export function encodeConstraints(constraints: readonly AgentConstraint[]): Uint8Array {
  const w = new Writer(64);
  for (const c of constraints) {
    switch (c.type) {
      case 'lifetime':
        w.u8(AGENT_CONSTRAIN.LIFETIME).u32(c.seconds);
        break;
      case 'confirm':
        w.u8(AGENT_CONSTRAIN.CONFIRM);
        break;
      case 'extension':
        w.u8(AGENT_CONSTRAIN.EXTENSION).latin1(c.name).raw(c.data);
        break;
    }
  }
  return w.finish();
}

/** Extension constraints whose data is a boolean then one string (OpenSSH's ssh-agent.c). */
const BOOL_AND_STRING_CONSTRAINTS: ReadonlySet<string> = new Set(['associated-certs-v00@openssh.com']);

/**
 * Decodes the constraints of an ADD_ID_CONSTRAINED. Extension constraints are read as a name and
 * one string of data, the shape of `sk-provider@openssh.com` and
 * `restrict-destination-v00@openssh.com`, except `associated-certs-v00@openssh.com`, whose data
 * is a boolean (certificates only) then one string (the certificates). `data` holds the
 * extension's bytes as they came. Throws only `WireError`.
 */
export function decodeConstraints(bytes: Uint8Array, options?: { readonly baseOffset?: number }): AgentConstraint[] {
  const r = new Reader(bytes, options);
  const out: AgentConstraint[] = [];
  while (!r.atEnd) {
    const at = r.offset;
    const type = r.u8('constraint type');
    if (type === AGENT_CONSTRAIN.LIFETIME) out.push({ type: 'lifetime', seconds: r.u32('lifetime') });
    else if (type === AGENT_CONSTRAIN.CONFIRM) out.push({ type: 'confirm' });
    else if (type === AGENT_CONSTRAIN.EXTENSION) {
      const name = r.latin1('constraint extension name');
      const start = r.offset;
      if (BOOL_AND_STRING_CONSTRAINTS.has(name)) r.u8('constraint extension flag');
      r.bytes('constraint extension data');
      out.push({ type: 'extension', name, data: bytes.subarray(start, r.offset) });
    } else throw r.error('invalid-value', 'constraint type', `unknown constraint type ${type}`, at);
  }
  return out;
}
