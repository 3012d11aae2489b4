/**
 * Fake file systems for the tests of walks that read directories a batch at a time: a LocalFs
 * (and the same names for an SFTPServer's scandir) whose listings produce names only as they are
 * asked for, and a Lag that counts how far the listings ran ahead of the files opened, how many
 * files were open at once and how many listings.
 */
import { type LocalFs, type SFTPAttrs, type SFTPName } from '../../src/index.ts';

export const DIR: SFTPAttrs = { permissions: 0o40755 };
export const FILE: SFTPAttrs = { permissions: 0o100644, size: 0 };

/**
 * How far listings ran ahead of the walk: names produced, files opened, the largest gap seen;
 * files open at once (and the most), and how often few were; listings open at once (and the
 * most), listings closed.
 */
export class Lag {
  produced = 0;
  opened = 0;
  most = 0;
  active = 0;
  mostActive = 0;
  listings = 0;
  mostListings = 0;
  closed = 0;
  /** Files opened while fewer than `thinBelow` were open (counting itself): the walk starving the transfers. */
  thin = 0;
  thinBelow = 0;
  open(): void {
    this.opened++;
    this.most = Math.max(this.most, this.produced - this.opened);
    this.mostActive = Math.max(this.mostActive, ++this.active);
    if (this.active < this.thinBelow) this.thin++;
  }
  close(): void {
    this.active--;
  }
  listing(): void {
    this.mostListings = Math.max(this.mostListings, ++this.listings);
  }
  unlisting(): void {
    this.listings--;
    this.closed++;
  }
}

/** Names of a `/big` tree: `files` files `f<i>`, then (in `/big` itself) `dirs` directories `d<i>`. */
export function* bigNames(lag: Lag, files: number, dirs = 0, top = true): Generator<string> {
  for (let i = 0; i < files; i++) {
    lag.produced++;
    yield `f${i}`;
  }
  if (!top) return;
  for (let i = 0; i < dirs; i++) yield `d${i}`;
}

/** An SFTPServer's scandir of `p` in the `/big` tree, counted in `lag` as a listing while it is open. */
export function bigListing(lag: Lag, files: number, dirs: number, p: string): AsyncIterable<SFTPName> {
  return (async function* () {
    lag.listing();
    try {
      for (const filename of bigNames(lag, files, dirs, p === '/big')) yield { filename, longname: '', attrs: filename.startsWith('d') ? DIR : FILE };
    } finally {
      lag.unlisting();
    }
  })();
}

/** Whether a path of a bigFs tree is a directory. */
export const bigIsDir = (p: string): boolean => p === '/big' || /^\/big\/d\d+$/.test(p);

/** The LocalFs members the fakes here share: no listings, no-op changes, '/'-joined paths. */
export const noopFs = {
  readdir: async (): Promise<string[]> => [],
  mkdir: async (): Promise<void> => undefined,
  setstat: async (): Promise<void> => undefined,
  readlink: async (): Promise<string> => '',
  symlink: async (): Promise<void> => undefined,
  join: (...parts: string[]): string => parts.join('/'),
  basename: (p: string): string => p.slice(p.lastIndexOf('/') + 1),
} satisfies Partial<LocalFs>;

/** A file that reads as empty and takes any write. */
export const emptyFile = { read: async () => new Uint8Array(0), write: async () => undefined, close: async () => undefined };

export interface BigFsOptions {
  /** Directories in `/big`, each of `files` files (default 0). */
  readonly dirs?: number;
  /** Give the LocalFs a scandir (default true); without it, only readdir, which lists at once. */
  readonly scandir?: boolean;
  /** Milliseconds each file takes to open, so that files overlap as on a slow disk (default 0). */
  readonly openDelay?: number;
}

/**
 * A LocalFs holding `/big`: `files` empty files and `dirs` directories of `files` empty files
 * each. scandir yields names as they are asked for, a batch of 32 per turn of the event loop (as
 * node's opendir reads them); readdir lists them all at once.
 */
export function bigFs(lag: Lag, files: number, options: BigFsOptions = {}): LocalFs {
  const { dirs = 0, openDelay = 0 } = options;
  const fs: LocalFs = {
    stat: async (p) => (bigIsDir(p) ? DIR : FILE),
    lstat: async (p) => (bigIsDir(p) ? DIR : FILE),
    async open() {
      lag.open();
      if (openDelay > 0) await new Promise<void>((resolve) => setTimeout(resolve, openDelay));
      return { ...emptyFile, close: async () => lag.close() };
    },
    ...noopFs,
    readdir: async (p) => [...bigNames(lag, files, dirs, p === '/big')],
  };
  if (options.scandir !== false) {
    fs.scandir = async function* (p) {
      lag.listing();
      try {
        for (const n of bigNames(lag, files, dirs, p === '/big')) {
          if (lag.produced % 32 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          yield n;
        }
      } finally {
        lag.unlisting();
      }
    };
  }
  return fs;
}
