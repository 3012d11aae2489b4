/**
 * The server side of X11 forwarding (RFC 4254 §6.3), as sshd does it: for an accepted x11-req a
 * TCP listener on the first free display number from the offset (port 6000 + N, on 127.0.0.1
 * with x11UseLocalhost, else on every address), DISPLAY set for the session, and the client's
 * cookie added with xauth(1) to a per-session Xauthority file that XAUTHORITY names (or to the
 * x11AuthPath file, from which it is removed when the session ends); each
 * connection to the listener becomes an "x11" channel to the client. The listener closes with
 * the session, or after its first connection when the client asked for a single one.
 * @module
 */

import { execFile } from 'node:child_process';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SSHChannel, type ChannelConnection, type ConnectionMux, type SSHServerChannel, type X11ServerRequest } from '@ssh/connection';
import { SSHForwarder } from '../bridge.ts';
import { X11_BASE_PORT } from './display.ts';

/** Display numbers tried from the offset (sshd's MAX_DISPLAYS). */
const MAX_DISPLAYS = 1000;

export interface X11ServerOptions {
  /** The first display number to try (default 10, as sshd's X11DisplayOffset). */
  readonly displayOffset: number;
  /** Listen on the loopback address only (default true, as sshd's X11UseLocalhost). */
  readonly useLocalhost: boolean;
  /** xauth(1) to run (default: found in PATH or /usr/bin, else no Xauthority file is written). */
  readonly xauthPath?: string | undefined;
  /** A shared Xauthority file to add the cookies to (else one per session). */
  readonly authPath?: string | undefined;
}

/** The X11 settings of the server's options (x11DisplayOffset, x11UseLocalhost). */
export function x11ServerOptions(o: { readonly x11DisplayOffset?: number | undefined; readonly x11UseLocalhost?: boolean | undefined; readonly x11AuthPath?: string | undefined }): X11ServerOptions {
  const offset = o.x11DisplayOffset ?? 10;
  if (!Number.isInteger(offset) || offset < 0 || offset > 65535 - X11_BASE_PORT) throw new RangeError(`x11DisplayOffset must be an integer from 0 to ${65535 - X11_BASE_PORT}`);
  return { displayOffset: offset, useLocalhost: o.x11UseLocalhost !== false, ...(o.x11AuthPath !== undefined ? { authPath: o.x11AuthPath } : {}) };
}

export interface X11ServerContext {
  readonly mux: ConnectionMux;
  readonly connection: ChannelConnection;
  readonly flush: () => void;
  readonly warn: (message: string) => void;
}

/** Starts X11 forwarding for `channel`; answers false when it cannot be set up. */
export async function startX11Forwarding(channel: SSHServerChannel, request: X11ServerRequest, ctx: X11ServerContext, options: X11ServerOptions): Promise<boolean> {
  if (channel.getX11Display() !== undefined) return false;
  const host = options.useLocalhost ? '127.0.0.1' : '0.0.0.0';
  let single = request.singleConnection;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    if (single) {
      single = false;
      server.close();
    }
    forwardConnection(socket, ctx);
  });
  server.on('error', () => undefined);
  const display = await listenFirstFree(server, host, options.displayOffset);
  if (display === undefined) {
    ctx.warn('X11 forwarding: no free display number');
    return false;
  }
  const name = options.useLocalhost ? `localhost:${display}.${request.screen}` : `${os.hostname()}:${display}.${request.screen}`;
  let dir: string | undefined;
  let authPath: string | undefined;
  const xauth = options.xauthPath ?? (await findXauth());
  // sshd's way: a local display's cookie under unix:N, which Xlib finds for localhost:N too.
  const authDisplay = options.useLocalhost ? `unix:${display}.${request.screen}` : name;
  if (xauth !== undefined) {
    try {
      if (options.authPath !== undefined) authPath = options.authPath;
      else {
        dir = await mkdtemp(path.join(os.tmpdir(), 'ssh-x11-'));
        authPath = path.join(dir, 'xauthfile');
      }
      await run(xauth, ['-q', '-f', authPath, 'add', authDisplay, request.authProtocol, Buffer.from(request.authCookie).toString('hex')]);
    } catch (err) {
      ctx.warn(`X11 forwarding: xauth failed: ${err instanceof Error ? err.message : String(err)}`);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      dir = authPath = undefined;
    }
  }
  channel.setX11Display(name, authPath);
  const shared = dir === undefined ? authPath : undefined;
  void channel.waitClosed().then(async () => {
    server.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    // A shared file keeps other sessions' cookies: only this one goes.
    else if (shared !== undefined && xauth !== undefined) await run(xauth, ['-q', '-f', shared, 'remove', authDisplay]).catch(() => undefined);
  });
  return true;
}

/** Opens an "x11" channel for a connection to the display and relays it. */
function forwardConnection(socket: net.Socket, ctx: X11ServerContext): void {
  const x11Channel = new SSHChannel<Uint8Array>(ctx.connection, { encoding: null });
  const bridge = new SSHForwarder(socket);
  x11Channel.setSession(bridge);
  const base = x11Channel.handler;
  ctx.mux.openChannel(
    'x11',
    { type: 'x11', originatorAddress: socket.remoteAddress ?? '127.0.0.1', originatorPort: socket.remotePort ?? 0 },
    {
      ...base,
      onOpen: (c) => {
        x11Channel.attach(c);
        bridge.start(x11Channel);
        socket.resume();
      },
      onOpenFailed: () => socket.destroy(),
    },
  );
  ctx.flush();
}

/** Listens on the first free port 6000 + N, N from `offset`; the display number, or undefined. */
async function listenFirstFree(server: net.Server, host: string, offset: number): Promise<number | undefined> {
  for (let n = offset; n < offset + MAX_DISPLAYS && X11_BASE_PORT + n <= 65535; n++) {
    const ok = await new Promise<boolean>((resolve) => {
      const onError = (): void => resolve(false);
      server.once('error', onError);
      server.listen({ host, port: X11_BASE_PORT + n, exclusive: true }, () => {
        server.off('error', onError);
        resolve(true);
      });
    });
    if (ok) return n;
  }
  return undefined;
}

async function findXauth(): Promise<string | undefined> {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== ''), '/usr/bin', '/usr/X11R6/bin', '/usr/bin/X11'];
  for (const d of dirs) {
    const p = path.join(d, 'xauth');
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() !== '' ? stderr.trim() : err.message));
      else resolve();
    });
  });
}
