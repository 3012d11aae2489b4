/**
 * Fewer wake-ups while a bulk transfer streams in. A reader that keeps up with its peer is woken
 * for nearly every segment that arrives: a 1 GiB stream from sshd woke our client about 40,000
 * times, each a context switch here and a cross-CPU wake-up on the sender's side (costly in a
 * virtual machine). While reads come in large (the socket held 64 KiB or more when read), the
 * socket's SO_RCVLOWAT is raised to that read's size, up to 128 KiB, so that it wakes its reader
 * once per that many bytes instead. The moment the stream pauses (no read for a timer tick) it
 * drops back to 1 byte, so a short reply after the transfer waits a millisecond or two at most,
 * and a peer whose bursts stay below the mark (a small channel window) caps it (see `cap`). On
 * loopback this took about a fifth of the client's CPU per byte off (see tooling/bench).
 *
 * Linux only: there, lowering the mark makes epoll report bytes already waiting (the socket is
 * also re-armed, for kernels that did not). Elsewhere, or without @ssh/crypto-native's binding,
 * nothing changes.
 * @module
 */

import type net from 'node:net';
import { setReceiveLowWater } from '@ssh/crypto-native';

/** A read this large means the data came in faster than we read it: a bulk transfer. */
export const BULK_READ = 64 * 1024;
/** What the socket gathers before it wakes its reader while a transfer streams in. */
export const LOW_WATER = 128 * 1024;
/** How long a stream may pause before the mark drops back (node's timers do 1 ms at best). */
export const PAUSE_MS = 1;

/** The parts of node's stream handle used here (a net.Socket's `_handle`). */
interface StreamHandle {
  readonly fd?: number;
  reading?: boolean;
  readStop?(): number;
  readStart?(): number;
}

export interface ReadBatching {
  /** Call for every read of the socket, with its size. */
  read(bytes: number): void;
}

/** What batchReads() works through; tests give their own. */
export interface ReadBatchingDeps {
  readonly setMark: (fd: number, bytes: number) => boolean;
  readonly platform: NodeJS.Platform;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
}

const defaultDeps: ReadBatchingDeps = { setMark: setReceiveLowWater, platform: process.platform, now: () => performance.now() };

/** A mark below this is not worth its system calls. */
export const MIN_MARK = 16 * 1024;
/**
 * A raised mark the stream outlived this long was no obstacle: the bursts it waited for came. One
 * that stalls sooner is taken for one the peer cannot fill (see `cap`).
 */
export const SETTLED_MS = 50;
/** A read this soon after the mark came down found bytes that had waited below it. */
const STALL_READ_MS = 5;

/** Batching for a TCP socket a transport reads, or undefined where it cannot apply. */
export function batchReads(socket: net.Socket, deps: ReadBatchingDeps = defaultDeps): ReadBatching | undefined {
  if (deps.platform !== 'linux') return undefined;
  let disabled = false;
  /** The mark in force (0: lowered). */
  let mark = 0;
  /**
   * The highest mark to raise. A peer held to a small channel window sends a burst, then waits
   * for our adjustment: a mark above its bursts leaves each one waiting for the timer. When a
   * mark stalls soon after it went up and the read that follows its lowering is smaller, that
   * read is the size of the peer's bursts, and the cap comes down to it. It doubles again (up to
   * LOW_WATER) each SETTLED_MS after that, as the end of a short transfer looks the same.
   */
  let cap = LOW_WATER;
  let capSetAt = 0;
  let raisedAt = 0;
  /**
   * Set when a mark stalled soon after it went up: a read right after (of the bytes that waited
   * below it) tells how far to lower the cap.
   */
  let stalledMark = 0;
  let loweredAt = 0;
  let readsThisTick = 0;
  let timer: NodeJS.Timeout | undefined;

  const handle = (): StreamHandle | undefined => (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
  const setMark = (bytes: number): boolean => {
    const fd = handle()?.fd;
    if (fd === undefined || fd < 0 || socket.destroyed) return false;
    try {
      return deps.setMark(fd, bytes);
    } catch {
      return false;
    }
  };

  const arm = (): void => {
    readsThisTick = 0;
    timer = setTimeout(tick, PAUSE_MS);
    timer.unref();
  };

  const lower = (): void => {
    loweredAt = deps.now();
    stalledMark = loweredAt - raisedAt < SETTLED_MS ? mark : 0;
    mark = 0;
    timer = undefined;
    if (socket.destroyed) return;
    if (!setMark(1)) disabled = true;
    // Re-arm the descriptor in epoll, which polls it anew: bytes already waiting below the old
    // mark are then reported even by a kernel whose setsockopt does not signal them.
    const h = handle();
    if (h?.reading === true && h.readStop !== undefined && h.readStart !== undefined) {
      h.readStop();
      h.readStart();
    }
  };

  function tick(): void {
    if (readsThisTick === 0 || socket.destroyed) lower();
    else arm();
  }

  socket.once('close', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  });

  return {
    read(bytes) {
      readsThisTick++;
      if (stalledMark > 0) {
        const now = deps.now();
        if (bytes < stalledMark && now - loweredAt < STALL_READ_MS) {
          cap = Math.max(bytes, MIN_MARK / 2);
          capSetAt = now;
        }
        stalledMark = 0;
      }
      if (mark > 0 || disabled || bytes < BULK_READ) return;
      const now = deps.now();
      for (; cap < LOW_WATER && now - capSetAt >= SETTLED_MS; capSetAt += SETTLED_MS) cap = Math.min(LOW_WATER, cap * 2);
      // No more than this read brought either: the peer sent that much before we read.
      const next = Math.min(cap, bytes);
      if (next < MIN_MARK) return;
      if (!setMark(next)) {
        disabled = true;
        return;
      }
      mark = next;
      raisedAt = now;
      arm();
    },
  };
}
