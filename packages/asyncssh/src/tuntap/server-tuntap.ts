/**
 * tun@openssh.com channels on the server (OpenSSH PROTOCOL §2.3), decided by SSHServer.tunRequested
 * (layer 3) or tapRequested (layer 2): true to bridge the tunnel to a local device, a session
 * object (or a [channel, session] pair made with createTuntapChannel), a handler taking packet
 * streams, or false to refuse. An unknown mode is refused before the application is asked.
 * @module
 */

import { SSHTunTapChannel, TunTapStreamSession, checkTunOpen, type IncomingChannelOpen, type SSHPacketReader, type SSHChannel, type SSHTunTapSession, type SSHWriter } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE, TUN_MODE, type ChannelOpenBody } from '@ssh/wire';
import { muxOptions, type ForwardContext } from '../forward/channel.ts';
import type { TunTapChannelOptions } from './client-tuntap.ts';
import { deviceRelay } from './device.ts';

/** Runs a tunnel as packet streams. */
export type SSHTunTapHandler = (reader: SSHPacketReader<SSHChannel<Uint8Array>>, writer: SSHWriter<Uint8Array, SSHChannel<Uint8Array>>) => void | Promise<void>;

/** What tunRequested / tapRequested answer. */
export type TunTapAnswer = boolean | SSHTunTapSession | readonly [SSHTunTapChannel, SSHTunTapSession] | SSHTunTapHandler;

/** Asks the application about a tunnel: the mode says which callback. */
export type TunTapDecider = (mode: 1 | 2, unit: number | undefined) => TunTapAnswer | Promise<TunTapAnswer>;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The channel createTuntapChannel makes, for an answer of [channel, session]. */
export function makeTuntapChannel(ctx: ForwardContext, options: TunTapChannelOptions = {}): SSHTunTapChannel {
  const channel = new SSHTunTapChannel(ctx.connection);
  channelOptions.set(channel, options);
  return channel;
}

const channelOptions = new WeakMap<SSHTunTapChannel, TunTapChannelOptions>();

/**
 * Handles a tun@openssh.com open; false for other channel types. `warn` hears handler failures
 * and devices that could not be opened.
 */
export function acceptTunTap(ctx: ForwardContext, request: IncomingChannelOpen, decide: TunTapDecider, warn: (message: string) => void): boolean {
  const body = request.body as ChannelOpenBody | Uint8Array;
  if (body instanceof Uint8Array || body.type !== 'tun@openssh.com') return false;
  const open = checkTunOpen(body.tunnelMode, body.remoteUnit);
  if (typeof open === 'string') {
    // As OpenSSH's sshd: a mode it does not know is a failed open, not a protocol error.
    request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, open);
    return true;
  }
  Promise.resolve()
    .then(() => decide(open.mode, open.unit))
    .then(
      (answer) => answerTunTap(ctx, request, open.mode, open.unit, answer, warn),
      (err: unknown) => {
        warn(`tunnel handler failed: ${errorText(err)}`);
        request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'tunnel handler failed');
      },
    );
  return true;
}

function answerTunTap(ctx: ForwardContext, request: IncomingChannelOpen, mode: 1 | 2, unit: number | undefined, answer: TunTapAnswer, warn: (message: string) => void): void {
  const accept = (channel: SSHTunTapChannel, options: TunTapChannelOptions = {}): void => {
    channel.setTunnel(mode, unit);
    channel.attach(request.accept(channel.handler, { ...muxOptions(options), datagram: true }));
  };
  if (answer === false) {
    request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, 'tunnel not permitted');
    return;
  }
  if (answer === true) {
    let relay: ReturnType<typeof deviceRelay>;
    try {
      relay = deviceRelay(mode, unit);
    } catch (err) {
      warn(errorText(err));
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, `cannot open a ${mode === TUN_MODE.POINTOPOINT ? 'TUN' : 'TAP'} device`);
      return;
    }
    const channel = new SSHTunTapChannel(ctx.connection, { mode, unit });
    channel.setSession(relay.session);
    channel.setExtraInfo({ localName: relay.device.name, localUnit: relay.device.unit });
    accept(channel);
    relay.start(channel);
    ctx.flush();
    return;
  }
  if (typeof answer === 'function') {
    const channel = new SSHTunTapChannel(ctx.connection, { mode, unit, manualWindow: true });
    const session = new TunTapStreamSession(channel);
    channel.setSession(session);
    accept(channel);
    ctx.flush();
    Promise.resolve()
      .then(() => answer(session.reader(), session.writer()))
      .catch((err: unknown) => {
        warn(`tunnel handler failed: ${errorText(err)}`);
        channel.abort();
      });
    return;
  }
  const [channel, session] = Array.isArray(answer)
    ? (answer as readonly [SSHTunTapChannel, SSHTunTapSession])
    : [new SSHTunTapChannel(ctx.connection, { mode, unit }), answer as SSHTunTapSession];
  channel.setSession(session);
  accept(channel, channelOptions.get(channel));
  session.connectionMade?.(channel);
  session.sessionStarted?.();
  ctx.flush();
}
