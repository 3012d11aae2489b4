/**
 * Replies and window adjustments that arrive for a channel after it closed. Some servers (a
 * Paramiko server that runs the command inside its exec handler, as its demo does) send a
 * session's output, exit status and CHANNEL_CLOSE before the CHANNEL_SUCCESS of the exec request.
 * OpenSSH only logs a status reply or a window adjustment for a channel it no longer has; so do
 * we, for channels of ours that closed. Other messages for such a channel, and anything for a
 * channel that never existed, still break the protocol.
 */
import { MSG } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** A client channel the server accepted, then closed by the server before answering `exec`. */
function closedBeforeReply() {
  let server: Channel | undefined;
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => void (server = req.accept({ onData: () => undefined, onClose: () => undefined, onRequest: () => new Promise<boolean>(() => undefined) })) });
  const answers: boolean[] = [];
  const client = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  client.sendRequest('exec', { type: 'exec', command: new Uint8Array(0) }, (ok) => answers.push(ok));
  p.pump();
  server?.close();
  p.pump();
  expect(client.state).toBe('closed');
  return { p, client, answers };
}

describe('messages for a channel that closed', () => {
  it.each([
    ['CHANNEL_SUCCESS', [MSG.CHANNEL_SUCCESS]],
    ['CHANNEL_FAILURE', [MSG.CHANNEL_FAILURE]],
    ['CHANNEL_WINDOW_ADJUST', [MSG.CHANNEL_WINDOW_ADJUST]],
  ])('ignores a late %s', (_name, [n]) => {
    const { p, client, answers } = closedBeforeReply();
    const tail = n === MSG.CHANNEL_WINDOW_ADJUST ? u32(1024) : [];
    p.client.handle(Uint8Array.from([n as number, ...u32(client.localId), ...tail]));
    expect(p.failures).toEqual([]);
    // The close answered the request (false) once; the late reply changes nothing.
    expect(answers).toEqual([false]);
  });

  it('still refuses data for it, and a reply for a channel that never existed', () => {
    const { p, client } = closedBeforeReply();
    p.client.handle(Uint8Array.from([MSG.CHANNEL_DATA, ...u32(client.localId), ...u32(1), 65]));
    expect(p.failures.map((f) => f.error.message)).toEqual([expect.stringMatching(/unknown channel/)]);
    const other = closedBeforeReply();
    other.p.client.handle(Uint8Array.from([MSG.CHANNEL_SUCCESS, ...u32(4242)]));
    expect(other.p.failures.map((f) => f.error.message)).toEqual([expect.stringMatching(/unknown channel 4242/)]);
  });
});
