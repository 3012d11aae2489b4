/**
 * Fewer wake-ups while a bulk transfer streams in. A reader that keeps up with its peer is woken
 * for nearly every segment that arrives: a 1 GiB stream from sshd woke our client about 40,000
 * times, each a context switch here and a cross-CPU wake-up on the sender's side (costly in a
 * virtual machine). While reads come in large (the socket held 64 KiB or more when read), the
 * socket's SO_RCVLOWAT is raised to that read's size, up to 128 KiB, so that it wakes its reader
 * once per that many bytes instead; the
 * moment the stream pauses (no read for a timer tick) it drops back to 1 byte, so a short reply
 * after the transfer waits at most about a millisecond or two. On loopback this took a quarter
 * of the client's CPU per byte off and ~5 % more throughput (see tooling/bench).
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
}

const defaultDeps: ReadBatchingDeps = { setMark: setReceiveLowWater, platform: process.platform };

/** Batching for a TCP socket a transport reads, or undefined where it cannot apply. */
export function batchReads(socket: net.Socket, deps: ReadBatchingDeps = defaultDeps): ReadBatching | undefined {
  if (deps.platform !== 'linux') return undefined;
  let disabled = false;
  let raised = false;
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

  const lower = (): void => {
    raised = false;
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

  const tick = (): void => {
    if (readsThisTick === 0 || socket.destroyed) {
      lower();
      return;
    }
    readsThisTick = 0;
    timer = setTimeout(tick, PAUSE_MS);
    timer.unref();
  };

  socket.once('close', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  });

  return {
    read(bytes) {
      readsThisTick++;
      if (raised || disabled || bytes < BULK_READ) return;
      // No more than this read brought: a peer held back by a small channel window sends about
      // a window at a time, and a mark above that would make every window wait for the timer.
      if (!setMark(Math.min(LOW_WATER, bytes))) {
        disabled = true;
        return;
      }
      raised = true;
      readsThisTick = 0;
      timer = setTimeout(tick, PAUSE_MS);
      timer.unref();
    },
  };
}
