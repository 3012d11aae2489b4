/**
 * The process of a runner (runner.ts): `runner-child.ts <module path>`. Imports the module, says
 * it is ready, then calls its exports as the parent asks, one message per call, and exits when
 * the parent disconnects.
 * @module
 */

import { pathToFileURL } from 'node:url';

const [modulePath] = process.argv.slice(2);
if (modulePath === undefined || process.send === undefined) {
  process.stderr.write('usage: runner-child.ts <module path> (started by startRunner(), with an IPC channel)\n');
  process.exit(2);
}
const send = process.send.bind(process);
const tasks = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;

process.on('message', (message: { id: number; name: string; args: unknown[] }) => {
  const { id, name, args } = message;
  const task = tasks[name];
  const result = typeof task === 'function' ? Promise.resolve().then(() => (task as (...a: unknown[]) => unknown)(...args)) : Promise.reject(new Error(`no function ${name} in ${modulePath}`));
  result.then(
    (value) => send({ id, value }),
    (error: unknown) => send({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ ready: true });
