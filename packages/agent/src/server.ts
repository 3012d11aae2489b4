/**
 * The agent side of the protocol, sans I/O: requests decoded into a tagged union, replies
 * encoded and framed. What an agent implementation, an agent-forwarding relay that inspects
 * traffic, or a test agent builds on. draft-miller-ssh-agent §3.
 * @module
 */

import { WireError, Writer } from '@ssh/wire';
import { AGENT, AGENT_MAX_MESSAGE_LENGTH } from './constants.ts';
import { AgentFrameReader, frameAgentMessage } from './framing.ts';
import {
  type AgentConstraint,
  AgentExtensionFailure,
  AgentExtensionResponse,
  AgentFailure,
  AgentIdentitiesAnswer,
  type AgentIdentity,
  type AgentKeyBody,
  AgentSignResponse,
  AgentSuccess,
  agentRequests,
  ExtensionNames,
  decodeConstraints,
} from './messages.ts';

/** A decoded request. */
export type AgentRequest =
  | { readonly type: 'request-identities' }
  | { readonly type: 'sign'; readonly publicKey: Uint8Array; readonly data: Uint8Array; readonly flags: number }
  | {
      readonly type: 'add-identity';
      readonly keyType: string;
      /** The key's fields, or the raw bytes after the key type for a type this package does not know. */
      readonly key: AgentKeyBody | Uint8Array;
      /** The comment (empty for an unknown key type, whose fields cannot be delimited). */
      readonly comment: Uint8Array;
      readonly constraints: readonly AgentConstraint[];
    }
  | { readonly type: 'remove-identity'; readonly publicKey: Uint8Array }
  | { readonly type: 'remove-all' }
  | { readonly type: 'add-smartcard-key'; readonly providerId: string; readonly pin: string; readonly constraints: readonly AgentConstraint[] }
  | { readonly type: 'remove-smartcard-key'; readonly providerId: string; readonly pin: string }
  | { readonly type: 'lock'; readonly passphrase: Uint8Array }
  | { readonly type: 'unlock'; readonly passphrase: Uint8Array }
  | { readonly type: 'extension'; readonly extensionType: string; readonly contents: Uint8Array }
  /** A message number no request has: an agent answers SSH_AGENT_FAILURE. */
  | { readonly type: 'unknown'; readonly number: number; readonly payload: Uint8Array };

/** A reply to encode. `success` may carry data for extension replies (the older "query" form). */
export type AgentReply =
  | { readonly type: 'success'; readonly contents?: Uint8Array }
  | { readonly type: 'failure' }
  | { readonly type: 'identities'; readonly keys: readonly AgentIdentity[] }
  | { readonly type: 'signature'; readonly signature: Uint8Array }
  | { readonly type: 'extension-failure' }
  | { readonly type: 'extension-response'; readonly extensionType: string; readonly contents: Uint8Array };

/** Decodes one request payload. A known message that does not decode throws `WireError`. */
export function decodeAgentRequest(payload: Uint8Array): AgentRequest {
  const number = payload[0];
  if (number === undefined || agentRequests.get(number) === undefined) {
    return { type: 'unknown', number: number ?? 0, payload };
  }
  const d = agentRequests.decode(payload);
  switch (d.name) {
    case 'SSH_AGENTC_REQUEST_IDENTITIES':
      return { type: 'request-identities' };
    case 'SSH_AGENTC_SIGN_REQUEST':
      return { type: 'sign', ...d.message };
    case 'SSH_AGENTC_ADD_IDENTITY':
    case 'SSH_AGENTC_ADD_ID_CONSTRAINED': {
      const { keyType, body } = d.message;
      if (body instanceof Uint8Array) return { type: 'add-identity', keyType, key: body, comment: new Uint8Array(0), constraints: [] };
      const constrained = d.name === 'SSH_AGENTC_ADD_ID_CONSTRAINED';
      if (!constrained && body.constraints.length > 0) {
        throw trailing(payload.length - body.constraints.length, 'SSH_AGENTC_ADD_IDENTITY');
      }
      const constraints = decodeConstraints(body.constraints, { baseOffset: payload.length - body.constraints.length });
      return { type: 'add-identity', keyType, key: body, comment: body.comment, constraints };
    }
    case 'SSH_AGENTC_REMOVE_IDENTITY':
      return { type: 'remove-identity', publicKey: d.message.publicKey };
    case 'SSH_AGENTC_REMOVE_ALL_IDENTITIES':
      return { type: 'remove-all' };
    case 'SSH_AGENTC_ADD_SMARTCARD_KEY':
      return { type: 'add-smartcard-key', ...d.message, constraints: [] };
    case 'SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED': {
      const { providerId, pin, constraints } = d.message;
      return { type: 'add-smartcard-key', providerId, pin, constraints: decodeConstraints(constraints, { baseOffset: payload.length - constraints.length }) };
    }
    case 'SSH_AGENTC_REMOVE_SMARTCARD_KEY':
      return { type: 'remove-smartcard-key', ...d.message };
    case 'SSH_AGENTC_LOCK':
      return { type: 'lock', passphrase: d.message.passphrase };
    case 'SSH_AGENTC_UNLOCK':
      return { type: 'unlock', passphrase: d.message.passphrase };
    case 'SSH_AGENTC_EXTENSION':
      return { type: 'extension', ...d.message };
  }
}

function trailing(offset: number, field: string): WireError {
  return new WireError('trailing-data', field, offset, 'constraints in an unconstrained ADD_IDENTITY');
}

/** Encodes a reply payload (message number first, no length prefix). */
export function encodeAgentReply(reply: AgentReply): Uint8Array {
  switch (reply.type) {
    case 'success': {
      const contents = reply.contents ?? new Uint8Array(0);
      if (contents.length === 0) return AgentSuccess.encode({});
      const out = new Uint8Array(1 + contents.length);
      out[0] = AGENT.SUCCESS;
      out.set(contents, 1);
      return out;
    }
    case 'failure':
      return AgentFailure.encode({});
    case 'identities':
      return AgentIdentitiesAnswer.encode({ keys: [...reply.keys] });
    case 'signature':
      return AgentSignResponse.encode({ signature: reply.signature });
    case 'extension-failure':
      return AgentExtensionFailure.encode({});
    case 'extension-response':
      return AgentExtensionResponse.encode({ extensionType: reply.extensionType, contents: reply.contents });
  }
}

/** The body of a "query" reply: the names, one string each. */
export function encodeExtensionNames(names: readonly string[]): Uint8Array {
  const value = { names: [...names] };
  const w = new Writer(ExtensionNames.size(value, {}));
  ExtensionNames.write(w, value, {});
  return w.finish();
}

/**
 * The agent end of one connection: feed it the client's bytes, get requests; hand it replies,
 * get the bytes to send. Malformed requests surface as `{ error }` items (answer FAILURE or drop
 * the connection); a bad length prefix throws `AgentProtocolError`, after which the connection
 * must be closed.
 */
export class AgentServerCodec {
  private readonly frames: AgentFrameReader;

  constructor(options: { readonly maxRequestLength?: number } = {}) {
    this.frames = new AgentFrameReader(options.maxRequestLength ?? AGENT_MAX_MESSAGE_LENGTH);
  }

  /** The requests `chunk` completes, in order. */
  receive(chunk: Uint8Array): ({ readonly request: AgentRequest } | { readonly error: WireError })[] {
    return this.frames.push(chunk).map((payload) => {
      try {
        return { request: decodeAgentRequest(payload) };
      } catch (error) {
        if (error instanceof WireError) return { error };
        throw error;
      }
    });
  }

  /** At the end of the client's stream: throws `AgentProtocolError` when a request was cut short. */
  end(): void {
    this.frames.end();
  }

  /** The framed bytes of a reply. */
  reply(reply: AgentReply): Uint8Array {
    return frameAgentMessage(encodeAgentReply(reply));
  }
}
