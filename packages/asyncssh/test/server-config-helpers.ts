/** Helpers of the server-config tests: numbered sshd_config files, and a password-only server. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SSHServer } from '../src/index.ts';

/**
 * A writer of `sshd_config.N` files (the lines given, one per line) into `dir()`: a getter, as
 * test files make their directory in beforeAll. Answers each file's path.
 */
export function sshdConfigWriter(dir: () => string): (...lines: string[]) => Promise<string> {
  let count = 0;
  return async (...lines) => {
    const path = join(dir(), `sshd_config.${++count}`);
    await writeFile(path, lines.join('\n') + '\n');
    return path;
  };
}

/** Passwords are the user name followed by "-pw"; no keyboard-interactive. */
export class Passwords extends SSHServer {
  override passwordAuthSupported(): boolean {
    return true;
  }
  override validatePassword(username: string, password: string): boolean {
    return password === `${username}-pw`;
  }
  override kbdintAuthSupported(): boolean {
    return false;
  }
}
