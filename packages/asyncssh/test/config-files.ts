/** Test helper: numbered sshd_config files in a test file's temporary directory. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
