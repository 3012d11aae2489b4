import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InteropCommandError, InteropStartError, isProcessAlive, run, runningProcesses, startProcess, stopAll } from '../src/index.ts';

describe('run', () => {
  it('captures output and exit code, feeds stdin', async () => {
    const result = await run('/bin/sh', ['-c', 'cat; echo err >&2; exit 3'], { input: 'abc', allowFailure: true });
    expect(result).toMatchObject({ stdout: 'abc', stderr: 'err\n', exitCode: 3, signal: null, timedOut: false });
  });

  it('rejects with the output on failure unless allowed', async () => {
    const error = await run('/bin/sh', ['-c', 'echo visible >&2; exit 9']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteropCommandError);
    expect((error as Error).message).toMatch(/exited with code 9[\s\S]*visible/);
  });

  it('bounds every command by its timeout', async () => {
    const result = await run('/bin/sleep', ['30'], { timeoutMs: 200, allowFailure: true });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGTERM');
    await expect(run('/bin/sleep', ['30'], { timeoutMs: 200 })).rejects.toThrow(/timed out/);
  });

  it('does not pass our environment on', async () => {
    process.env['INTEROP_LEAK_CHECK'] = 'leaked';
    try {
      const result = await run('/usr/bin/env', [], { env: { EXTRA: 'yes' } });
      expect(result.stdout).not.toContain('INTEROP_LEAK_CHECK');
      expect(result.stdout).toContain('EXTRA=yes');
    } finally {
      delete process.env['INTEROP_LEAK_CHECK'];
    }
  });

  it('reports a command that cannot be executed', async () => {
    await expect(run('/nonexistent/tool', [])).rejects.toBeInstanceOf(InteropStartError);
  });
});

describe('startProcess', () => {
  it('stops the whole tree by PID, and stopAll() ends what is left', async () => {
    const proc = await startProcess('/bin/sh', ['-c', 'sleep 60 & echo child $!; wait']);
    const match = await proc.waitForOutput(/child (\d+)/);
    const grandchild = Number(match[1]);
    expect(isProcessAlive(grandchild)).toBe(true);
    expect(runningProcesses()).toContain(proc);
    await stopAll();
    expect(proc.running).toBe(false);
    for (const pid of [proc.pid, proc.watchdogPid, grandchild]) expect(isProcessAlive(pid), `pid ${pid}`).toBe(false);
    expect(runningProcesses()).not.toContain(proc);
  });

  it('starts a command that ends at once: the watchdog may exit before its PID line is read', async () => {
    // 'exit' of the watchdog and the lifeline's data are separate events in either order.
    const procs = await Promise.all(Array.from({ length: 100 }, () => startProcess('/bin/true', [])));
    for (const proc of procs) {
      expect(proc.pid).toBeGreaterThan(0);
      expect((await proc.stop()).code).toBe(0);
    }
  });

  it('fails waitForOutput with the log when the process ends first', async () => {
    const proc = await startProcess('/bin/sh', ['-c', 'echo something else; exit 1']);
    const error = await proc.waitForOutput('never printed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteropStartError);
    expect((error as InteropStartError).log).toContain('something else');
  });

  it.each(['kill', 'exit'] as const)('kills the peers when the test process ends (%s)', async (mode) => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const fixture = fileURLToPath(new URL('./fixtures/orphan.ts', import.meta.url));
    const parent = spawn(process.execPath, ['--import', tsx, fixture, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    const pids = await new Promise<number[]>((resolve, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const line = /^PIDS (.*)$/m.exec(text);
        if (line?.[1] !== undefined) resolve(JSON.parse(line[1]) as number[]);
      });
      parent.once('exit', (code) => reject(new Error(`fixture exited early (${String(code)}): ${text}`)));
    });
    expect(pids.length).toBe(6);
    if (mode === 'kill') {
      for (const pid of pids) expect(isProcessAlive(pid), `pid ${pid} before`).toBe(true);
      parent.kill('SIGKILL');
    }
    const deadline = Date.now() + 10_000;
    while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const pid of pids) expect(isProcessAlive(pid), `pid ${pid} after`).toBe(false);
  });
});
