/**
 * JSch (Debian libjsch-java 0.1.55), an old Java SSH client of its own, as a client against our
 * server: `java/JschClient.java` is compiled by javac into a temporary directory once per test
 * process and run with the system's JSch jar.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { InteropStartError } from './errors.ts';
import { type RunResult, run } from './process.ts';
import { makeTempDir } from './tmp.ts';

export const JSCH_JAR = '/usr/share/java/jsch.jar';
export const JAVA = '/usr/bin/java';
export const JAVAC = '/usr/bin/javac';
const SOURCE = fileURLToPath(new URL('./java/JschClient.java', import.meta.url));

let compiled: Promise<string> | undefined;

/** The directory holding JschClient.class (compiled on first use; later calls share it). */
export function compileJschClient(): Promise<string> {
  compiled ??= (async () => {
    const dir = await makeTempDir('jsch-client');
    const r = await run(JAVAC, ['-nowarn', '-cp', JSCH_JAR, '-d', dir, SOURCE], { timeoutMs: 120_000, allowFailure: true });
    if (r.exitCode !== 0) throw new InteropStartError('javac could not compile JschClient.java', `${r.stdout}\n${r.stderr}`);
    return dir;
  })();
  return compiled;
}

export interface JschClientOptions {
  readonly host?: string;
  readonly port: number;
  readonly user: string;
  /** A known_hosts file listing the server (JSch runs with StrictHostKeyChecking=yes). */
  readonly knownHosts: string;
  /** `{ password }` or `{ keyPath }` (an unencrypted private key). */
  readonly auth: { readonly password: string } | { readonly keyPath: string };
  /** `exec CMD`, `pty CMD`, `sftp LOCAL REMOTE_DIR` or `forward DEST_PORT` (see JschClient.java). */
  readonly action: readonly string[];
  /** JSch session configuration (Session.setConfig), for example `{ kex: '...' }`. */
  readonly config?: Readonly<Record<string, string>>;
  readonly input?: string | Uint8Array;
  /** JSch's own log to stderr. */
  readonly log?: boolean;
  /** Default 60 s. */
  readonly timeoutMs?: number;
}

/** Runs JschClient once; the result carries its exit code (the command's, or 2 for an error). */
export async function runJschClient(options: JschClientOptions): Promise<RunResult> {
  const dir = await compileJschClient();
  const auth = 'password' in options.auth ? `password:${options.auth.password}` : `key:${options.auth.keyPath}`;
  const props = Object.entries(options.config ?? {}).map(([k, v]) => `-Djsch.${k}=${v}`);
  if (options.log === true) props.push('-Djsch.log=1');
  return run(
    JAVA,
    [...props, '-cp', `${JSCH_JAR}:${dir}`, 'JschClient', options.host ?? '127.0.0.1', String(options.port), options.user, options.knownHosts, auth, ...options.action],
    { timeoutMs: options.timeoutMs ?? 60_000, allowFailure: true, ...(options.input === undefined ? {} : { input: options.input }) },
  );
}
