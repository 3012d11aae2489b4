/** TCP/IP and UNIX socket forwarding and SOCKS: the public names. Re-exports only. @module */
export { SSHListener } from './listener.ts';
export { SSHForwarder } from '../bridge.ts';
export { RemoteListener } from './remote.ts';
export { ChannelListenError } from './errors.ts';
export {
  SSHTCPChannel,
  SSHUNIXChannel,
  type SSHTCPSession,
  type SSHUNIXSession,
  type SSHSocketHandler,
  type ForwardAnswer,
  type ForwardChannelOptions,
} from './channel.ts';
export { type ServerChannelOptions } from '../server.ts';
export { type DirectConnectionOptions, type LocalForwardOptions, type SessionFactory, type HandlerFactory } from './client-forward.ts';
export { type AcceptHandler } from './local.ts';
