/**
 * A client may go on typing after the server's side of a pty session has ended (the process sent
 * EOF, or exited and the close is on its way): the line editor's echo then has nowhere to go. It is
 * dropped; it used to throw ChannelClosedError out of the multiplexer (an uncaught exception from
 * the socket's data handler). What the client typed still reaches stdin, and the process's own
 * writes after its EOF still fail as they do without the editor.
 */
import { describe, expect, it } from 'vitest';
import { type Channel, ChannelClosedError, type IncomingChannelOpen, type SSHServerProcess, SSHLineEditorChannel, ServerProcessSession } from '../src/index.ts';
import { muxPair } from './helpers/mux-pair.ts';

const connection = { getExtraInfo: () => undefined };

async function openShell(clientWindow?: number) {
  const channel = new SSHLineEditorChannel<Uint8Array>(connection, {}, { encoding: null, manualWindow: true });
  let proc: SSHServerProcess<string> | undefined;
  const session = new ServerProcessSession<string>(channel, { factory: (p: SSHServerProcess<string>) => void (proc = p) });
  channel.bindSession(session);
  const p = muxPair(clientWindow === undefined ? {} : { windowSize: clientWindow }, { onChannelOpen: (req: IncomingChannelOpen) => channel.attach(req.accept(channel.handler)) });
  const echo: string[] = [];
  const client: Channel = p.client.openChannel('session', { type: 'session' }, { onData: (d) => void echo.push(new TextDecoder().decode(d)), onClose: () => undefined });
  p.pump();
  client.sendRequest('pty-req', { type: 'pty-req', term: 'xterm', widthChars: 80, heightRows: 24, widthPixels: 0, heightPixels: 0, modes: [] });
  client.sendRequest('shell', { type: 'shell' });
  p.pump();
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    p.pump();
  }
  if (proc === undefined || !channel.hasLineEditor) throw new Error('the session did not start with the line editor');
  return { p, client, proc, echo };
}

describe('line editor after our EOF', () => {
  it('drops the echo of what the client types, and still hands stdin the line', async () => {
    const { p, client, proc, echo } = await openShell();
    proc.stdout.writeEof();
    p.pump();
    client.write(new TextEncoder().encode('abc\x1b[D\x7f\r'));
    expect(() => p.pump()).not.toThrow();
    expect(p.failures).toEqual([]);
    expect(echo.join('')).toBe('');
    expect(await proc.stdin.readline()).toBe('ac\n');
  });

  it('still refuses the process a write after its EOF', async () => {
    const { p, proc } = await openShell();
    proc.stdout.writeEof();
    p.pump();
    expect(() => proc.stdout.write('late\n')).toThrow(ChannelClosedError);
    expect(() => proc.stderr.write('late\n')).toThrow(ChannelClosedError);
  });

  it('drops the echo once the process exited, its close waiting behind output', async () => {
    const { p, client, proc } = await openShell(64);
    // More output than the client's window: the EOF, exit-status and close wait behind it.
    proc.stdout.write('o'.repeat(1000));
    proc.exit(0);
    // The client's keys cross our close.
    client.write(new TextEncoder().encode('typed ahead\r'));
    expect(() => p.pump()).not.toThrow();
    expect(p.failures).toEqual([]);
  });
});
