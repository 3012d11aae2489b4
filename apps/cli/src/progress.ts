/**
 * The transfer progress meter of ssh-sftp and ssh-scp, shown only on a terminal: one line per
 * file, redrawn in place (`name  42%  1.2MB  3.4MB/s  00:02 ETA`), finished with a newline.
 * @module
 */

import { printable } from './printable.ts';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1234567 → '1.2MB'. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value}${UNITS[0] as string}` : `${value.toFixed(1)}${UNITS[unit] as string}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A meter writing to `write` (a terminal), or a no-op when `enabled` is false. */
export function progressMeter(write: (text: string) => void, enabled: boolean, width = 80): (name: string, done: number, total: number) => void {
  if (!enabled) return () => undefined;
  let current: { name: string; start: number; lastDraw: number; finished: boolean } | undefined;
  return (name, done, total) => {
    const now = Date.now();
    if (current?.name !== name || current.finished) current = { name, start: now, lastDraw: 0, finished: false };
    const complete = done >= total;
    if (!complete && now - current.lastDraw < 200) return;
    current.lastDraw = now;
    const elapsed = Math.max((now - current.start) / 1000, 0.001);
    const rate = done / elapsed;
    const percent = total > 0 ? Math.floor((done * 100) / total) : 100;
    const tail = `${String(percent).padStart(3)}% ${formatBytes(done).padStart(8)} ${`${formatBytes(rate)}/s`.padStart(10)}   ${complete ? formatDuration(elapsed) : `${formatDuration((total - done) / rate)} ETA`}`;
    const room = Math.max(width - tail.length - 1, 10);
    // Names often come from the server: no control character of theirs reaches the terminal.
    const shown = printable(name);
    const label = shown.length > room ? `…${shown.slice(shown.length - room + 1)}` : shown.padEnd(room);
    write(`\r${label} ${tail}${complete ? '\n' : ''}`);
    if (complete) current.finished = true;
  };
}
