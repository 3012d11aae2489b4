export { SSHTunTapChannel, type SSHTunTapChannelOptions, type SSHTunTapSession } from './channel.ts';
export { SSHPacketReader, TunTapStreamSession } from './stream.ts';
export {
  TUN_AF,
  TUN_HEADER_LENGTH,
  addTunHeader,
  stripTunHeader,
  tunHeaderFor,
  checkTunOpen,
  tunUnitField,
  type TunMode,
  type TunOpen,
} from './packet.ts';
