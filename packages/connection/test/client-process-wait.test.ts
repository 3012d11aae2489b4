/**
 * SSHClientProcess.wait({ timeout }) that fails before the timeout (output the server sent that
 * does not decode, the connection lost) must not leave its timer behind: it kept the program
 * running for as long as the timeout, after the error had been reported.
 */
import { ConnectionLost } from '@ssh/transport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Channel, type IncomingChannelOpen, SSHClientChannel, SSHClientProcess, StreamDecodeError, StreamSession } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

/** A started client process (exec), and the server's end of its channel. */
async function startProcess() {
  let server: Channel | undefined;
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => void (server = req.accept({ onData: () => undefined, onClose: () => undefined, onRequest: () => true })) });
  const channel = new SSHClientChannel<Uint8Array>({ getExtraInfo: () => undefined }, { encoding: null, manualWindow: true });
  const streams = new StreamSession<string>(channel);
  let chan: Channel | undefined;
  p.client.openChannel('session', { type: 'session' }, { ...channel.handler, onOpen: (c) => (chan = c) });
  p.pump();
  if (chan === undefined || server === undefined) throw new Error('channel did not open');
  const started = channel.start(chan, streams, { command: 'cmd' });
  p.pump();
  await started;
  return { p, proc: new SSHClientProcess<string>(channel, streams), server };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SSHClientProcess.wait with a timeout', () => {
  it('clears its timer when the output does not decode', async () => {
    const { p, proc, server } = await startProcess();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiting = proc.wait({ timeout: 3600 });
    server.write(Uint8Array.of(0xff, 0xfe));
    server.writeEof();
    p.pump();
    await expect(waiting).rejects.toBeInstanceOf(StreamDecodeError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer when the connection is lost', async () => {
    const { p, proc } = await startProcess();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiting = proc.wait({ timeout: 3600 });
    p.client.teardown(new ConnectionLost('gone'));
    await expect(waiting).rejects.toBeInstanceOf(ConnectionLost);
    expect(vi.getTimerCount()).toBe(0);
  });
});
