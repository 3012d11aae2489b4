/**
 * Serving the remote end of SCP: the `scp -t` / `scp -f` command an `scp -O` client asks the
 * server to run, answered by scpReceive/scpSend on the session's byte stream.
 * @module
 */

import { attrsType } from './attrs.ts';
import { FILEXFER_TYPE } from './constants.ts';
import { SFTPFailure } from './errors.ts';
import { type LocalFs } from './local-fs.ts';
import { ScpError } from './scp.ts';
import { type ScpOptions, scpReceive, scpSend } from './scp-transfer.ts';
import { type SftpByteStream } from './stream.ts';
import { localGlob } from './transfer.ts';

export interface ScpCommand {
  /** `sink` for `-t` (the client uploads), `source` for `-f` (the client downloads). */
  readonly mode: 'sink' | 'source';
  readonly recurse: boolean;
  readonly preserve: boolean;
  /** `-d`: the target must be a directory. */
  readonly targetIsDir: boolean;
  readonly paths: readonly string[];
}

/** Splits a command line as a POSIX shell would (quotes and backslashes; no expansions). */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new ScpError('unterminated quote in scp command');
      cur += command.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === '\\' && i + 1 < command.length && '"\\$`\n'.includes(command[i + 1] as string)) i++;
        cur += command[i];
      }
      if (i >= command.length) throw new ScpError('unterminated quote in scp command');
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < command.length) cur += command[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Parses `scp [-r] [-p] [-d] [-v] [-q] -t|-f [--] path...`; anything else is an ScpError. */
export function parseScpCommand(command: string): ScpCommand {
  const words = splitCommand(command);
  if (words[0] !== 'scp') throw new ScpError(`not an scp command: ${JSON.stringify(command.slice(0, 60))}`);
  let mode: 'sink' | 'source' | undefined;
  let recurse = false;
  let preserve = false;
  let targetIsDir = false;
  let i = 1;
  for (; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '--') {
      i++;
      break;
    }
    if (!w.startsWith('-') || w === '-') break;
    for (const flag of w.slice(1)) {
      switch (flag) {
        case 't':
          mode = 'sink';
          break;
        case 'f':
          mode = 'source';
          break;
        case 'r':
          recurse = true;
          break;
        case 'p':
          preserve = true;
          break;
        case 'd':
          targetIsDir = true;
          break;
        case 'v':
        case 'q':
        case 'T':
          break;
        default:
          throw new ScpError(`unsupported scp option -${flag}`);
      }
    }
  }
  const paths = words.slice(i);
  if (!mode) throw new ScpError('scp command has neither -t nor -f');
  if (paths.length === 0) throw new ScpError('scp command names no path');
  if (mode === 'sink' && paths.length !== 1) throw new ScpError('scp -t takes one target');
  return { mode, recurse, preserve, targetIsDir, paths };
}

/** Most paths the `-f` glob patterns of one command expand to (more than a shell's ARG_MAX holds). */
const SCP_MAX_GLOB_MATCHES = 100_000;

export interface ScpServerOptions extends ScpOptions {
  /** Maps a path from the command to a local path (confine it to a root here); identity by default. */
  readonly mapPath?: (path: string) => string;
}

/**
 * Runs the scp command `command` (as received in an exec request) on `stream`. Uploads are
 * checked name by name (scp.ts); downloads expand glob patterns locally as a shell would.
 */
export async function runScpServer(stream: SftpByteStream, local: LocalFs, command: string, options: ScpServerOptions = {}): Promise<void> {
  let cmd: ScpCommand;
  try {
    cmd = parseScpCommand(command);
  } catch (e) {
    return refuse(stream, e);
  }
  const map = options.mapPath ?? ((p: string) => p);
  const transfer: ScpOptions = {
    recurse: cmd.recurse,
    preserve: cmd.preserve,
    ...(options.blockSize !== undefined ? { blockSize: options.blockSize } : {}),
    ...(options.progressHandler ? { progressHandler: options.progressHandler } : {}),
  };
  if (cmd.mode === 'sink') {
    const target = map(cmd.paths[0] as string);
    // `-d` (the client sends several files): a target that is not a directory would take each
    // in turn, and keep only the last. Refused up front, as OpenSSH's scp does.
    if (cmd.targetIsDir) {
      const problem = await local.stat(target).then(
        (a) => (attrsType(a) === FILEXFER_TYPE.DIRECTORY ? undefined : 'Not a directory'),
        () => 'No such file or directory',
      );
      if (problem !== undefined) return refuse(stream, new ScpError(`${cmd.paths[0] as string}: ${problem}`));
    }
    await scpReceive(stream, local, target, transfer);
    return;
  }
  const paths: string[] = [];
  for (const p of cmd.paths) {
    const mapped = map(p);
    let matched = [mapped];
    try {
      // As the remote shell that expands them for OpenSSH's scp: hidden names only for a dot.
      if (/[*?[]/.test(mapped)) matched = await localGlob(local, [mapped], SCP_MAX_GLOB_MATCHES - paths.length, true);
    } catch (e) {
      // Too many matches. A pattern that matches nothing is reported like a missing file, as a
      // shell would leave it.
      if (e instanceof SFTPFailure) return refuse(stream, new ScpError(`${p}: more than ${SCP_MAX_GLOB_MATCHES} matches`));
    }
    // A loop, not push(...matched): arguments that many can overflow the stack (some 125,000 do).
    for (const m of matched) paths.push(m);
  }
  await scpSendWithErrors(stream, local, paths, transfer);
}

/** Reports `e` to the peer as a fatal error (`\2...`), ends the stream and throws `e`. */
async function refuse(stream: SftpByteStream, e: unknown): Promise<never> {
  const message = e instanceof Error ? e.message : String(e);
  await stream.write(new TextEncoder().encode(`\u0002${message}\n`));
  stream.close();
  throw e;
}

/** scpSend that reports a missing source to the sink (`\1...`) as scp does, instead of only failing. */
async function scpSendWithErrors(stream: SftpByteStream, local: LocalFs, paths: readonly string[], options: ScpOptions): Promise<void> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    if (await local.stat(p).then(() => true, () => false)) present.push(p);
    else missing.push(p);
  }
  if (missing.length > 0 && present.length === 0) {
    // Wait for the sink's go-ahead, then report and end.
    const it = stream.readable[Symbol.asyncIterator]();
    await it.next();
    for (const m of missing) await stream.write(new TextEncoder().encode(`\u0001scp: ${m}: No such file or directory\n`));
    stream.close();
    throw new ScpError(`${missing.join(', ')}: no such file`, false);
  }
  // An entry that cannot be sent (not a regular file, unreadable) is reported to the sink and the
  // rest goes on, as with scp; the session then fails, as scp exits 1.
  const skipped: string[] = [];
  await scpSend(stream, local, present, { ...options, errorHandler: (e) => skipped.push(e.message) });
  if (missing.length > 0) skipped.unshift(`${missing.join(', ')}: no such file`);
  if (skipped.length > 0) throw new ScpError(skipped.join('; '), false);
}
