/**
 * @ssh/connection: the SSH connection protocol (RFC 4254). A sans-I/O channel multiplexer with
 * flow control, and on top of it sessions, processes and SSHReader/SSHWriter streams.
 * @module
 */

export * from './mux/index.ts';
export { ChannelOpenError, ChannelClosedError } from './errors.ts';
export * from './session/index.ts';
export * from './stream/index.ts';
export * from './line-editor/index.ts';
export * from './tuntap/index.ts';
