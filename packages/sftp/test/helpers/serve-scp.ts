/**
 * Runs our SCP server on stdin/stdout for `scp -O -S <fake ssh>`: argv[2] is the root every path
 * is confined to (chrootLocalFs), argv[3] the remote command scp asked for.
 */
import { runScpServer } from '../../src/index.ts';
import { chrootLocalFs, fromNodeStreams } from '../../src/node/index.ts';

const [root, command] = process.argv.slice(2);
if (!root || !command) process.exit(2);
try {
  await runScpServer(fromNodeStreams(process.stdin, process.stdout), chrootLocalFs(root), command);
  process.exit(0);
} catch {
  process.exit(1);
}
