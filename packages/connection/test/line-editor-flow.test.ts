/**
 * Flow control of a server process whose input goes through the line editor (a pty session): the
 * editor takes input as it arrives and hands stdin whole lines, so the window cannot reopen as the
 * reader reads those bytes, as for a plain stream. It reopens as input is edited, and input is
 * edited only while stdin and the channel's output have room: a client sending lines nobody reads,
 * or typing while it never reads the echo, is held at its window instead of making the server
 * buffer without limit, and nothing is lost once the reader (or the client) goes on.
 */
import { describe, expect, it } from 'vitest';
import { type Channel, type IncomingChannelOpen, type SSHServerProcess, SSHLineEditorChannel, ServerProcessSession } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const WINDOW = 64 * 1024;
const connection = { getExtraInfo: () => undefined };

const settle = async (pump: () => void): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    pump();
  }
};

/** A pty shell session with the line editor, the server's window WINDOW, the client's `clientWindow`. */
async function openShell(clientWindow: number) {
  const channel = new SSHLineEditorChannel<Uint8Array>(connection, {}, { encoding: null, manualWindow: true });
  let proc: SSHServerProcess<string> | undefined;
  const session = new ServerProcessSession<string>(channel, { factory: (p: SSHServerProcess<string>) => void (proc = p) });
  channel.bindSession(session);
  const p = muxPair({ windowSize: clientWindow }, { windowSize: WINDOW, onChannelOpen: (req: IncomingChannelOpen) => channel.attach(req.accept(channel.handler)) });
  let echoed = 0;
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: (d) => void (echoed += d.length), onClose: () => undefined });
  p.pump();
  client.sendRequest('pty-req', { type: 'pty-req', term: 'xterm', widthChars: 80, heightRows: 24, widthPixels: 0, heightPixels: 0, modes: [] });
  client.sendRequest('shell', { type: 'shell' });
  p.pump();
  await settle(() => p.pump());
  if (proc === undefined || !channel.hasLineEditor) throw new Error('the session did not start with the line editor');
  return { p, client, channel, session, proc, echoed: () => echoed };
}

const line = (i: number): string => `${String(i).padStart(6, '0')} ${'x'.repeat(90)}`;

describe('line editor flow control', () => {
  it('holds a client whose lines nobody reads at the window, and loses none once read', async () => {
    const { p, client, session, proc } = await openShell(4 * 1024 * 1024);
    const count = 20_000; // about 2 MB of input, 30 windows
    for (let i = 0; i < count; i++) client.write(new TextEncoder().encode(`${line(i)}\r`));
    p.pump();
    const stdin = session.buffer(undefined);
    expect(stdin.buffered).toBeLessThanOrEqual(2 * WINDOW);
    // The rest waits on the client, not in the server's memory.
    expect(client.writeBufferSize).toBeGreaterThan(count * 97 - 4 * WINDOW);
    for (let i = 0; i < count; i++) {
      expect(await proc.stdin.readline()).toBe(`${line(i)}\n`);
      if (i % 100 === 0) {
        p.pump();
        expect(stdin.buffered).toBeLessThanOrEqual(2 * WINDOW);
      }
    }
    expect(client.writeBufferSize).toBe(0);
    expect(p.failures).toEqual([]);
  });

  it('holds a client that never reads the echo, and edits the rest once it does', async () => {
    const { p, client, channel, proc } = await openShell(16 * 1024);
    const lines: string[] = [];
    const reading = (async () => {
      for (;;) {
        const got = await proc.stdin.readline();
        if (got === '') return;
        lines.push(got);
      }
    })();
    const count = 20_000;
    for (let i = 0; i < count; i++) client.write(new TextEncoder().encode(`${line(i)}\r`));
    for (let i = 0; i < 50; i++) {
      p.pump();
      await new Promise((r) => setTimeout(r, 0));
    }
    const out = channel.muxChannel?.writeBufferSize ?? 0;
    expect(out).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    expect(lines.length).toBeLessThan(count);
    // The client reads its output from now on: every line goes through.
    const mux = client as Channel;
    for (let i = 0; i < 10_000 && lines.length < count; i++) {
      mux.consume(1 << 30);
      p.pump();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(lines).toHaveLength(count);
    expect(lines[count - 1]).toBe(`${line(count - 1)}\n`);
    client.writeEof();
    p.pump();
    await reading;
    expect(p.failures).toEqual([]);
  });
});
