/**
 * A peer that sends its last data, EOF and CLOSE while the application has paused reading
 * (pauseReading, as a port-forwarding relay does when its socket is full): the session hears
 * that data and the EOF when reading resumes, and only then connectionLost, as AsyncSSH flushes
 * its receive buffer before it cleans up. connectionLost used to come first, at CLOSE, so a
 * relay ended its socket and the data still held was written after the end (lost).
 */
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, SSHChannel } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

/** A byte channel on the server side, open to a bare client channel, recording what its session hears. */
function openPair() {
  const server = new SSHChannel<Uint8Array>(connection, { encoding: null });
  const events: string[] = [];
  server.setSession({
    dataReceived: (d) => events.push(`data ${d.length}`),
    eofReceived: () => (events.push('eof'), true),
    connectionLost: (e) => events.push(e ? `lost ${e.message}` : 'lost'),
  });
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => server.attach(req.accept(server.handler)) });
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  return { p, server, client, events };
}

describe('a clean close from the peer while reading is paused', () => {
  it('is heard after the data and EOF held back, once reading resumes', async () => {
    const { p, server, client, events } = openPair();
    server.pauseReading();
    server.writeEof();
    client.write(new Uint8Array(1000));
    client.write(new Uint8Array(500));
    client.writeEof();
    client.close();
    p.pump();
    expect(events).toEqual([]);
    let closed = false;
    void server.waitClosed().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    expect(server.isClosing()).toBe(true);
    server.resumeReading();
    expect(events).toEqual(['data 1000', 'data 500', 'eof', 'lost']);
    await Promise.resolve();
    expect(closed).toBe(true);
  });

  it('a session that pauses again for each piece hears the close after the last one', () => {
    const { p, server, client, events } = openPair();
    server.setSession({
      dataReceived: (d) => {
        events.push(`data ${d.length}`);
        server.pauseReading();
      },
      eofReceived: () => (events.push('eof'), true),
      connectionLost: () => events.push('lost'),
    });
    server.pauseReading();
    client.write(new Uint8Array(10));
    client.write(new Uint8Array(20));
    client.writeEof();
    client.close();
    p.pump();
    server.resumeReading();
    expect(events).toEqual(['data 10']);
    server.resumeReading();
    expect(events).toEqual(['data 10', 'data 20']);
    server.resumeReading();
    expect(events).toEqual(['data 10', 'data 20', 'eof', 'lost']);
  });

  it('the application closing the channel itself drops what is held and ends it at once', () => {
    const { p, server, client, events } = openPair();
    server.pauseReading();
    client.write(new Uint8Array(10));
    client.writeEof();
    client.close();
    p.pump();
    server.close();
    p.pump();
    expect(events).toEqual(['lost']);
    server.resumeReading();
    expect(events).toEqual(['lost']);
  });

  it('the connection failing ends it at once, with the error', () => {
    const { p, server, client, events } = openPair();
    server.pauseReading();
    client.write(new Uint8Array(10));
    p.pump();
    p.server.teardown(new Error('connection lost'));
    expect(events).toEqual(['lost connection lost']);
    // Nothing is heard after connectionLost.
    server.resumeReading();
    expect(events).toEqual(['lost connection lost']);
  });
});
