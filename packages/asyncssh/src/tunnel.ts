/**
 * Connections through other connections (AsyncSSH's `tunnel`, OpenSSH's ProxyJump): each hop is
 * an SSH connection, and the next one runs over a direct-tcpip channel of the previous one,
 * wrapped as a Node duplex stream.
 * @module
 */

import { Duplex } from 'node:stream';
import { readerToReadable, writerToWritable } from '@ssh/connection/node';
import type { SSHClientConnection, SSHClientConnectionOptions } from './client.ts';

/** A hop: a connection of yours, `[user@]host[:port]`, or the pieces of one. */
export type TunnelHop = SSHClientConnection | string | { readonly host: string; readonly port?: number; readonly user?: string };
/** One hop, a comma-separated list of hops (as ProxyJump), or a list. */
export type TunnelOption = TunnelHop | readonly TunnelHop[];

/** Parses `[user@]host[:port]` (or `ssh://...`). */
export function parseHop(text: string): { host: string; port?: number; user?: string } {
  let rest = text.trim().replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (!m || user === '') throw new RangeError(`bad tunnel hop ${JSON.stringify(text)}`);
  if (m[2] !== undefined) port = Number(m[2]);
  return { host: m[1] as string, ...(port !== undefined ? { port } : {}), ...(user !== undefined ? { user } : {}) };
}

function hopsOf(tunnel: TunnelOption): TunnelHop[] {
  if (typeof tunnel === 'string') return tunnel.split(',').filter((h) => h.trim() !== '');
  return Array.isArray(tunnel) ? [...(tunnel as readonly TunnelHop[])] : [tunnel as TunnelHop];
}

export interface OpenedTunnel {
  /** The stream to the target, over the last hop. */
  readonly stream: Duplex;
  /** Closes the hops this call opened (not connections you passed in). */
  readonly close: () => void;
}

/** A channel's reader and writer as one Node duplex stream. */
export function channelDuplex(reader: Parameters<typeof readerToReadable>[0], writer: Parameters<typeof writerToWritable>[0]): Duplex {
  return Duplex.from({ readable: readerToReadable(reader), writable: writerToWritable(writer) });
}

/**
 * Opens the hops in order (each over the previous one) and a direct-tcpip channel to `host:port`
 * over the last. `open` makes one hop's connection; it gets the previous hop to tunnel through.
 */
export async function openTunnel(
  tunnel: TunnelOption,
  host: string,
  port: number,
  open: (hop: { host: string; port?: number; user?: string }, through: SSHClientConnection | undefined) => Promise<SSHClientConnection>,
  isConnection: (hop: TunnelHop) => hop is SSHClientConnection,
): Promise<OpenedTunnel> {
  const owned: SSHClientConnection[] = [];
  const close = (): void => {
    for (const c of owned.reverse()) c.close();
  };
  try {
    let through: SSHClientConnection | undefined;
    for (const hop of hopsOf(tunnel)) {
      if (isConnection(hop)) {
        through = hop;
        continue;
      }
      const conn = await open(typeof hop === 'string' ? parseHop(hop) : hop, through);
      owned.push(conn);
      through = conn;
    }
    if (!through) throw new RangeError('tunnel: no hop given');
    const [reader, writer] = await through.openConnection<Uint8Array>(host, port);
    return { stream: channelDuplex(reader, writer), close };
  } catch (err) {
    close();
    throw err;
  }
}

export type { SSHClientConnectionOptions };
