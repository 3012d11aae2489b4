/**
 * Runs our LocalSFTPServer on stdin/stdout, for OpenSSH's `sftp -D`. Argument: the chroot
 * directory, or "-" followed by a home directory for an unconfined server.
 */
import { runSftpServer } from '../../src/index.ts';
import { LocalSFTPServer, fromNodeStreams } from '../../src/node/index.ts';

const [first, second] = process.argv.slice(2);
const server = first === '-' ? new LocalSFTPServer({ home: second ?? process.cwd() }) : new LocalSFTPServer({ chroot: first ?? process.cwd() });
await runSftpServer(fromNodeStreams(process.stdin, process.stdout), server);
process.exit(0);
