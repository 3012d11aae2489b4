/**
 * Text a session channel with a strict encoding cannot decode is the peer's protocol error, as in
 * AsyncSSH: the connection fails with a ProtocolError. The decoder's exception used to escape from
 * the multiplexer's handle(), out of the socket's data handler: an uncaught exception.
 */
import { ProtocolError } from '@ssh/transport';
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, SSHChannel, type SSHSession } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

/** `server` open to a bare client channel. */
function openPair<T extends string | Uint8Array>(server: SSHChannel<T>) {
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => server.attach(req.accept(server.handler)) });
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  return { p, client };
}

describe('text that does not decode', () => {
  it.each(['utf-8', 'ascii'])('is a protocol error on a strict %s channel, not an exception', (encoding) => {
    const server = new SSHChannel<string>(connection, { encoding });
    const got: string[] = [];
    const session: SSHSession<string> = { dataReceived: (d) => got.push(d) };
    server.setSession(session);
    const { p, client } = openPair(server);
    client.write(new TextEncoder().encode('ok'));
    client.write(Uint8Array.of(0xff, 0xfe));
    expect(() => p.pump()).not.toThrow();
    expect(got).toEqual(['ok']);
    expect(p.failures).toHaveLength(1);
    expect(p.failures[0]?.error).toBeInstanceOf(ProtocolError);
    expect(p.failures[0]?.error.message).toMatch(/decode/);
  });

  it('is a protocol error too when reading resumes', () => {
    const server = new SSHChannel<string>(connection);
    const got: string[] = [];
    let eof = false;
    server.setSession({ dataReceived: (d) => got.push(d), eofReceived: () => void (eof = true) });
    const { p, client } = openPair(server);
    server.pauseReading();
    client.write(Uint8Array.of(0xc3));
    client.write(Uint8Array.of(0x28));
    client.write(Uint8Array.of(0x29));
    client.writeEof();
    p.pump();
    expect(p.failures).toEqual([]);
    expect(() => server.resumeReading()).not.toThrow();
    expect(p.failures).toHaveLength(1);
    // What was held behind the bad text is dropped with it.
    expect(got.join('')).toBe('');
    expect(eof).toBe(false);
  });

  it('is replaced with errors: replace', () => {
    const server = new SSHChannel<string>(connection, { errors: 'replace' });
    const got: string[] = [];
    server.setSession({ dataReceived: (d) => got.push(d) });
    const { p, client } = openPair(server);
    client.write(Uint8Array.of(0x61, 0xff));
    p.pump();
    expect(got).toEqual(['a\ufffd']);
    expect(p.failures).toEqual([]);
  });
});
