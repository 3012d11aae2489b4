/**
 * Numbers of the ssh-agent protocol: message numbers, key constraints and signature flags.
 * draft-miller-ssh-agent §5.1 (messages), §5.2 (constraints), §5.3 (signature flags); OpenSSH
 * PROTOCOL.agent (extensions).
 * @module
 */

/** Message numbers. Requests are `AGENTC_*`, replies `AGENT_*`. */
export const AGENT = {
  FAILURE: 5,
  SUCCESS: 6,
  REQUEST_IDENTITIES: 11,
  IDENTITIES_ANSWER: 12,
  SIGN_REQUEST: 13,
  SIGN_RESPONSE: 14,
  ADD_IDENTITY: 17,
  REMOVE_IDENTITY: 18,
  REMOVE_ALL_IDENTITIES: 19,
  ADD_SMARTCARD_KEY: 20,
  REMOVE_SMARTCARD_KEY: 21,
  LOCK: 22,
  UNLOCK: 23,
  ADD_ID_CONSTRAINED: 25,
  ADD_SMARTCARD_KEY_CONSTRAINED: 26,
  EXTENSION: 27,
  EXTENSION_FAILURE: 28,
  EXTENSION_RESPONSE: 29,
} as const;

/** Key constraint types (the byte before each constraint). */
export const AGENT_CONSTRAIN = {
  LIFETIME: 1,
  CONFIRM: 2,
  EXTENSION: 255,
} as const;

/** Flags of SSH_AGENTC_SIGN_REQUEST. */
export const AGENT_SIGN_FLAGS = {
  /** Obsolete (SSH protocol 1 era); never set. */
  OLD_SIGNATURE: 1,
  RSA_SHA2_256: 2,
  RSA_SHA2_512: 4,
} as const;

/** Extension names this package knows. */
export const AGENT_EXTENSIONS = {
  QUERY: 'query',
  SESSION_BIND: 'session-bind@openssh.com',
} as const;

/**
 * Largest message accepted by default, in bytes (length prefix excluded): OpenSSH's agent and
 * ssh-add use the same 256 KiB bound.
 */
export const AGENT_MAX_MESSAGE_LENGTH = 256 * 1024;
