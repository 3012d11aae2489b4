/**
 * The in-process clients of the connection benchmark's stream rows, run by a runner
 * (../peers/runner.ts): our client and ssh2 reading a remote command's stdout from sshd, each
 * timed from the first byte to EOF, with the CPU time of its process over the same stretch.
 * @module
 */

import { cpuSecondsSince, ourClose, ourConnect, ssh2Close, ssh2Connect, ssh2Exec, type Endpoint } from './connection-common.ts';

/** Wall and CPU seconds a client spent on a stream (CPU: user + system of the client alone). */
export interface StreamTime {
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/**
 * How our client reads the stream: `chunks`, through stdout.chunks({ transient: true }) (each
 * received buffer goes back to the packet pool once the next chunk is asked for: the way the
 * README gives for streaming bulk data), or `read`, with read() calls (every packet's buffer is
 * the application's to keep, and a fresh one is allocated for the next).
 */
export type OurReads = 'chunks' | 'read';

/** Our client reading `command`'s stdout to EOF, timed from the first byte. */
export async function ourStream(ep: Endpoint, command: string, bytes: number, reads: OurReads = 'chunks'): Promise<StreamTime> {
  const conn = await ourConnect(ep);
  try {
    const proc = await conn.createProcess<Uint8Array>(command, { encoding: null, stdin: 'devnull' });
    const chunks = reads === 'chunks' ? proc.stdout.chunks({ transient: true }) : undefined;
    let got = 0;
    let t0 = 0;
    let c0 = process.cpuUsage();
    for (;;) {
      const chunk = chunks === undefined ? await proc.stdout.read(1 << 20) : ((await chunks.next()).value ?? new Uint8Array(0));
      if (chunk.length === 0) break;
      if (got === 0) {
        t0 = performance.now();
        c0 = process.cpuUsage();
      }
      got += chunk.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuSecondsSince(c0);
    await proc.waitClosed();
    if (got !== bytes) throw new Error(`connection bench: our client read ${got} bytes, expected ${bytes}`);
    return { seconds, cpuSeconds };
  } finally {
    await ourClose(conn);
  }
}

export async function ssh2Stream(ep: Endpoint, command: string, bytes: number): Promise<StreamTime> {
  const client = await ssh2Connect(ep);
  try {
    const stream = await ssh2Exec(client, command);
    const { got, time } = await new Promise<{ got: number; time: StreamTime }>((resolve, reject) => {
      let n = 0;
      let t0 = 0;
      let c0 = process.cpuUsage();
      stream.on('data', (d: Buffer) => {
        if (n === 0) {
          t0 = performance.now();
          c0 = process.cpuUsage();
        }
        n += d.length;
      });
      stream.stderr.resume();
      stream.once('error', reject);
      stream.once('close', () => resolve({ got: n, time: { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSecondsSince(c0) } }));
    });
    if (got !== bytes) throw new Error(`connection bench: ssh2 read ${got} bytes, expected ${bytes}`);
    return time;
  } finally {
    await ssh2Close(client);
  }
}

