export { Channel, type ChannelHandler, type ChannelHost, type ChannelParams, type ChannelState } from './channel.ts';
export {
  ConnectionMux,
  DEFAULT_WINDOW_SIZE,
  DEFAULT_MAX_PACKET_SIZE,
  DEFAULT_TRANSPORT_PACKET_LIMIT,
  DATA_PACKET_OVERHEAD,
  type MuxOptions,
  type ChannelOptions,
  type IncomingChannelOpen,
  type IncomingGlobalRequest,
} from './mux.ts';
