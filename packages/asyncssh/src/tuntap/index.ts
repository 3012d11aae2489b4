/** TUN/TAP forwarding (tun@openssh.com): the public names. Re-exports only. @module */
export { SSHTunTapForwarder } from './forwarder.ts';
export { TunTapDeviceUnavailable } from './errors.ts';
export { type TunTapChannelOptions, type TunTapStreams } from './client-tuntap.ts';
export { type SSHTunTapHandler, type TunTapAnswer } from './server-tuntap.ts';
