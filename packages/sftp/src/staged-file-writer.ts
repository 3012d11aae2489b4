/**
 * Sequential writes to a local file gathered into fewer, larger ones: a peer's data arrives in
 * whatever pieces it sent (PuTTY's pscp sends 4 KiB per packet, OpenSSH's scp 32 KiB), and one
 * file write per piece costs a system call and a thread-pool round trip each.
 * @module
 */

import type { LocalFile } from './local-fs.ts';

/** What the writer gathers before writing. */
export const STAGED_WRITE_BYTES = 256 * 1024;

export class StagedFileWriter {
  private readonly file: LocalFile;
  private readonly capacity: number;
  private stage: Uint8Array | undefined;
  private filled = 0;
  private position: number;

  /** Writes go to `file` from `start`, gathered `capacity` bytes at a time. */
  constructor(file: LocalFile, start = 0, capacity = STAGED_WRITE_BYTES) {
    this.file = file;
    this.position = start;
    this.capacity = capacity;
  }

  /**
   * Takes `data` to write after everything before it. It is copied (or written) before the
   * returned promise settles, so the caller may reuse its memory then.
   */
  async write(data: Uint8Array): Promise<void> {
    if (this.filled === 0 && data.length >= this.capacity) {
      await this.writeOut(data);
      return;
    }
    let at = 0;
    while (at < data.length) {
      const stage = (this.stage ??= new Uint8Array(this.capacity));
      const n = Math.min(data.length - at, this.capacity - this.filled);
      stage.set(data.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.capacity) await this.flush();
    }
  }

  /** Writes what is gathered. */
  async flush(): Promise<void> {
    if (this.filled === 0 || this.stage === undefined) return;
    const n = this.filled;
    this.filled = 0;
    await this.writeOut(this.stage.subarray(0, n));
  }

  private async writeOut(data: Uint8Array): Promise<void> {
    const at = this.position;
    this.position += data.length;
    await this.file.write(data, at);
  }
}
