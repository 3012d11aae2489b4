/** The SCP sink against a source that does not wait for acknowledgements. */
import { describe, expect, it } from 'vitest';
import { ScpAckReader, ScpSinkMachine } from '../src/index.ts';

describe('ScpSinkMachine with everything sent at once', () => {
  it('handles a chunk of many small directives in linear time', () => {
    // 100,000 directives in one chunk (900 KB, within what is kept before an acknowledgement):
    // each one waits for accept(), and the rest of the chunk used to be copied again each time.
    const n = 100_000;
    const m = new ScpSinkMachine({ recursive: true });
    m.start();
    const started = performance.now();
    m.receive(new TextEncoder().encode('T1 0 1 0\n'.repeat(n)));
    let directives = 0;
    for (let ev = m.nextEvent(); ev; ev = m.nextEvent()) {
      if (ev.type !== 'directive') throw new Error(`unexpected ${ev.type}`);
      directives++;
      m.accept();
    }
    expect(directives).toBe(n);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
  });

  it('keeps the bytes of a file sent with its directive, in order, across later chunks', () => {
    const m = new ScpSinkMachine();
    m.start();
    const enc = new TextEncoder();
    const chunk = enc.encode('C0644 6 a\nabc');
    m.receive(chunk);
    chunk.fill(0xee); // the caller's buffer is reused at once
    m.receive(enc.encode('def\0'));
    const data: string[] = [];
    for (let ev = m.nextEvent(); ev; ev = m.nextEvent()) {
      if (ev.type === 'directive' || ev.type === 'file-end') m.accept();
      else if (ev.type === 'data') data.push(new TextDecoder().decode(ev.data));
      else throw new Error(`unexpected ${ev.type}`);
    }
    expect(data.join('')).toBe('abcdef');
  });
});

/**
 * The bounds only tell linear from quadratic: quadratic queues took minutes for these floods
 * (534 s for the megabyte of acknowledgements), linear ones well under a second, and a machine
 * busy with other work may take several.
 */
const LINEAR_BOUND_MS = 20_000;

describe('floods of small messages in one chunk', () => {
  it('ScpAckReader takes a megabyte of acknowledgements in linear time', () => {
    const r = new ScpAckReader();
    const started = performance.now();
    r.receive(new Uint8Array(1 << 20));
    let acks = 0;
    while (r.next()) acks++;
    expect(acks).toBe(1 << 20);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
  });

  it('ScpSinkMachine takes a chunk of 300,000 warnings in linear time', () => {
    const m = new ScpSinkMachine();
    m.start();
    const started = performance.now();
    m.receive(new TextEncoder().encode('\u0001x\n'.repeat(300_000)));
    let warnings = 0;
    for (let ev = m.nextEvent(); ev; ev = m.nextEvent()) if (ev.type === 'peer-error') warnings++;
    expect(warnings).toBe(300_000);
    expect(performance.now() - started).toBeLessThan(LINEAR_BOUND_MS);
  });
});

describe('directories nested without end', () => {
  it('ScpSinkMachine refuses a directory below 2,048 others, so each record costs no more than that', () => {
    // Each record's path names every directory above it: unbounded nesting cost a copy of ever
    // longer paths per record, quadratic in the records (the local paths of a real file system
    // stop at PATH_MAX, those of an SFTPServer of the application's own need not).
    const m = new ScpSinkMachine({ recursive: true });
    m.start();
    m.receive(new TextEncoder().encode('D0755 0 d\n'.repeat(3000)));
    let dirs = 0;
    let error: Error | undefined;
    for (let ev = m.nextEvent(); ev; ev = m.nextEvent()) {
      if (ev.type === 'directive') {
        dirs++;
        m.accept();
      } else if (ev.type === 'error') error = ev.error;
      else throw new Error(`unexpected ${ev.type}`);
    }
    expect(dirs).toBe(2048);
    expect(error?.message).toMatch(/nested/);
    expect(m.closed).toBe(true);
  });
});
