/** The shape of a benchmark file and of the figures it reports. @module */

/** One figure of ours, with the same figure measured for a peer in the same run. */
export interface BenchResult {
  /** What was measured, e.g. "wire encode (message mix)". */
  readonly name: string;
  /** Unit of `ours` and `peer`, e.g. "msg/s" or "MB/s"; higher is better. */
  readonly unit: string;
  readonly ours: number;
  /** The peer this figure is compared with, e.g. "AsyncSSH 2.10.1". */
  readonly peerName: string;
  /** The peer's figure, or undefined when the peer could not run (the reason goes in `note`). */
  readonly peer: number | undefined;
  readonly note?: string;
}

export interface Benchmark {
  /** Short name used to select it on the command line. */
  readonly id: string;
  readonly description: string;
  run(): Promise<BenchResult[]>;
}
