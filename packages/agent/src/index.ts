/**
 * @ssh/agent: the ssh-agent protocol (draft-miller-ssh-agent, OpenSSH PROTOCOL.agent) over any
 * byte stream. The Node UNIX-socket connector is in `@ssh/agent/node`.
 * @module
 */

export {
  AgentError,
  AgentFailureError,
  AgentProtocolError,
  AgentClosedError,
  AgentTimeoutError,
  AgentConnectError,
  AgentKeyError,
  type AgentProtocolErrorReason,
} from './errors.ts';
export { AGENT, AGENT_CONSTRAIN, AGENT_SIGN_FLAGS, AGENT_EXTENSIONS, AGENT_MAX_MESSAGE_LENGTH } from './constants.ts';
export {
  SSHAgentClient,
  SSHAgentKeyPair,
  type AgentClientOptions,
  type AddKeysOptions,
  type AgentExtensionReply,
  type AgentKeyRef,
} from './client.ts';
export { type AgentKeyInput, agentKeyBody, agentBodyKey } from './key-encoding.ts';
export type { AgentByteStream, AgentTimer } from './stream.ts';
export { AgentFrameReader, frameAgentMessage } from './framing.ts';
export {
  AgentServerCodec,
  decodeAgentRequest,
  encodeAgentReply,
  encodeExtensionNames,
  type AgentRequest,
  type AgentReply,
} from './server.ts';
export * from './messages.ts';
