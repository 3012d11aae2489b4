export { Channel, type ChannelHandler, type ChannelHost, type ChannelParams, type ChannelState } from './channel.ts';
export {
  ConnectionMux,
  DEFAULT_WINDOW_SIZE,
  DEFAULT_MAX_PACKET_SIZE,
  type MuxOptions,
  type ChannelOptions,
  type IncomingChannelOpen,
  type IncomingGlobalRequest,
} from './mux.ts';
