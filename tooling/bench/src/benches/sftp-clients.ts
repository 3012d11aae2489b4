/**
 * The sftp benchmark's in-process clients, run by a runner (../peers/runner.ts): our client and
 * ssh2's fastGet/fastPut, each timed around the transfers alone on a connection opened before,
 * after an untimed download of the warm-up file on it.
 * @module
 */

import { rmSync } from 'node:fs';
import { connect, type SSHClientConnection } from '@ssh/asyncssh';
import type { KeyPair } from '@ssh/interop';
import type { Client as Ssh2Client, SFTPWrapper } from 'ssh2';
import { timedSeconds } from '../measure.ts';
import { ssh2Close, ssh2Connect } from './connection-common.ts';
import { CIPHER, NONE, checkSize, checkTreeAndRemove, rate, type Files, type Rates } from './sftp-common.ts';

/**
 * Our client against `port`: get and put, `rounds` times each, on one connection. The second
 * upload and the recursive upload and download only when `full`.
 */
export async function ourClient(port: number, user: string, key: KeyPair, files: Files, bytes: number, rounds: number, full: boolean): Promise<Rates> {
  const conn: SSHClientConnection = await connect({
    host: '127.0.0.1',
    port,
    username: user,
    clientKeys: [key.privateKeyPath],
    knownHosts: null,
    agentPath: null,
    config: null,
    encryptionAlgs: [CIPHER],
    compressionAlgs: ['none'],
  });
  try {
    const sftp = await conn.startSftpClient();
    const get: number[] = [];
    const put: number[] = [];
    const putAgain: number[] = [];
    const tree: number[] = [];
    const treeGet: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await sftp.get(files.warm, files.got);
      rmSync(files.got);
      get.push(await timedSeconds(() => sftp.get(files.src, files.got)));
      checkSize(files.got, bytes);
      rmSync(files.got);
      for (const times of full ? [put, putAgain] : [put]) {
        times.push(await timedSeconds(() => sftp.put(files.src, files.put)));
        checkSize(files.put, bytes);
        rmSync(files.put);
      }
      if (!full) continue;
      tree.push(await timedSeconds(() => sftp.mput(files.tree, files.treeDst, { recurse: true })));
      checkTreeAndRemove(files.treeDst, files.treeFiles);
      treeGet.push(await timedSeconds(() => sftp.get(files.tree, files.treeDst, { recurse: true })));
      checkTreeAndRemove(files.treeDst, files.treeFiles);
    }
    sftp.exit();
    if (!full) return { ...NONE, get: rate(bytes, get), put: rate(bytes, put) };
    return { get: rate(bytes, get), put: rate(bytes, put), putAgain: rate(bytes, putAgain), tree: files.treeFiles / Math.min(...tree), treeGet: files.treeFiles / Math.min(...treeGet) };
  } finally {
    conn.close();
    await conn.waitClosed();
  }
}

function ssh2Sftp(client: Ssh2Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

function ssh2Done(start: (callback: (err: Error | null | undefined) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => start((err) => (err ? reject(err) : resolve())));
}

/**
 * The ssh2 npm client's fastGet/fastPut against `port`, with their defaults (64 requests of
 * 32 KiB in flight), on one connection with Nagle's algorithm off as ours. The second upload
 * only when `full`.
 */
export async function ssh2Client(port: number, user: string, key: KeyPair, files: Files, bytes: number, rounds: number, full: boolean): Promise<Rates> {
  const client = await ssh2Connect({ port, user, key }, { noDelay: true });
  try {
    const sftp = await ssh2Sftp(client);
    const get: number[] = [];
    const put: number[] = [];
    const putAgain: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await ssh2Done((cb) => sftp.fastGet(files.warm, files.got, cb));
      rmSync(files.got);
      get.push(await timedSeconds(() => ssh2Done((cb) => sftp.fastGet(files.src, files.got, cb))));
      checkSize(files.got, bytes);
      rmSync(files.got);
      for (const times of full ? [put, putAgain] : [put]) {
        times.push(await timedSeconds(() => ssh2Done((cb) => sftp.fastPut(files.src, files.put, cb))));
        checkSize(files.put, bytes);
        rmSync(files.put);
      }
    }
    sftp.end();
    return { ...NONE, get: rate(bytes, get), put: rate(bytes, put), putAgain: full ? rate(bytes, putAgain) : 0 };
  } finally {
    await ssh2Close(client);
  }
}

