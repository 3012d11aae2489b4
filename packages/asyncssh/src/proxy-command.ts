/**
 * connect()'s `proxyCommand` (AsyncSSH's proxy_command, ssh_config's ProxyCommand): SSH runs over
 * the standard input and output of a local command instead of a TCP connection. As AsyncSSH does,
 * a string is split with POSIX shell quoting and run without a shell, so a host name substituted
 * into it (%h) cannot start other commands; a list is run as given. Its standard error stays the
 * caller's, as with ssh and AsyncSSH.
 * @module
 */

import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { ConnectionLost } from '@ssh/transport';

/** The command's arguments, split as a POSIX shell splits words (no expansions, no operators). */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new SyntaxError(`proxy command: no closing quotation: ${text}`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw new SyntaxError(`proxy command: no closing quotation: ${text}`);
        const d = text[i] as string;
        if (d === '"') break;
        // Inside double quotes a backslash escapes only these (POSIX 2.2.3); before a newline
        // both go (a line continuation).
        if (d === '\\' && i + 1 < text.length && '\\"$`\n'.includes(text[i + 1] as string)) {
          const next = text[++i] as string;
          if (next !== '\n') word += next;
        } else word += d;
      }
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new SyntaxError(`proxy command: no escaped character: ${text}`);
      const next = text[++i] as string;
      if (next !== '\n') word += next; // a backslash-newline joins lines
    } else word += c;
  }
  if (inWord) words.push(word);
  return words;
}

/** A running proxy command as the byte stream SSH runs over. */
export interface ProxyStream {
  readonly stream: Duplex;
  readonly pid: number;
  /** Ends its input and stops it (SIGTERM) if it is still running. */
  close(): void;
}

/** Starts `command`; rejects with ConnectionLost when it cannot be run. */
export function openProxyCommand(command: string | readonly string[]): Promise<ProxyStream> {
  let argv: string[];
  try {
    argv = typeof command === 'string' ? splitCommandLine(command) : [...command];
  } catch (err) {
    return Promise.reject(new ConnectionLost((err as Error).message, undefined, { cause: err }));
  }
  const [file, ...args] = argv;
  if (file === undefined || file === '') return Promise.reject(new ConnectionLost('proxy command is empty'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    child.once('error', (err) => reject(new ConnectionLost(`cannot run proxy command ${file}: ${err.message}`, undefined, { cause: err })));
    child.once('spawn', () => {
      const { stdin, stdout } = child;
      if (!stdin || !stdout || child.pid === undefined) {
        reject(new ConnectionLost(`cannot run proxy command ${file}: no pipes`));
        return;
      }
      // A write after the command exited fails with EPIPE: the connection sees its end on stdout.
      stdin.on('error', () => undefined);
      const stream = Duplex.from({ readable: stdout, writable: stdin });
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        stdin.end();
        stdout.destroy();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      };
      // The command ending (or failing to connect) ends the stream, and with it the connection.
      stream.once('close', close);
      resolve({ stream, pid: child.pid, close });
    });
  });
}
