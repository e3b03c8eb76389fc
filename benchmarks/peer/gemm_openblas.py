"""OpenBLAS sgemm through Debian's python3-numpy, at the shapes of GemmBenchmark, in GFLOP/s.

Not a project dependency: a peer figure measured in the same session as the JMH benchmarks
(benchmarks/peer/run.sh). Each shape: warm-up, then the best and the median of repeated timed
batches of products, 2 * m * n * k flops per product.
"""
import os
import statistics
import sys
import time

import numpy as np

# "MxKxN" as GemmBenchmark names them: A is M x K, B is K x N
SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (4096, 192, 576), (4096, 768, 192), (32768, 27, 24), (8192, 216, 48)]


def rate(m, k, n, seconds=2.0):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = a @ b
    reps = 1
    while True:  # size a batch to about 0.2 s
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        if time.perf_counter() - t > 0.2:
            break
        reps *= 2
    rates = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(rates) < 5:
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        rates.append(2.0 * m * n * k * reps / (time.perf_counter() - t) / 1e9)
    return max(rates), statistics.median(rates)


def main():
    print("numpy", np.__version__, "threads", os.environ.get("OPENBLAS_NUM_THREADS", "default"))
    np.show_config() if "--config" in sys.argv else None
    for m, k, n in SHAPES:
        best, median = rate(m, k, n)
        print(f"openblas sgemm {m}x{k}x{n}: best {best:.1f} GFLOP/s, median {median:.1f}")


if __name__ == "__main__":
    main()
