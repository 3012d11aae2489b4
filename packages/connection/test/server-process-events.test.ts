/**
 * Break, signal and window-change requests (RFC 4335, RFC 4254 §6.9, §6.7) reach a server process
 * as exceptions in order with its stdin. They take no window, so a client sending them to a
 * process that does not read stdin made the server queue them without limit. Stdin now holds at
 * most MAX_PENDING_STDIN_EVENTS unread: a break beyond it is refused, a signal or a resize is
 * dropped (the terminal size itself is still kept). Breaks typed on the line editor (^C) wait with
 * the rest of the input instead: none is lost.
 */
import { describe, expect, it } from 'vitest';
import {
  BreakReceived,
  type Channel,
  type IncomingChannelOpen,
  MAX_PENDING_STDIN_EVENTS,
  type SSHServerProcess,
  SSHLineEditorChannel,
  ServerProcessSession,
  SignalReceived,
  TerminalSizeChanged,
} from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

async function settle(pump: () => void): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    pump();
  }
}

/** A started session (a shell, with a pty when `pty`); the process does not read its stdin. */
async function openSession(pty: boolean) {
  const channel = new SSHLineEditorChannel<Uint8Array>(connection, {}, { encoding: null, manualWindow: true });
  let proc: SSHServerProcess<string> | undefined;
  const session = new ServerProcessSession<string>(channel, { factory: (p: SSHServerProcess<string>) => void (proc = p) });
  channel.bindSession(session);
  const p = muxPair({}, { onChannelOpen: (req: IncomingChannelOpen) => channel.attach(req.accept(channel.handler)) });
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: () => undefined, onClose: () => undefined });
  p.pump();
  if (pty) client.sendRequest('pty-req', { type: 'pty-req', term: 'xterm', widthChars: 80, heightRows: 24, widthPixels: 0, heightPixels: 0, modes: [] });
  client.sendRequest('shell', { type: 'shell' });
  p.pump();
  await settle(() => p.pump());
  if (proc === undefined) throw new Error('the session did not start');
  return { p, client, channel, proc };
}

/** Everything stdin holds until EOF: the exceptions by class name, and the text. */
async function drain(proc: SSHServerProcess<string>): Promise<{ events: string[]; text: string }> {
  const events: string[] = [];
  let text = '';
  for (;;) {
    try {
      const got = await proc.stdin.read();
      if (got === '') return { events, text };
      text += got;
    } catch (err) {
      events.push((err as Error).constructor.name);
    }
  }
}

describe('in-band events on stdin', () => {
  it('holds a bounded number of signal, break and window-change requests for a process that does not read', async () => {
    const { p, client, channel, proc } = await openSession(false);
    const breaks: boolean[] = [];
    const n = 3 * MAX_PENDING_STDIN_EVENTS;
    for (let i = 0; i < n; i++) {
      client.sendRequest('signal', { type: 'signal', signal: 'INT' });
      client.sendRequest('window-change', { type: 'window-change', widthChars: 100 + (i % 50), heightRows: 40, widthPixels: 0, heightPixels: 0 });
      client.sendRequest('break', { type: 'break', breakLength: 10 }, (ok) => breaks.push(ok));
      // A few at a time: more than 256 unanswered at once is a flood of its own (a protocol error).
      if (i % 50 === 49) await settle(() => p.pump());
    }
    await settle(() => p.pump());
    expect(p.failures).toEqual([]);
    expect(breaks).toHaveLength(n);
    expect(breaks.filter((ok) => ok).length).toBeLessThanOrEqual(MAX_PENDING_STDIN_EVENTS);
    expect(breaks.at(-1)).toBe(false);
    // The size is kept even when its event is dropped.
    expect(channel.getTerminalSize()).toEqual([100 + ((n - 1) % 50), 40, 0, 0]);
    client.writeEof();
    p.pump();
    const { events } = await drain(proc);
    expect(events.length).toBe(MAX_PENDING_STDIN_EVENTS);
    expect(new Set(events)).toEqual(new Set([SignalReceived.name, TerminalSizeChanged.name, BreakReceived.name]));
  });

  it('takes events again once the process has read those it held', async () => {
    const { p, client, proc } = await openSession(false);
    for (let i = 0; i < MAX_PENDING_STDIN_EVENTS + 10; i++) {
      client.sendRequest('signal', { type: 'signal', signal: 'HUP' });
      if (i % 100 === 99) await settle(() => p.pump());
    }
    await settle(() => p.pump());
    expect(p.failures).toEqual([]);
    for (let i = 0; i < MAX_PENDING_STDIN_EVENTS; i++) await expect(proc.stdin.read()).rejects.toBeInstanceOf(SignalReceived);
    client.sendRequest('signal', { type: 'signal', signal: 'TERM' });
    await settle(() => p.pump());
    const error = await proc.stdin.read().then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(SignalReceived);
    expect((error as SignalReceived).signal).toBe('TERM');
  });

  it('keeps every break typed on the line editor, holding the input behind them', async () => {
    const { p, client, proc } = await openSession(true);
    const n = 3 * MAX_PENDING_STDIN_EVENTS;
    client.write(new TextEncoder().encode('\x03'.repeat(n) + 'after\r'));
    client.writeEof();
    await settle(() => p.pump());
    const reading = drain(proc);
    for (let i = 0; i < 50; i++) await settle(() => p.pump());
    const { events, text } = await reading;
    expect(events).toEqual(Array(n).fill(BreakReceived.name));
    expect(text).toBe('after\n');
  });
});
