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
 * @module
 */

/** Bytes in flight at the start, and never fewer (unless `maxRequests` allows fewer). */
const FLOOR_BYTES = 512 * 1024;
/** Bytes waiting on the path below which the window grows by one request per round. */
const ALPHA_BYTES = 256 * 1024;
/** Bytes waiting on the path above which the window shrinks by one request per round. */
const BETA_BYTES = 512 * 1024;

export class RequestWindow {
  private window: number;
  private readonly floor: number;
  private readonly max: number;
  private readonly alpha: number;
  private readonly beta: number;
  private growing = true;
  /** The fastest round trip seen: the path with nothing waiting on it. */
  private base = Infinity;
  private roundSum = 0;
  private roundCount = 0;
  private roundLimited = false;

  /** A window for requests of `blockSize` bytes, at most `maxRequests` of them. */
  constructor(blockSize: number, maxRequests: number) {
    const block = Math.max(1, blockSize);
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

  /** A reply came `rtt` ms after its request went out. */
  sample(rtt: number): void {
    if (!(rtt >= 0)) return;
    if (rtt < this.base) this.base = rtt;
    this.roundSum += rtt;
    if (++this.roundCount < this.size) return;
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
    this.roundSum = 0;
    this.roundCount = 0;
    this.roundLimited = false;
  }
}
