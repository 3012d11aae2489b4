/** An in-memory AgentByteStream whose peer answers each write from a script. */
import type { AgentByteStream } from '../../src/index.ts';

export function scriptedStream(answer: (written: Uint8Array) => readonly Uint8Array[] | 'end'): AgentByteStream & { readonly written: Uint8Array[] } {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const written: Uint8Array[] = [];
  return {
    written,
    readable: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = queue.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (ended) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
    },
    write(chunk) {
      written.push(chunk);
      const reply = answer(chunk);
      if (reply === 'end') ended = true;
      else queue.push(...reply);
      notify();
      return undefined;
    },
    close() {
      ended = true;
      notify();
    },
  };
}
