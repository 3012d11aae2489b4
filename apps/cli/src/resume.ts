/**
 * Resumed transfers of ssh-sftp (`reget`, `reput`, `get -a`, `put -a`, as OpenSSH's sftp): the
 * copy carries on from the size the destination already has, assuming (as sftp does) that what
 * is there matches the start of the source. Parallel reads and writes of a few megabytes at a
 * time, so that memory stays bounded whatever the file's size.
 * @module
 */

import { open, stat } from 'node:fs/promises';
import type { SFTPClient } from '@ssh/asyncssh';

/** Bytes moved per step: the SFTP client splits each into parallel requests. */
const STEP = 8 * 1024 * 1024;

export type ResumeProgress = (done: number, total: number) => void;

/** What a resume found: copied from `from` to `total`, or nothing to do (a download already complete). */
export interface Resumed {
  readonly from: number;
  readonly total: number;
}

/** An error whose message is shown as is (a destination larger than its source, a source that is no file). */
export class ResumeError extends Error {
  override readonly name = 'ResumeError';
}

/** Appends the rest of remote `src` to local `target` (created when missing). */
export async function resumeDownload(sftp: SFTPClient, src: string, target: string, progress?: ResumeProgress): Promise<Resumed> {
  const total = (await sftp.stat(src)).size;
  if (total === undefined) throw new ResumeError(`Unable to resume download of "${src}": the server gave no size`);
  const from = await stat(target).then(
    (s) => s.size,
    () => 0,
  );
  if (from > total) throw new ResumeError(`Unable to resume download of "${src}": local file is larger than remote`);
  if (from === total) return { from, total };
  const file = await sftp.open(src, 'rb');
  const local = await open(target, from === 0 ? 'w' : 'r+');
  try {
    for (let at = from; at < total; ) {
      const data = await file.read(Math.min(STEP, total - at), at);
      if (data.length === 0) break; // the file shrank under us: keep what is there
      await local.write(data, 0, data.length, at);
      at += data.length;
      progress?.(at, total);
    }
  } finally {
    await local.close();
    await file.close();
  }
  return { from, total };
}

/**
 * Writes the rest of local `src` at the end of remote `target` (created when missing). A remote
 * file as large as the local one or larger is refused (ResumeError), as sftp refuses it.
 */
export async function resumeUpload(sftp: SFTPClient, src: string, target: string, progress?: ResumeProgress): Promise<Resumed> {
  const info = await stat(src);
  if (!info.isFile()) throw new ResumeError(`Unable to resume upload of "${src}": not a regular file`);
  const total = info.size;
  const from = (await sftp.exists(target)) ? ((await sftp.stat(target)).size ?? 0) : 0;
  // As sftp: a destination already complete is no partial copy to resume either, and fails.
  if (from >= total) throw new ResumeError(`resume "${src}": destination file same size or larger`);
  const local = await open(src, 'r');
  const file = await sftp.open(target, from === 0 ? 'wb' : 'r+b');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(STEP, total - from));
    for (let at = from; at < total; ) {
      const { bytesRead } = await local.read(buffer, 0, Math.min(buffer.length, total - at), at);
      if (bytesRead === 0) break;
      await file.write(buffer.subarray(0, bytesRead), at);
      at += bytesRead;
      progress?.(at, total);
    }
  } finally {
    await file.close();
    await local.close();
  }
  return { from, total };
}
