/**
 * The server's forwarding (ServerForwarding) facing a hostile SSH client, with the connection
 * stubbed: direct-tcpip opens with ports no TCP connection can have, and a forwarding decision
 * that fails while the channel is being answered. Each open is answered, nothing is left as an
 * unhandled rejection.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChannelConnection, ConnectionMux, IncomingChannelOpen, IncomingGlobalRequest } from '@ssh/connection';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { ServerForwarding } from '../src/forward/server-forward.ts';
import { SSHServer } from '../src/server-handlers.ts';
import type { ForwardAnswer } from '../src/forward/channel.ts';
import { bounded, channelOpen, recordUnhandledRejections } from './forward-helpers.ts';

const unhandled = recordUnhandledRejections();

/** An SSHServer that says `answer` to every direct connection, recording what it was asked. */
class Permissive extends SSHServer {
  readonly asked: [string, number, string, number][] = [];
  private readonly answer: () => ForwardAnswer;
  constructor(answer: () => ForwardAnswer) {
    super();
    this.answer = answer;
  }
  override connectionRequested(destHost: string, destPort: number, origHost: string, origPort: number): ForwardAnswer {
    this.asked.push([destHost, destPort, origHost, origPort]);
    return this.answer();
  }
}

function forwarding(server: SSHServer, permitListen: readonly string[] = []): { fwd: ServerForwarding; warnings: string[] } {
  const warnings: string[] = [];
  const fwd = new ServerForwarding({
    mux: { isClosed: false } as unknown as ConnectionMux,
    connection: {} as ChannelConnection,
    flush: () => undefined,
    server,
    portForwardingAllowed: () => true,
    permitted: (kind) => (kind === 'listen' ? permitListen : []),
    warn: (m) => warnings.push(m),
  });
  return { fwd, warnings };
}

/** A direct-tcpip open that records how it was answered. */
function directTcpip(hostToConnect: string, portToConnect: number, originatorPort = 5000): { request: IncomingChannelOpen; answer: Promise<string> } {
  return channelOpen({ type: 'direct-tcpip', hostToConnect, portToConnect, originatorAddress: '192.0.2.1', originatorPort });
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('direct-tcpip from a hostile client', () => {
  it('a port above 65535 (to connect to, or as the originator) is refused before the SSHServer is asked', async () => {
    const server = new Permissive(() => true);
    const { fwd } = forwarding(server);
    for (const [port, orig] of [[70_000, 5000], [0xffffffff, 5000], [22, 70_000]] as const) {
      const { request, answer } = directTcpip('127.0.0.1', port, orig);
      expect(fwd.channelOpen(request)).toBe(true);
      expect(await bounded(answer, 2_000, 'answer to the open')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
    }
    expect(server.asked).toEqual([]);
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('an answer that fails while the channel is answered refuses the open and is reported, not left unhandled', async () => {
    const server = new Permissive(() => ({}));
    const { fwd, warnings } = forwarding(server);
    const { request, answer } = directTcpip('127.0.0.1', 22);
    const failing = {
      ...request,
      accept: () => {
        throw new Error('accept failed');
      },
    } as unknown as IncomingChannelOpen;
    expect(fwd.channelOpen(failing)).toBe(true);
    expect(await bounded(answer, 2_000, 'answer to the open')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.CONNECT_FAILED}`);
    expect(server.asked).toEqual([['127.0.0.1', 22, '192.0.2.1', 5000]]);
    expect(warnings).toEqual(['forwarded connection handler failed: accept failed']);
    await settle();
    expect(unhandled).toEqual([]);
  });
});

/** A server that lets the client listen wherever its key line allows. */
class ListenAnywhere extends SSHServer {
  override serverRequested(): boolean {
    return true;
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function tcpipForward(bindAddress: string, bindPort: number, wantReply = true): { request: IncomingGlobalRequest; reply: Promise<boolean> } {
  let settle: (ok: boolean) => void = () => undefined;
  const reply = new Promise<boolean>((resolve) => (settle = resolve));
  const request = { name: 'tcpip-forward', body: { type: 'tcpip-forward', bindAddress, bindPort }, wantReply, reply: (ok: boolean) => settle(ok) } as unknown as IncomingGlobalRequest;
  return { request, reply };
}

describe('direct-tcpip to an empty host name', () => {
  it('relaying is refused (CONNECT_FAILED) rather than reaching localhost, as Node would take ""', async () => {
    const local = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const port = (local.address() as net.AddressInfo).port;
    try {
      const server = new Permissive(() => true);
      const { fwd } = forwarding(server);
      const { request, answer } = directTcpip('', port);
      fwd.channelOpen(request);
      expect(await bounded(answer, 5_000, 'answer to the open')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.CONNECT_FAILED}`);
      expect(server.asked).toEqual([['', port, '192.0.2.1', 5000]]);
    } finally {
      await new Promise<void>((resolve) => local.close(() => resolve()));
    }
  });
});

/** A direct-streamlocal open that records how it was answered. */
function directStreamlocal(socketPath: string): { request: IncomingChannelOpen; answer: Promise<string> } {
  return channelOpen({ type: 'direct-streamlocal@openssh.com', socketPath, reserved: new Uint8Array(0), reservedPort: 0 });
}

/** A server that allows every forwarding, recording what it was asked. */
class AllowAll extends SSHServer {
  readonly asked: string[] = [];
  override connectionRequested(destHost: string): boolean {
    this.asked.push(destHost);
    return true;
  }
  override unixConnectionRequested(destPath: string): boolean {
    this.asked.push(destPath);
    return true;
  }
  override serverRequested(listenHost: string): boolean {
    this.asked.push(listenHost);
    return true;
  }
  override unixServerRequested(listenPath: string): boolean {
    this.asked.push(listenPath);
    return true;
  }
}

describe('names holding a NUL byte (Node would cut them there: "127.0.0.1\\0.example.com" reaches 127.0.0.1)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwd-nul-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('direct-tcpip and direct-streamlocal to such a name are refused before the SSHServer is asked', async () => {
    const local = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const port = (local.address() as net.AddressInfo).port;
    const unixPath = path.join(dir, 'target.sock');
    const unix = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => unix.listen(unixPath, resolve));
    try {
      const server = new AllowAll();
      const { fwd } = forwarding(server);
      const tcp = directTcpip('127.0.0.1\0.example.com', port);
      fwd.channelOpen(tcp.request);
      expect(await bounded(tcp.answer, 5_000, 'direct-tcpip answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
      const streamlocal = directStreamlocal(`${unixPath}\0.allowed`);
      fwd.channelOpen(streamlocal.request);
      expect(await bounded(streamlocal.answer, 5_000, 'direct-streamlocal answer')).toBe(`rejected ${CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED}`);
      expect(server.asked).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => local.close(() => resolve()));
      await new Promise<void>((resolve) => unix.close(() => resolve()));
    }
  });

  it('tcpip-forward and streamlocal-forward on such a name are refused, nothing listens', async () => {
    const server = new AllowAll();
    const { fwd } = forwarding(server);
    try {
      const port = await freePort();
      const tcp = tcpipForward('127.0.0.1\0.example.com', port);
      fwd.globalRequest(tcp.request);
      expect(await bounded(tcp.reply, 5_000, 'tcpip-forward reply')).toBe(false);
      const listenPath = path.join(dir, 'listen.sock');
      let settle: (ok: boolean) => void = () => undefined;
      const reply = new Promise<boolean>((resolve) => (settle = resolve));
      fwd.globalRequest({
        name: 'streamlocal-forward@openssh.com',
        body: { type: 'streamlocal-forward@openssh.com', socketPath: `${listenPath}\0.x` },
        wantReply: true,
        reply: (ok: boolean) => settle(ok),
      } as unknown as IncomingGlobalRequest);
      expect(await bounded(reply, 5_000, 'streamlocal-forward reply')).toBe(false);
      expect(existsSync(listenPath)).toBe(false);
      expect(server.asked).toEqual([]);
    } finally {
      fwd.closeAll();
    }
  });
});

describe('tcpip-forward from a client whose key line says permitlisten="localhost:PORT"', () => {
  it('every address ("") is not localhost: refused, nothing listens', async () => {
    const port = await freePort();
    const { fwd } = forwarding(new ListenAnywhere(), [`localhost:${port}`]);
    try {
      for (const host of ['', '*', '0.0.0.0']) {
        const { request, reply } = tcpipForward(host, port);
        expect(fwd.globalRequest(request)).toBe(true);
        expect(await bounded(reply, 5_000, `reply for ${JSON.stringify(host)}`)).toBe(false);
      }
      const { request, reply } = tcpipForward('localhost', port);
      fwd.globalRequest(request);
      expect(await bounded(reply, 5_000, 'reply for localhost')).toBe(true);
    } finally {
      fwd.closeAll();
    }
  });
});

describe('tcpip-forward of port 0 without want-reply', () => {
  it('is refused before the SSHServer is asked, as sshd does: the client could never learn the port', async () => {
    const server = new AllowAll();
    const { fwd } = forwarding(server);
    try {
      const { request, reply } = tcpipForward('127.0.0.1', 0, false);
      expect(fwd.globalRequest(request)).toBe(true);
      expect(await bounded(reply, 5_000, 'tcpip-forward answer')).toBe(false);
      expect(server.asked).toEqual([]);
    } finally {
      fwd.closeAll();
    }
  });
});

describe('a cancel sent right behind its listen request, before the answer (requests may be pipelined)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fwd-pipelined-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An SSHServer that decides listen requests when the test says so. */
  class SlowToDecide extends SSHServer {
    readonly decide: (() => void)[] = [];
    override serverRequested(): Promise<boolean> {
      return new Promise((resolve) => this.decide.push(() => resolve(true)));
    }
    override unixServerRequested(): Promise<boolean> {
      return new Promise((resolve) => this.decide.push(() => resolve(true)));
    }
  }

  function globalRequest(body: Record<string, unknown> & { type: string }): { request: IncomingGlobalRequest; reply: Promise<boolean> } {
    let settle: (ok: boolean) => void = () => undefined;
    const reply = new Promise<boolean>((resolve) => (settle = resolve));
    const request = { name: body.type, body, wantReply: true, reply: (ok: boolean) => settle(ok) } as unknown as IncomingGlobalRequest;
    return { request, reply };
  }

  it('cancel-tcpip-forward: the listener is set up, then cancelled; nothing is left listening', async () => {
    const server = new SlowToDecide();
    const { fwd } = forwarding(server);
    try {
      const port = await freePort();
      const listen = tcpipForward('127.0.0.1', port);
      fwd.globalRequest(listen.request);
      const cancel = globalRequest({ type: 'cancel-tcpip-forward', bindAddress: '127.0.0.1', bindPort: port });
      fwd.globalRequest(cancel.request);
      await settle();
      for (const decide of server.decide) decide();
      expect(await bounded(listen.reply, 5_000, 'tcpip-forward reply')).toBe(true);
      expect(await bounded(cancel.reply, 5_000, 'cancel reply')).toBe(true);
      await settle();
      expect(await tryConnectTcp(port)).toBe('ECONNREFUSED');
    } finally {
      fwd.closeAll();
    }
  });

  it('cancel-streamlocal-forward: the socket is set up, then removed', async () => {
    const server = new SlowToDecide();
    const { fwd } = forwarding(server);
    const listenPath = path.join(dir, 'pipelined.sock');
    try {
      const listen = globalRequest({ type: 'streamlocal-forward@openssh.com', socketPath: listenPath });
      fwd.globalRequest(listen.request);
      const cancel = globalRequest({ type: 'cancel-streamlocal-forward@openssh.com', socketPath: listenPath });
      fwd.globalRequest(cancel.request);
      await settle();
      for (const decide of server.decide) decide();
      expect(await bounded(listen.reply, 5_000, 'streamlocal-forward reply')).toBe(true);
      expect(await bounded(cancel.reply, 5_000, 'cancel reply')).toBe(true);
      await settle();
      expect(existsSync(listenPath)).toBe(false);
    } finally {
      fwd.closeAll();
    }
  });

  it('a cancel for a listener nobody asked for is still refused at once', async () => {
    const { fwd } = forwarding(new SlowToDecide());
    const cancel = globalRequest({ type: 'cancel-tcpip-forward', bindAddress: '127.0.0.1', bindPort: 1 });
    fwd.globalRequest(cancel.request);
    expect(await bounded(cancel.reply, 5_000, 'cancel reply')).toBe(false);
  });
});

/** The connect error code for 127.0.0.1:`port`, or 'connected'. */
function tryConnectTcp(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
