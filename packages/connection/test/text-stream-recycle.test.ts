/**
 * A text stream hands each received payload back to the transport's packet pool
 * (releasePayload) once it has been decoded, never before: the decoder copies what it keeps.
 * Byte streams give their chunks to the application and release nothing, and neither does a
 * session whose subclass sees the data first (it may keep views of it).
 */
import type * as Transport from '@ssh/transport';
import { describe, expect, it, vi } from 'vitest';
import { type StreamSession, type SSHChannel } from '../src/index.ts';
import { keepingSession, sessionTo, streamChannel } from './helpers/stream-channel.ts';

const released = vi.hoisted(() => [] as Uint8Array[]);
vi.mock('@ssh/transport', async (original) => ({
  ...(await original<typeof Transport>()),
  releasePayload: (payload: Uint8Array) => released.push(payload.slice()),
}));

/** The server side's session (made by `make`) and a function sending chunks to it, one message each. */
function sessionPair<T extends string | Uint8Array>(encoding: string | null, make?: (channel: SSHChannel<Uint8Array>, options: { encoding: string | null }) => StreamSession<T>) {
  const server = streamChannel<T>(encoding, make);
  return { session: server.session, send: sessionTo(server).send };
}

const utf8 = new TextEncoder();
// 'é' is split between the two messages: the decoder keeps its first byte, as a copy.
const first = utf8.encode('hello w\u00e9rld').subarray(0, 8);
const second = utf8.encode('hello w\u00e9rld').subarray(8);

describe('text streams recycle decoded payloads', () => {
  it('releases each chunk once a read decoded it, and the text is intact', async () => {
    released.length = 0;
    const { session, send } = sessionPair<string>('utf-8');
    const reader = session.reader();
    send(first);
    expect(released).toEqual([]);
    expect(await reader.read(100)).toBe('hello w');
    expect(released).toEqual([first]);
    send(second);
    expect(released).toEqual([first]);
    expect(await reader.read(100)).toBe('\u00e9rld');
    expect(released).toEqual([first, second]);
  });

  it('releases nothing from a byte stream', async () => {
    released.length = 0;
    const { session, send } = sessionPair<Uint8Array>(null);
    const reader = session.reader();
    send(first, second);
    expect(await reader.read(100)).toEqual(first);
    expect(await reader.read(100)).toEqual(second);
    expect(released).toEqual([]);
  });

  it('releases nothing when a subclass takes received data first', async () => {
    released.length = 0;
    const kept: Uint8Array[] = [];
    const { session, send } = sessionPair<string>('utf-8', keepingSession(kept));
    const reader = session.reader();
    send(first, second);
    expect(await reader.read(100)).toBe('hello w\u00e9rld');
    expect(released).toEqual([]);
    expect(kept).toEqual([first, second]);
  });
});
