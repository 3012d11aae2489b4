/** The SCP sink machine fed the same bytes cut at random places gives the same events (data merged). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ScpSinkEvent, ScpSinkMachine, encodeDirective } from '../src/index.ts';

type Norm = ScpSinkEvent | { type: 'data'; data: number[] };

function run(bytes: Uint8Array, cuts: readonly number[]): { events: Norm[]; output: number[] } {
  const m = new ScpSinkMachine({ recursive: true });
  m.start();
  const events: Norm[] = [];
  const output: number[] = [];
  const pump = (): void => {
    for (let e = m.nextEvent(); e; e = m.nextEvent()) {
      if (e.type === 'data') {
        const last = events.at(-1);
        if (last?.type === 'data') (last.data as number[]).push(...e.data);
        else events.push({ type: 'data', data: [...e.data] });
        continue;
      }
      events.push(e);
      if (e.type === 'directive' || e.type === 'file-end') m.accept();
    }
    for (const o of m.takeOutput() ?? []) output.push(...o);
  };
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = cuts.length > 0 ? (cuts[i++ % cuts.length] as number) : bytes.length;
    m.receive(bytes.subarray(at, at + n));
    pump();
    at += n;
  }
  m.receiveEnd();
  pump();
  return { events, output };
}

const file = fc.record({ name: fc.stringMatching(/^[a-z]{1,8}$/), data: fc.uint8Array({ maxLength: 64 }) });

describe('ScpSinkMachine under arbitrary chunking', () => {
  it('gives identical events and acknowledgements', () => {
    fc.assert(
      fc.property(fc.array(file, { maxLength: 4 }), fc.uint8Array({ maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 6 }), (files, garbage, cuts) => {
        const parts: Uint8Array[] = [encodeDirective({ kind: 'dir', mode: 0o755, name: 'top' })];
        for (const f of files) {
          parts.push(encodeDirective({ kind: 'times', mtime: 1, atime: 2 }), encodeDirective({ kind: 'file', mode: 0o644, size: f.data.length, name: f.name }), f.data, Uint8Array.of(0));
        }
        parts.push(encodeDirective({ kind: 'end-dir' }), garbage);
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          bytes.set(p, at);
          at += p.length;
        }
        const whole = run(bytes, []);
        expect(run(bytes, cuts)).toEqual(whole);
        expect(whole.events.filter((e) => e.type === 'file-end').length).toBe(files.length);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 3000 },
    );
  });
});
