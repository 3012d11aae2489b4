/**
 * Our server's sftp subsystem over an SSH session: a copy-data followed at once by the client's
 * EOF (a half-close) is finished and answered, with what was sent behind it, as OpenSSH's
 * sftp-server finishes the request it is on (packages/sftp's copy-data-eof interop test). The
 * session's output is still open then; only its closing stops a copy.
 */
import { mkdtempSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatePrivateKey } from '@ssh/keys';
import { defaultClientKey, type KeyPair } from '@ssh/interop';
import { FX, FXF, FXP, PacketFramer, decodeResponse, encodeInit, encodeRequest, type SftpResponse } from '@ssh/sftp';
import { Writer } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type SSHAcceptor } from '../src/index.ts';

let acceptor: SSHAcceptor;
let clientKey: KeyPair;
let dir: string;

beforeAll(async () => {
  clientKey = await defaultClientKey();
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'sftp-copy-eof-')));
  acceptor = await listen('127.0.0.1', 0, {
    serverHostKeys: [generatePrivateKey('ssh-ed25519')],
    authorizedClientKeys: `${clientKey.publicKey}\n`,
    sftpFactory: true,
  });
});

afterAll(async () => {
  await acceptor?.waitClosed();
  rmSync(dir, { recursive: true, force: true });
});

const SIZE = 64 << 20;

describe('copy-data, then EOF on the session', () => {
  it('is finished and answered, and so is the request behind it', async () => {
    const src = path.join(dir, 'src');
    const dst = path.join(dir, 'dst');
    writeFileSync(src, '');
    truncateSync(src, SIZE);
    await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [clientKey.privateKeyPath], knownHosts: null, agentPath: null, config: null });
    const proc = await conn.createProcess<Uint8Array>(undefined, { subsystem: 'sftp', encoding: null });
    const framer = new PacketFramer(1 << 20);
    const replies: SftpResponse[] = [];
    let version = false;
    /** Reads until `n` replies (after VERSION) are in, or to EOF when `n` is undefined. */
    const readReplies = async (n?: number): Promise<void> => {
      while (n === undefined || replies.length < n) {
        const chunk = await proc.stdout.read(65536);
        if (chunk.length === 0) return;
        for (const p of framer.push(chunk)) {
          if (!version) version = p[0] === FXP.VERSION;
          else replies.push(decodeResponse(p, 3));
        }
      }
    };
    const handle = (r: SftpResponse | undefined): Uint8Array => {
      if (r?.kind !== 'handle') throw new Error(`expected a handle, got ${JSON.stringify(r)}`);
      return r.handle;
    };
    proc.stdin.write(encodeInit(FXP.INIT, { version: 3, extensions: [] }));
    proc.stdin.write(encodeRequest({ kind: 'open', id: 1, path: src, flags: FXF.READ, attrs: {} }, 3));
    proc.stdin.write(encodeRequest({ kind: 'open', id: 2, path: dst, flags: FXF.WRITE | FXF.CREAT | FXF.TRUNC, attrs: {} }, 3));
    await readReplies(2);
    const copy = new Writer(64).bytes(handle(replies[0])).u64(0n).u64(0n).bytes(handle(replies[1])).u64(0n).finish();
    proc.stdin.write(encodeRequest({ kind: 'extended', id: 3, request: 'copy-data', data: copy }, 3));
    proc.stdin.write(encodeRequest({ kind: 'stat', id: 4, path: src }, 3));
    proc.stdin.writeEof();
    await readReplies();
    expect(statSync(dst).size).toBe(SIZE);
    expect(replies.slice(2).map((r) => [r.id, r.kind === 'status' ? r.status : r.kind])).toEqual([
      [3, FX.OK],
      [4, 'attrs'],
    ]);
  }, 60_000);
});
