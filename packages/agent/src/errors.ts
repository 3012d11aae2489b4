/**
 * Errors of @ssh/agent. `AgentError` is the base; each subclass says who is at fault: the agent
 * refused (`AgentFailureError`), the agent broke the protocol (`AgentProtocolError`), the
 * connection ended or could not be made (`AgentClosedError`, `AgentConnectError`), the agent did
 * not answer in time (`AgentTimeoutError`), or a key cannot be sent to an agent (`AgentKeyError`).
 * @module
 */

import { SshError } from '@ssh/wire';

/** Base class of every @ssh/agent error. */
export class AgentError extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentError');

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The agent answered SSH_AGENT_FAILURE (or SSH_AGENT_EXTENSION_FAILURE) to `request`. */
export class AgentFailureError extends AgentError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentFailureError');

  /** The request the agent refused, e.g. 'SSH_AGENTC_SIGN_REQUEST'. */
  readonly request: string;

  constructor(request: string, detail = 'agent refused the request') {
    super('SSH_ERR_AGENT_FAILURE', `${request}: ${detail}`);
    this.request = request;
  }
}

/** Why a reply broke the protocol. */
export type AgentProtocolErrorReason =
  | 'oversized' // a length prefix above the configured maximum
  | 'truncated' // the stream ended inside a message
  | 'empty' // a zero-length message (no message number)
  | 'unexpected-message' // a message number that does not answer the request, or a reply nobody asked for
  | 'malformed'; // a message whose body does not decode (see `cause`, a WireError)

/** The peer sent something the protocol forbids. The connection is closed when this happens. */
export class AgentProtocolError extends AgentError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentProtocolError');

  readonly reason: AgentProtocolErrorReason;

  constructor(reason: AgentProtocolErrorReason, detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_AGENT_PROTOCOL', `agent protocol error (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}

/** The agent connection is closed (by us, by the agent, or after an earlier fatal error in `cause`). */
export class AgentClosedError extends AgentError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentClosedError');

  constructor(detail = 'agent connection closed', options?: { cause?: unknown }) {
    super('SSH_ERR_AGENT_CLOSED', detail, options);
  }
}

/** No reply within the time the adapter allows; the connection is closed, as a late reply would be out of step. */
export class AgentTimeoutError extends AgentError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentTimeoutError');

  readonly timeoutMs: number;

  constructor(request: string, timeoutMs: number) {
    super('SSH_ERR_AGENT_TIMEOUT', `${request}: no reply from the agent within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The agent could not be reached (no SSH_AUTH_SOCK, no socket at the path, refused). */
export class AgentConnectError extends AgentError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentConnectError');

  constructor(detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_AGENT_CONNECT', detail, options);
  }
}

/** A key that cannot be given to an agent (public only, or a type without an agent encoding). */
export class AgentKeyError extends AgentError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.AgentKeyError');

  constructor(detail: string, options?: { cause?: unknown }) {
    super('SSH_ERR_AGENT_KEY', detail, options);
  }
}
