/** @ssh/cli: the command-line programs, importable for embedding and tests. @module */
export { RUN_USAGE, main, type RunIo } from './run.ts';
export { main as sftpMain, SFTP_USAGE, linePrefixes, type SftpProgramIo } from './sftp.ts';
export { main as scpMain, SCP_USAGE, type ScpProgramIo } from './scp.ts';
export { SftpShell, CommandError, CommandFailures, abortsBatch, splitWords, longLine, printable, HELP, type ShellIo, type ShellDefaults } from './sftp-commands.ts';
export { connectTo, clientArgs, describeError, isMain, type ClientArgs, type ProgramIo } from './client.ts';
export { getopt, UsageError, type Parsed } from './getopt.ts';
export { parseDestination, parseSftpDestination, splitRemotePath, type Destination, type RemotePath } from './destination.ts';
export { startEmbeddedServer, type EmbeddedServer } from './embedded.ts';
export { localShellFactory, type LocalShellOptions } from './local-shell.ts';
export { formatBytes, progressMeter } from './progress.ts';
