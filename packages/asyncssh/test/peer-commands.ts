/** Commands the foreign-client tests' process factories answer alike, whichever peer runs them. */
import type { SSHServerProcess } from '../src/index.ts';
import { writeStdinHash } from './stdin-hash.ts';

const encoder = new TextEncoder();

/**
 * Answers `sha256` (size and hash of stdin), `bytes N` (N bytes of 'b'), `exit N` (a line on
 * stderr, then status N), `env NAME...` (NAME=value lines) and `user` (the login name), and exits;
 * false for any other command, which is the caller's to answer.
 */
export async function answerPeerCommand(process: SSHServerProcess<Uint8Array>, command: string): Promise<boolean> {
  const say = (text: string): void => {
    process.stdout.write(encoder.encode(text));
  };
  if (command === 'sha256') {
    await writeStdinHash(process);
  } else if (command.startsWith('bytes ')) {
    const n = Number(command.slice(6));
    const block = new Uint8Array(65536).fill(0x62);
    for (let sent = 0; sent < n; sent += block.length) {
      process.stdout.write(block.subarray(0, Math.min(block.length, n - sent)));
      await process.stdout.drain();
    }
  } else if (command.startsWith('exit ')) {
    process.stderr.write(encoder.encode('leaving\n'));
    process.exit(Number(command.slice(5)));
    return true;
  } else if (command.startsWith('env ')) {
    const names = command.slice(4).split(' ');
    say(names.map((name) => `${name}=${String(process.env[name] ?? '<unset>')}`).join('\n') + '\n');
  } else if (command === 'user') {
    say(`${String(process.getExtraInfo('username'))}\n`);
  } else {
    return false;
  }
  process.exit(0);
  return true;
}
