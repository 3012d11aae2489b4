/**
 * SFTP and SCP on SSH sessions: the client's startSftpClient() (the `sftp` subsystem), and the
 * server's sftpFactory / allowScp, which serve the `sftp` subsystem and `scp -t/-f` commands
 * from the local file system (or an SFTPServer of yours) next to the process factory.
 * @module
 */

import { type ProcessFactory, type SSHReader, type SSHServerChannel, type SSHServerProcess, type ServerProcessSession, type SSHWriter } from '@ssh/connection';
import type { SFTPClient, SFTPClientOptions, SFTPServer, SftpByteStream } from '@ssh/sftp';
import { SFTPConnectionLost, runScpServer, runSftpServer, sftpServerFs } from '@ssh/sftp';
import { LocalSFTPServer, gatherWrites, startSftpClient as startNodeSftpClient } from '@ssh/sftp/node';
import type { ClientSessions } from './client-sessions.ts';
import { SSHLogger } from './logging.ts';
import { seconds } from './options.ts';

/** AsyncSSH's 'asyncssh.sftp' logger: the SFTP and SCP records, whose level setSftpLogLevel sets. */
export const sftpLogger: SSHLogger = new SSHLogger('asyncssh.sftp');

// AsyncSSH's SFTPClient.logger and SFTPServer.channel / connection / env / logger. @ssh/sftp runs
// over any byte stream and knows no SSH session, so these are set here, where one serves it.
declare module '@ssh/sftp' {
  interface SFTPClient {
    /** The 'sftp' child of the connection's logger (set by startSftpClient). */
    readonly logger: SSHLogger;
  }
  interface SFTPServer {
    /** The session channel serving this SFTP server (undefined when it runs on no SSH session). */
    readonly channel: SSHServerChannel<Uint8Array> | undefined;
    /** The SSH connection (an SSHServerConnection) it runs on. */
    readonly connection: unknown;
    /** The environment the client sent for the session. */
    readonly env: Readonly<Record<string, string | Uint8Array>>;
    /** The 'sftp' child of the connection's logger. */
    readonly logger: SSHLogger;
  }
}

/** Sets read-only attributes on an object created elsewhere (not enumerable, as methods are not). */
function attach(target: object, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) Object.defineProperty(target, name, { value, configurable: true, enumerable: false, writable: false });
}

/** The 'sftp' child of a connection's logger, when it has one of ours. */
function childLogger(connection: unknown): SSHLogger {
  const logger = (connection as { logger?: unknown } | undefined)?.logger;
  return logger instanceof SSHLogger ? logger.getChild('sftp') : sftpLogger;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
  /**
   * Seconds (or an OpenSSH time string, '2m') for the server to open the `sftp` subsystem and
   * answer INIT with VERSION; past it the start fails with SFTPConnectionLost and the session is
   * closed. Default 120, as `loginTimeout`; 0 waits for as long as the connection lasts
   * (AsyncSSH and OpenSSH's sftp have no such limit).
   */
  readonly startTimeout?: number | string;
}

/** Opens the `sftp` subsystem and starts an SFTP client on it (AsyncSSH start_sftp_client). */
export async function startSftpClientOn(sessions: ClientSessions, options: StartSftpClientOptions = {}): Promise<SFTPClient> {
  const { env, startTimeout, signal, ...sftpOptions } = options;
  const timeout = seconds('startTimeout', startTimeout, 120);
  sftpLogger.info('Starting SFTP client');
  // One signal ends the start, whichever comes first: the caller's or the timeout's.
  const ac = new AbortController();
  const timer = timeout > 0 ? setTimeout(() => ac.abort(new Error(`the server did not start SFTP within ${timeout} s`)), timeout * 1000) : undefined;
  const onAbort = (): void => ac.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await startOn(sessions, env, { ...sftpOptions, signal: ac.signal });
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Rejects with SFTPConnectionLost when `signal` aborts, naming its reason. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new SFTPConnectionLost(`SFTP connection lost: ${reason(signal.reason)}`, '', { cause: signal.reason }));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

async function startOn(sessions: ClientSessions, env: StartSftpClientOptions['env'], sftpOptions: SFTPClientOptions & { readonly signal: AbortSignal }): Promise<SFTPClient> {
  const opening = sessions.createProcess<Uint8Array>(undefined, { subsystem: 'sftp', encoding: null, ...(env ? { env } : {}) });
  let proc: Awaited<typeof opening>;
  try {
    const stop = aborted(sftpOptions.signal);
    stop.catch(() => undefined); // it may abort later, when nothing waits on it any more
    proc = await Promise.race([opening, stop]);
  } catch (err) {
    // A session that opens after the start gave up is closed at once.
    opening.then((late) => late.close(), () => undefined);
    sftpLogger.info(`SFTP client failed to start: ${reason(err)}`);
    throw err;
  }
  // Transient chunks: the client copies each reply out of the received packet, whose buffer then
  // goes back to receive the next one (a download allocates no buffer per packet).
  const raw = proc.streamSession.rawByteStream({ transient: true });
  const stream = gatherWrites({ readable: raw.readable, transient: raw.transient, write: (chunk) => raw.write(chunk), close: () => proc.close(), closed: raw.outputClosed });
  try {
    const client = await startNodeSftpClient(stream, sftpOptions);
    attach(client, { logger: childLogger(proc.channel.getExtraInfo('connection')) });
    sftpLogger.debug1(`SFTP client started, version ${client.version}`);
    return client;
  } catch (err) {
    sftpLogger.info(`SFTP client failed to start: ${reason(err)}`);
    proc.close();
    throw err;
  }
}

/** What a server serves besides its process factory. */
export interface FileServiceOptions {
  /** true: the local file system; a function: your SFTPServer per session. */
  readonly sftpFactory?: boolean | ((process: SSHServerProcess<string>) => SFTPServer);
  /**
   * Answer `scp -t` / `scp -f` commands (default false): through the SFTPServer that
   * `sftpFactory` makes, when it is a function (its chroot and mapping apply to scp too), else
   * from the local file system.
   */
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
      // The channel's write buffer tells when a DATA reply written as it is has been sent (the
      // transport seals a packet's bytes as the channel hands them over), so its buffer may be reused.
      const s = session();
      // Transient: requests are copied out of each received packet, whose buffer then goes back.
      const stream = gatherWrites(s.rawByteStream({ transient: true }), { unsent: () => s.channel.getWriteBufferSize() });
      const server = typeof options.sftpFactory === 'function' ? options.sftpFactory(process) : new LocalSFTPServer();
      const connection = process.channel.getExtraInfo('connection');
      attach(server, { channel: process.channel, connection, env: process.channel.getEnvironment(), logger: childLogger(connection) });
      sftpLogger.info('Starting SFTP server');
      try {
        await runSftpServer(stream, server, options.sftpVersion !== undefined ? { maxVersion: options.sftpVersion } : {});
      } catch (err) {
        sftpLogger.info(`SFTP server exited: ${reason(err)}`);
        throw err;
      }
      sftpLogger.info('SFTP server exited');
      process.exit(0);
      return;
    }
    if (command !== undefined && servesCommand(options, command)) {
      const stream = session().rawByteStream();
      // SCP goes through an SFTPServer's hooks like SFTP does (AsyncSSH's allow_scp does the
      // same): the application's, whose chroot and path mapping then hold for scp as well, or the
      // default one, which opens files without blocking (a FIFO as the target of `scp -t` would
      // otherwise hold one of the threads every session's file operations share).
      const server = typeof options.sftpFactory === 'function' ? options.sftpFactory(process) : new LocalSFTPServer();
      const connection = process.channel.getExtraInfo('connection');
      attach(server, { channel: process.channel, connection, env: process.channel.getEnvironment(), logger: childLogger(connection) });
      sftpLogger.info(`Starting SCP server: ${command}`);
      try {
        await runScpServer(stream, sftpServerFs(server), command);
        sftpLogger.info('SCP server exited');
        process.exit(0);
      } catch (err) {
        sftpLogger.info(`SCP server exited: ${reason(err)}`);
        process.exit(1);
      } finally {
        await Promise.resolve(server.exit()).catch(() => undefined);
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
