/**
 * Retention checks for tests: whether an object is garbage once nothing of the test refers to it
 * (a queue that keeps consumed entries alive fails them). Works without node's --expose-gc flag.
 * @module
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | undefined;

/** A full collection. The flag set at run time gives `gc` to contexts created after it. */
function fullGc(): void {
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}

/**
 * Whether the target of `ref` was collected by a full collection. The check waits for the current
 * job to end first: a WeakRef keeps its target alive until then.
 */
export async function collectedAfterGc(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  return ref.deref() === undefined;
}
