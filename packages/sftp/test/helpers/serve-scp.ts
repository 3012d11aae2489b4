/**
 * Runs our SCP server on stdin/stdout for `scp -O -S <fake ssh>`: argv[2] is the root that paths
 * are confined to (lexically), argv[3] the remote command scp asked for.
 */
import { normalizePath, runScpServer } from '../../src/index.ts';
import { fromNodeStreams, nodeLocalFs } from '../../src/node/index.ts';

const [root, command] = process.argv.slice(2);
if (!root || !command) process.exit(2);
const mapPath = (p: string): string => {
  const virtual = normalizePath(`/${p}`);
  return virtual === '/' ? root : root + virtual;
};
try {
  await runScpServer(fromNodeStreams(process.stdin, process.stdout), nodeLocalFs, command, { mapPath });
  process.exit(0);
} catch {
  process.exit(1);
}
