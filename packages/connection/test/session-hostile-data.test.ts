/**
 * Extended data a session channel cannot take from a peer (RFC 4254 §5.2 defines only stderr):
 * any other type is the peer's protocol error, as in AsyncSSH. The connection fails with a
 * ProtocolError, and no decoder or stream is made for each number a peer makes up.
 */
import { ProtocolError } from '@ssh/transport';
import { EXTENDED_DATA } from '@ssh/wire';
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, SSHChannel, StreamSession } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

/** `server` open to a bare client channel. */
function openPair<T extends string | Uint8Array>(server: SSHChannel<T>) {
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => server.attach(req.accept(server.handler)) });
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  return { p, client };
}

describe('extended data types', () => {
  it('delivers stderr and normal data', () => {
    const server = new SSHChannel<Uint8Array>(connection, { encoding: null });
    const got: [number, number | undefined][] = [];
    server.setSession({ dataReceived: (d, t) => got.push([d.length, t]) });
    const { p, client } = openPair(server);
    client.write(new Uint8Array(3));
    client.write(new Uint8Array(5), EXTENDED_DATA.STDERR);
    p.pump();
    expect(got).toEqual([[3, undefined], [5, EXTENDED_DATA.STDERR]]);
    expect(p.failures).toEqual([]);
  });

  it.each([0, 2, 0xffff_ffff])('refuses type %i as a protocol error', (type) => {
    const server = new SSHChannel<Uint8Array>(connection, { encoding: null });
    const got: unknown[] = [];
    server.setSession({ dataReceived: (d) => got.push(d) });
    const { p, client } = openPair(server);
    client.write(Uint8Array.of(0x41), type);
    p.pump();
    expect(got).toEqual([]);
    expect(p.failures).toHaveLength(1);
    expect(p.failures[0]?.side).toBe('server');
    expect(p.failures[0]?.error).toBeInstanceOf(ProtocolError);
    expect(p.failures[0]?.error.message).toMatch(/extended data type/);
  });

  it('keeps no stream for a type the peer makes up', () => {
    const server = new SSHChannel<Uint8Array>(connection, { encoding: null, manualWindow: true });
    const session = new StreamSession<string>(server);
    server.setSession(session);
    const made: (number | undefined)[] = [];
    const buffer = session.buffer.bind(session);
    session.buffer = (type) => {
      made.push(type);
      return buffer(type);
    };
    const { p, client } = openPair(server);
    for (let type = 2; type < 1000; type++) client.write(Uint8Array.of(0x41), type);
    p.pump();
    expect(made).toEqual([]);
    expect(p.failures).toHaveLength(1);
  });
});
