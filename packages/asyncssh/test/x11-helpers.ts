/**
 * Test helpers for X11 forwarding: a fake X server (a UNIX socket in /tmp/.X11-unix or a TCP
 * port 6000 + n) that reads the connection setup, checks its cookie, answers Success or Failed
 * and then echoes; and an X client script for python3 that connects to $DISPLAY with the cookie
 * `xauth list $DISPLAY` gives (or a wrong one), as any X program would.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';

export interface FakeXServer {
  /** The DISPLAY value that reaches it (':n' or '127.0.0.1:n'). */
  readonly display: string;
  readonly number: number;
  /** The cookies X clients presented, in hex, in arrival order. */
  readonly seen: string[];
  close(): Promise<void>;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Starts a fake X server for `cookie` on the first free display number from `from`. */
export async function startFakeX(cookie: Uint8Array, kind: 'unix' | 'tcp', from = 300): Promise<FakeXServer> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const expected = Buffer.from(cookie).toString('hex');
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 12) return;
      const le = buf[0] === 0x6c;
      const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
      const n = u16(6);
      const d = u16(8);
      const total = 12 + pad4(n) + pad4(d);
      if (buf.length < total) return;
      socket.off('data', onData);
      const data = buf.subarray(12 + pad4(n), 12 + pad4(n) + d).toString('hex');
      seen.push(data);
      const reply = Buffer.alloc(8);
      const ok = data === expected && buf.subarray(12, 12 + n).toString('latin1') === 'MIT-MAGIC-COOKIE-1';
      reply[0] = ok ? 1 : 0;
      if (le) reply.writeUInt16LE(11, 2);
      else reply.writeUInt16BE(11, 2);
      socket.write(reply);
      if (!ok) {
        socket.end();
        return;
      }
      const rest = buf.subarray(total);
      if (rest.length > 0) socket.write(rest);
      socket.pipe(socket);
    };
    socket.on('data', onData);
  });
  if (kind === 'unix' && !existsSync('/tmp/.X11-unix')) mkdirSync('/tmp/.X11-unix', { mode: 0o1777 });
  for (let n = from; n < from + 200; n++) {
    const path = `/tmp/.X11-unix/X${n}`;
    if (kind === 'unix' && existsSync(path)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      const done = (): void => {
        server.removeAllListeners('error');
        resolve(true);
      };
      if (kind === 'unix') server.listen(path, done);
      else server.listen({ host: '127.0.0.1', port: 6000 + n, exclusive: true }, done);
    });
    if (!ok) continue;
    server.on('error', () => undefined);
    return {
      display: kind === 'unix' ? `:${n}` : `127.0.0.1:${n}`,
      number: n,
      seen,
      close: () =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => {
            if (kind === 'unix') rmSync(path, { force: true });
            resolve();
          });
        }),
    };
  }
  throw new Error('no free X display number for the fake X server');
}

/**
 * An X client: connects to $DISPLAY (TCP for host:n, /tmp/.X11-unix/Xn for :n), sends the setup
 * with the cookie of `xauth list $DISPLAY` (all zeros with the argument `wrong`; with `badorder`
 * a byte-order byte that is neither 'B' nor 'l'), prints
 * `status 1` (Success), `status 0` (Failed) or `status closed`, then `echo ping` after a round
 * trip through a server that accepted.
 */
export const X_CLIENT_PY = `
import os, socket, struct, subprocess, sys
d = os.environ.get('DISPLAY', '')
print('display', d, flush=True)
host, num = d.rsplit(':', 1)
num = int(num.split('.')[0])
out = subprocess.run(['xauth', 'list', d], capture_output=True, text=True).stdout.split()
cookie = bytes.fromhex(out[2]) if len(out) >= 3 else b''
if len(sys.argv) > 1 and sys.argv[1] == 'wrong':
    cookie = bytes(len(cookie) or 16)
if host in ('', 'unix'):
    s = socket.socket(socket.AF_UNIX)
    s.connect('/tmp/.X11-unix/X%d' % num)
else:
    s = socket.create_connection((host, 6000 + num), timeout=10)
s.settimeout(10)
name = b'MIT-MAGIC-COOKIE-1'
pad = lambda b: b + bytes((4 - len(b) % 4) % 4)
order = 0x58 if len(sys.argv) > 1 and sys.argv[1] == 'badorder' else 0x6c
s.sendall(struct.pack('<BxHHHHxx', order, 11, 0, len(name), len(cookie)) + pad(name) + pad(cookie))
r = b''
try:
    while len(r) < 8:
        c = s.recv(8 - len(r))
        if not c:
            break
        r += c
except OSError:
    pass
print('status', r[0] if len(r) == 8 else 'closed', flush=True)
if len(r) == 8 and r[0] == 1:
    s.sendall(b'ping')
    e = b''
    while len(e) < 4:
        c = s.recv(4 - len(e))
        if not c:
            break
        e += c
    print('echo', e.decode(), flush=True)
`;
