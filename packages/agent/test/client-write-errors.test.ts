/** A stream whose writes fail: the request fails with a typed error and nothing is left unhandled. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentClosedError, type AgentByteStream, SSHAgentClient } from '../src/index.ts';

/** A stream that never delivers a byte and whose write does what `write` says. */
function stream(write: AgentByteStream['write']): AgentByteStream {
  let wake: (() => void) | undefined;
  let closed = false;
  return {
    readable: {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Uint8Array>> => {
          while (!closed) await new Promise<void>((resolve) => (wake = resolve));
          return { done: true, value: undefined };
        },
      }),
    },
    write,
    close() {
      closed = true;
      wake?.();
    },
  };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('write failures', () => {
  it('a write that throws: AgentClosedError with the cause, later requests fail too, no unhandled rejection', async () => {
    const boom = new Error('boom');
    const client = new SSHAgentClient(
      stream(() => {
        throw boom;
      }),
    );
    const error = await client.getKeys().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentClosedError);
    expect((error as AgentClosedError).cause).toBe(boom);
    await expect(client.removeAll()).rejects.toBeInstanceOf(AgentClosedError);
    expect(client.closed).toBe(true);
    await client.waitClosed();
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('a write whose promise rejects: AgentClosedError with the cause, no unhandled rejection', async () => {
    const boom = new Error('boom');
    const client = new SSHAgentClient(stream(() => Promise.reject(boom)));
    const error = await client.getKeys().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentClosedError);
    expect((error as AgentClosedError).cause).toBe(boom);
    await expect(client.removeAll()).rejects.toBeInstanceOf(AgentClosedError);
    await client.waitClosed();
    await settle();
    expect(unhandled).toEqual([]);
  });
});
