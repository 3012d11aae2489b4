/**
 * One `process.on('exit')` hook for the whole harness: kill what is still running first, then
 * remove temporary files. Exit handlers must be synchronous.
 * @module
 */

type Phase = 'first' | 'last';

const handlers: { readonly first: Array<() => void>; readonly last: Array<() => void> } = { first: [], last: [] };
let installed = false;

/** Runs `handler` synchronously when the process exits; `first` handlers run before `last` ones. */
export function onProcessExit(handler: () => void, phase: Phase): void {
  handlers[phase].push(handler);
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const run of [...handlers.first, ...handlers.last]) {
      try {
        run();
      } catch {
        // Exit handlers are best effort; the watchdogs clean up whatever is left.
      }
    }
  });
}
