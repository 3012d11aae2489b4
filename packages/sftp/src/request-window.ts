/**
 * How many WRITEs an upload keeps in flight: a delay-based window, TCP Vegas's rule (Brakmo and
 * Peterson, 1995) applied to SFTP requests instead of TCP segments.
 *
 * Why not simply `maxRequests`: requests beyond what the path needs do not move data faster, they
 * wait in the server. OpenSSH's sshd buffers a session channel's data up to its 2 MiB window
 * while sftp-server writes it out, and grows that buffer by what each append needs, copying it
 * into fresh pages every time. An uploader that fills the window pays for that growth once per
 * connection: on a virtual machine, where page faults are slow, most of a second during which
 * almost nothing moves. Over loopback two or three 255 KiB requests in flight already keep
 * sftp-server busy.
 *
 * The window starts small and doubles every round (a window's worth of replies) while the
 * replies come back as fast as the fastest one seen, that is while nothing waits on the path;
 * then it keeps between ALPHA and BETA bytes waiting, so the server is never idle and never holds
 * much. A long link gets its bandwidth-delay product: the round trip stays the same for forty
 * requests as for four until the link is full. The window grows only in rounds where it limited
 * the sender, so a slow local disk cannot leave it wide open for a burst later (RFC 7661's rule).
 *
 * Waiting requests are not always wasted, though: a server that handles what has arrived in
 * batches (an event loop reading its socket, a thread pool writing several blocks at once) moves
 * more per second the more it has queued, and a delay-based rule reads its queue as congestion
 * and keeps it starved (our own server took 512 MiB uploads at 410-580 MiB/s with the 3 requests
 * Vegas left in flight, 500-790 with probing). So every few rounds the window probes: it grows by
 * half for a few rounds, keeps that size (as its new floor) when the replies came back at least
 * 15 % faster per second, and otherwise goes back and probes half as often. A probe that
 * slows the transfer down (sshd, whose channel buffer grows by copies as it fills) is cut short,
 * and after two of them the window stops probing: first uploads to sshd kept their rate within
 * the noise (357-494 MiB/s against 363-509 without probes, alternating on new connections).
 * @module
 */

/** Bytes in flight at the start, and never fewer (unless `maxRequests` allows fewer). */
const FLOOR_BYTES = 512 * 1024;
/** Bytes waiting on the path below which the window grows by one request per round. */
const ALPHA_BYTES = 256 * 1024;
/** Bytes waiting on the path above which the window shrinks by one request per round. */
const BETA_BYTES = 512 * 1024;
/** Rounds before the first probe, and between probes after one that paid off. */
const PROBE_EVERY_ROUNDS = 8;
/** The most rounds between probes (the interval doubles after each probe that gained nothing). */
const PROBE_EVERY_MAX_ROUNDS = 256;
/** A probe's window over the one before it (and one request more at least). */
const PROBE_GAIN = 1.5;
/** The delivery rate a probe must reach, over the rate before it, to keep its window. */
const PROBE_KEEP = 1.15;
/**
 * A probe's rate below this share of the rate before it: depth costs this server (sshd, whose
 * channel buffer grows afresh, copy by copy, each time it fills up from empty). Probing stops for
 * the rest of the transfer after PROBE_HARM_LIMIT of them (one can be a pause of either process).
 */
const PROBE_HARM = 0.7;
/** Replies enough to call a probe harmful: its slowdown is far larger than PROBE_KEEP's margin. */
const HARM_REPLIES = 8;
const PROBE_HARM_LIMIT = 2;
/**
 * Replies a rate is measured over (at least, and at least two rounds): fewer make a rate that
 * one pause of either process (a garbage collection) moves by more than PROBE_KEEP.
 */
const RATE_REPLIES = 32;

export class RequestWindow {
  private window: number;
  /** The least window: the starting one, raised by each probe that paid off. */
  private floor: number;
  private readonly block: number;
  private readonly max: number;
  private readonly alpha: number;
  private readonly beta: number;
  private growing = true;
  /** The fastest round trip seen: the path with nothing waiting on it. */
  private base = Infinity;
  private roundSum = 0;
  private roundCount = 0;
  private roundLimited = false;
  /** Probing: the window before the probe while one runs. */
  private probeFrom: number | undefined;
  /** Rounds since the last probe ended. */
  private probeRounds = 0;
  private probeEvery = PROBE_EVERY_ROUNDS;
  /** Probes that slowed the transfer down (see PROBE_HARM). */
  private harmful = 0;
  /** The delivery rate (bytes per ms) measured before the probe running. */
  private rateBefore = 0;
  /** The span a delivery rate is measured over: its start (ms) and the replies in it. */
  private rateSince: number | undefined;
  private rateReplies = 0;
  private rateRounds = 0;

  /** A window for requests of `blockSize` bytes, at most `maxRequests` of them. */
  constructor(blockSize: number, maxRequests: number) {
    const block = Math.max(1, blockSize);
    this.block = block;
    this.max = Math.max(1, Math.floor(maxRequests));
    this.floor = Math.min(this.max, Math.max(2, Math.round(FLOOR_BYTES / block)));
    this.alpha = Math.max(1, ALPHA_BYTES / block);
    this.beta = Math.max(this.alpha + 1, BETA_BYTES / block);
    this.window = this.floor;
  }

  /** Requests that may be in flight now. */
  get size(): number {
    return Math.floor(this.window);
  }

  /** The sender had a block ready and waited for the window. */
  limited(): void {
    this.roundLimited = true;
  }

  /** A reply came at `at` (ms, any clock that only moves forward), `rtt` ms after its request went out. */
  sample(rtt: number, at: number): void {
    if (!(rtt >= 0) || !Number.isFinite(at)) return;
    if (rtt < this.base) this.base = rtt;
    this.roundSum += rtt;
    this.rateReplies++;
    if (++this.roundCount < this.size) return;
    const limited = this.roundLimited;
    if (this.probeFrom !== undefined) this.probeRound(at, limited);
    else {
      const before = this.window;
      this.vegasRound();
      this.maybeProbe(at, limited && this.window === before);
    }
    this.roundSum = 0;
    this.roundCount = 0;
    this.roundLimited = false;
  }

  /** Vegas's rule at the end of a round. */
  private vegasRound(): void {
    // Requests waiting on the path: by Little's law, the window less what the path holds at the
    // base round trip. The round's mean rather than its minimum: replies come back in bursts,
    // and the fastest of a burst says little about the queue the others met.
    const mean = this.roundSum / this.roundCount;
    const waiting = mean > 0 ? this.window * (1 - this.base / mean) : 0;
    if (this.growing) {
      if (waiting >= this.alpha) {
        this.growing = false;
        this.window = Math.max(this.floor, Math.min(this.window, this.window - waiting + this.alpha));
      } else if (this.roundLimited) {
        this.window = Math.min(this.max, this.window * 2);
      }
    } else if (waiting > this.beta) {
      this.window = Math.max(this.floor, this.window - 1);
    } else if (waiting < this.alpha && this.roundLimited) {
      this.window = Math.min(this.max, this.window + 1);
    }
  }

  /**
   * Outside a probe, at the end of a round: starts one when it is due and the rate before it was
   * measured over enough rounds of this window, each limited by it (a sender held back by its own
   * disk says nothing about the server; a window still moving, as Vegas fills a long link, would
   * make any larger one look better).
   */
  private maybeProbe(at: number, steady: boolean): void {
    if (this.growing) return;
    this.probeRounds++;
    if (!steady || this.rateSince === undefined) {
      this.restartRate(at);
      return;
    }
    this.rateRounds++;
    if (this.probeRounds < this.probeEvery || this.rateRounds < 2 || this.rateReplies < RATE_REPLIES) return;
    const from = Math.floor(this.window);
    const to = Math.min(this.max, Math.max(from + 1, Math.ceil(from * PROBE_GAIN)));
    if (to <= from) return;
    this.rateBefore = (this.rateReplies * this.block) / Math.max(at - this.rateSince, 1e-3);
    this.probeFrom = this.window;
    this.window = to;
    this.probeRounds = 0;
    this.rateSince = undefined;
  }

  /**
   * A round of a probe. The first fills the path at the new size and is not measured; the rate is
   * then taken over at least two rounds and RATE_REPLIES replies.
   */
  private probeRound(at: number, limited: boolean): void {
    if (!limited) {
      // The sender ran dry (its disk, or the channel's window, is the limit): a larger window
      // cannot move more.
      this.endProbe('failed', at);
      return;
    }
    if (this.rateSince === undefined) {
      this.restartRate(at);
      return;
    }
    this.rateRounds++;
    const rate = (this.rateReplies * this.block) / Math.max(at - this.rateSince, 1e-3);
    // A harmful probe is cut short: each round of it is a stall.
    if (this.rateReplies >= HARM_REPLIES && rate < this.rateBefore * PROBE_HARM) this.endProbe('harmful', at);
    else if (this.rateRounds >= 2 && this.rateReplies >= RATE_REPLIES) this.endProbe(rate >= this.rateBefore * PROBE_KEEP ? 'kept' : 'failed', at);
  }

  private endProbe(outcome: 'kept' | 'failed' | 'harmful', at: number): void {
    const from = this.probeFrom as number;
    this.probeFrom = undefined;
    if (outcome === 'kept') {
      // A larger window that moves more: never go below it again, and look further soon.
      this.floor = Math.floor(this.window);
      this.probeEvery = PROBE_EVERY_ROUNDS;
    } else {
      this.window = from;
      const stop = outcome === 'harmful' && ++this.harmful >= PROBE_HARM_LIMIT;
      this.probeEvery = stop ? Infinity : Math.min(PROBE_EVERY_MAX_ROUNDS, this.probeEvery * 2);
    }
    this.probeRounds = 0;
    this.restartRate(at);
  }

  private restartRate(at: number): void {
    this.rateSince = at;
    this.rateReplies = 0;
    this.rateRounds = 0;
  }
}
