/**
 * @ssh/sftp/node: Node adapters for @ssh/sftp (streams, local file system, local SFTP server).
 * @module
 */

import { type SFTPClient, type SFTPClientOptions, startSftpClient as startCore } from '../client.ts';
import { type SftpByteStream } from '../stream.ts';
import { nodeLocalFs } from './local-fs.ts';

export { fromNodeStreams, fromNodeDuplex, gatherWrites, type GatherOptions } from './streams.ts';
export { nodeLocalFs, statsToAttrs } from './local-fs.ts';

/** startSftpClient with the local file system wired in for get/put. */
export function startSftpClient(stream: SftpByteStream, options: SFTPClientOptions = {}): Promise<SFTPClient> {
  return startCore(stream, { localFs: nodeLocalFs, ...options });
}
export { LocalSFTPServer, type LocalSFTPServerOptions } from './fs-server.ts';
export { fsError } from './fs-errors.ts';
export { ChrootResolver, chrootLocalFs } from './chroot.ts';
