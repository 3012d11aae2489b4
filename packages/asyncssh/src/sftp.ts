/**
 * SFTP and SCP on SSH sessions: the client's startSftpClient() (the `sftp` subsystem), and the
 * server's sftpFactory / allowScp, which serve the `sftp` subsystem and `scp -t/-f` commands
 * from the local file system (or an SFTPServer of yours) next to the process factory.
 * @module
 */

import { type ProcessFactory, type SSHReader, type SSHServerProcess, type ServerProcessSession, type SSHWriter } from '@ssh/connection';
import type { SFTPClient, SFTPClientOptions, SFTPServer, SftpByteStream } from '@ssh/sftp';
import { runScpServer, runSftpServer } from '@ssh/sftp';
import { LocalSFTPServer, nodeLocalFs, startSftpClient as startNodeSftpClient } from '@ssh/sftp/node';
import type { ClientSessions } from './client-sessions.ts';

/** Writes at least this long go out as they are (copying them to gather would cost more). */
const GATHER_MAX_CHUNK = 64 * 1024;
/** Gathered bytes are written once they reach this. */
const GATHER_MAX_BATCH = 128 * 1024;

/**
 * `stream` with its small writes gathered until the event loop has handled what was ready (one
 * setImmediate), then written as one chunk. SFTP writes one packet at a time: a READ request, or
 * a reply of 32 KiB + 13 bytes to OpenSSH's 32 KiB READs. Written one by one, each became SSH
 * packets of its own (the reply a full one and a 13-byte one) and, on the client, a socket
 * write of its own; gathered, the channel cuts them into full packets. Order is kept: a large
 * write first sends what was gathered before it.
 */
export function gatherWrites(stream: SftpByteStream): SftpByteStream {
  let parts: Uint8Array[] = [];
  let bytes = 0;
  let scheduled = false;
  // The last backpressure promise of the stream, until it settles.
  let waiting: Promise<void> | undefined;
  const pass = (chunk: Uint8Array): void => {
    const p = stream.write(chunk);
    if (!p) return;
    waiting = p;
    const clear = (): void => {
      if (waiting === p) waiting = undefined;
    };
    p.then(clear, clear);
  };
  const flush = (): void => {
    scheduled = false;
    if (bytes === 0) return;
    let chunk = parts[0] as Uint8Array;
    if (parts.length > 1) {
      chunk = new Uint8Array(bytes);
      let at = 0;
      for (const part of parts) {
        chunk.set(part, at);
        at += part.length;
      }
    }
    parts = [];
    bytes = 0;
    pass(chunk);
  };
  return {
    readable: stream.readable,
    write(chunk) {
      if (chunk.length >= GATHER_MAX_CHUNK) {
        flush();
        pass(chunk);
        return waiting;
      }
      if (bytes + chunk.length > GATHER_MAX_BATCH) flush();
      parts.push(chunk);
      bytes += chunk.length;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return waiting;
    },
    close() {
      flush();
      stream.close();
    },
  };
}

/** A byte stream over a process's stdout/stdin, for protocols that run on a session. */
export function processByteStream(stdout: SSHReader<Uint8Array>, stdin: SSHWriter<Uint8Array>, close: () => void): SftpByteStream {
  return {
    readable: (async function* () {
      for (;;) {
        const chunk = await stdout.read(65536);
        if (chunk.length === 0) return;
        yield chunk;
      }
    })(),
    write(chunk) {
      stdin.write(chunk);
      return stdin.drain();
    },
    close,
  };
}

export interface StartSftpClientOptions extends SFTPClientOptions {
  /** Environment for the session. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Opens the `sftp` subsystem and starts an SFTP client on it (AsyncSSH start_sftp_client). */
export async function startSftpClientOn(sessions: ClientSessions, options: StartSftpClientOptions = {}): Promise<SFTPClient> {
  const { env, ...sftpOptions } = options;
  const proc = await sessions.createProcess<Uint8Array>(undefined, { subsystem: 'sftp', encoding: null, ...(env ? { env } : {}) });
  const stream = gatherWrites(processByteStream(proc.stdout, proc.stdin, () => proc.close()));
  try {
    return await startNodeSftpClient(stream, sftpOptions);
  } catch (err) {
    proc.close();
    throw err;
  }
}

/** What a server serves besides its process factory. */
export interface FileServiceOptions {
  /** true: the local file system; a function: your SFTPServer per session. */
  readonly sftpFactory?: boolean | ((process: SSHServerProcess<string>) => SFTPServer);
  /** Answer `scp -t` / `scp -f` commands from the local file system (default false). */
  readonly allowScp?: boolean;
  /** Highest SFTP version offered (3 to 6; default 6). */
  readonly sftpVersion?: number;
}

/** True when a session request will be served by SFTP or SCP here. */
export function servesSubsystem(options: FileServiceOptions, name: string): boolean {
  return name === 'sftp' && options.sftpFactory !== undefined && options.sftpFactory !== false;
}

export function servesCommand(options: FileServiceOptions, command: string): boolean {
  return options.allowScp === true && /^scp(\s|$)/.test(command) && /\s-[a-zA-Z]*[tf]/.test(command);
}

/**
 * The factory sessions run: SFTP for the `sftp` subsystem, SCP for scp commands, the
 * application's process factory for everything else.
 */
export function fileServiceFactory(options: FileServiceOptions, processFactory: ProcessFactory<string> | undefined, session: () => ServerProcessSession<string>): ProcessFactory<string> {
  return async (process) => {
    const subsystem = process.subsystem;
    const command = process.command;
    if (subsystem !== undefined && servesSubsystem(options, subsystem)) {
      const stream = gatherWrites(session().rawByteStream());
      const server = typeof options.sftpFactory === 'function' ? options.sftpFactory(process) : new LocalSFTPServer();
      await runSftpServer(stream, server, options.sftpVersion !== undefined ? { maxVersion: options.sftpVersion } : {});
      process.exit(0);
      return;
    }
    if (command !== undefined && servesCommand(options, command)) {
      const stream = session().rawByteStream();
      try {
        await runScpServer(stream, nodeLocalFs, command);
        process.exit(0);
      } catch {
        process.exit(1);
      }
      return;
    }
    if (!processFactory) {
      process.stderr.write('this server runs no commands\n');
      process.exit(1);
      return;
    }
    await processFactory(process);
  };
}
