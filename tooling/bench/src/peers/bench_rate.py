"""How the AsyncSSH peer scripts of the benchmarks time a body, as measure.ts times ours."""

import sys
import time

QUICK = '--quick' in sys.argv


def ops_per_second(body, ops_per_call=1, round_s=0.3, rounds=5):
    """Best of several rounds of a batch sized to fill a round (one tiny round with --quick)."""
    if QUICK:
        round_s, rounds = 0.001, 1
    batch = 1
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            body()
        elapsed = time.perf_counter() - start
        if elapsed >= round_s / 4:
            batch = max(1, round(batch * round_s / max(elapsed, 1e-6)))
            break
        batch *= 4
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(batch):
            body()
        best = max(best, batch * ops_per_call / (time.perf_counter() - start))
    return best
