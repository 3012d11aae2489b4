/**
 * startRunner(): a module's exports called in a process of its own, with results, errors and the
 * process's end reported to the caller.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startRunner } from '../src/peers/runner.ts';
import type * as tasks from './fixtures/runner-tasks.ts';

const module = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/runner-tasks.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startRunner', () => {
  it('calls exports in another process, with structured-clone arguments and results', async () => {
    const runner = await startRunner<typeof tasks>(module);
    try {
      const pid = await runner.call('pid');
      expect(pid).not.toBe(process.pid);
      expect(alive(pid)).toBe(true);
      expect(await runner.call('add', 2, 40)).toBe(42);
      const [sum, bytes] = await Promise.all([runner.call('add', 1, 1), runner.call('reversed', new Uint8Array([1, 2, 3]))]);
      expect(sum).toBe(2);
      expect(bytes).toEqual(new Uint8Array([3, 2, 1]));
      await runner.stop();
      expect(alive(pid)).toBe(false);
      await expect(runner.call('add', 1, 2)).rejects.toThrow(/runner for runner-tasks.ts exited/);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  it('rejects with the error a call threw, and for a name the module does not export', async () => {
    const runner = await startRunner<typeof tasks>(module);
    try {
      await expect(runner.call('fail', 'bad input')).rejects.toThrow(/RangeError: bad input/);
      await expect(runner.call('missing' as 'add', 1, 2)).rejects.toThrow(/no function missing in .*runner-tasks\.ts/);
      expect(await runner.call('add', 1, 2)).toBe(3);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  it('rejects the calls pending when its process ends', async () => {
    const runner = await startRunner<typeof tasks>(module);
    try {
      await expect(runner.call('crash', 3)).rejects.toThrow(/runner for runner-tasks.ts exited \(3\)/);
      await expect(runner.call('add', 1, 2)).rejects.toThrow(/exited \(3\)/);
    } finally {
      await runner.stop();
    }
  }, 60_000);

  it('rejects when the module cannot be loaded', async () => {
    await expect(startRunner(path.join(path.dirname(module), 'no-such-module.ts'))).rejects.toThrow(/runner for no-such-module.ts exited \(1\): .*ERR_MODULE_NOT_FOUND/s);
  }, 60_000);
});
