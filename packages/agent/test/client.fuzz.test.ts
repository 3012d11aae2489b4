/** The client fed arbitrary replies, split anywhere: every call settles, with a result or an AgentError. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentError, SSHAgentClient } from '../src/index.ts';
import { scriptedStream } from './helpers/memory-stream.ts';

const call = fc.constantFrom('getKeys', 'sign', 'removeAll', 'query', 'lock') ;

async function settle(p: Promise<unknown>): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('hang')), 1_000);
  });
  try {
    return await Promise.race([p.then(() => 'ok', (e: unknown) => e), hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe('client fuzz', () => {
  it('random reply bytes never hang and fail only with AgentError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 6 }),
        fc.boolean(),
        fc.array(call, { minLength: 1, maxLength: 3 }),
        async (chunks, endAfter, calls) => {
          let first = true;
          const stream = scriptedStream(() => {
            if (!first) return endAfter ? 'end' : [];
            first = false;
            return endAfter ? [...chunks] : chunks;
          });
          const client = new SSHAgentClient(stream, { maxReplyLength: 4096 });
          const results = calls.map(async (c) => {
            switch (c) {
              case 'getKeys':
                return client.getKeys();
              case 'sign':
                return client.signBlob(new Uint8Array(8), new Uint8Array(8));
              case 'removeAll':
                return client.removeAll();
              case 'query':
                return client.queryExtensions();
              case 'lock':
                return client.lock('x');
            }
          });
          // Close once everything the script will send has been read, so that calls waiting for
          // more bytes settle too.
          setTimeout(() => client.close(), 20);
          for (const r of results) {
            const outcome = await settle(r);
            expect(outcome === 'ok' || outcome instanceof AgentError).toBe(true);
          }
        },
      ),
      { numRuns: 150, interruptAfterTimeLimit: 4_000 },
    );
  });

  it('well-formed replies with valid framing split at random points are all delivered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(7), { minLength: 1, maxLength: 8 }), async (cuts) => {
        // IDENTITIES_ANSWER with no keys: 00 00 00 05 0c 00 00 00 00
        const reply = Uint8Array.of(0, 0, 0, 5, 12, 0, 0, 0, 0);
        const pieces: Uint8Array[] = [];
        let at = 0;
        for (const c of cuts) {
          const end = Math.min(reply.length, at + c);
          pieces.push(reply.subarray(at, end));
          at = end;
        }
        pieces.push(reply.subarray(at));
        const client = new SSHAgentClient(scriptedStream(() => pieces.map((p) => p.slice())));
        await expect(client.getKeys()).resolves.toEqual([]);
        client.close();
      }),
      { numRuns: 100 },
    );
  });
});
