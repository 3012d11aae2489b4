/**
 * A scripted agent on a UNIX socket: for each complete request it calls `onRequest`, which
 * writes whatever bytes it likes (a good reply, a truncated one, nothing...).
 */
import { type Server, type Socket, createServer } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '@ssh/interop';
import { AgentFrameReader } from '../../src/index.ts';

export interface FakeAgent {
  readonly path: string;
  /** Requests seen, in order (payloads). */
  readonly requests: Uint8Array[];
  /** Most requests outstanding at once on one connection (the client must keep it at 1). */
  maxOutstanding: number;
  close(): Promise<void>;
}

export type Script = (payload: Uint8Array, socket: Socket, index: number) => void;

export async function startFakeAgent(script: Script): Promise<FakeAgent> {
  const dir = await makeTempDir('fake-agent');
  const path = join(dir, 'agent.sock');
  const sockets = new Set<Socket>();
  const requests: Uint8Array[] = [];
  const state = { maxOutstanding: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const frames = new AgentFrameReader();
    socket.on('data', (chunk) => {
      let payloads: Uint8Array[];
      try {
        payloads = frames.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      state.maxOutstanding = Math.max(state.maxOutstanding, payloads.length);
      for (const p of payloads) {
        requests.push(p);
        script(p, socket, requests.length - 1);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    requests,
    get maxOutstanding() {
      return state.maxOutstanding;
    },
    set maxOutstanding(v: number) {
      state.maxOutstanding = v;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeTempDir(dir);
    },
  };
}

/** `uint32 length` then the bytes. */
export function frame(...bytes: number[]): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}
