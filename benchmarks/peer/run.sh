#!/usr/bin/env bash
# Peer figures for benchmarks/RESULTS.md, measured on this machine next to the JMH benchmarks:
# OpenBLAS sgemm (numpy) at GemmBenchmark's shapes and the PyTorch DINO step of DinoStepBenchmark.
# Needs Debian's python3-numpy, python3-torch and libopenblas0-pthread (apt; not project dependencies).
# Usage: benchmarks/peer/run.sh [threads (2)] [seconds per DINO measurement (30)]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
threads="${1:-2}"
py=/usr/bin/python3
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores; flags: $(grep -o -w -E 'avx2|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16|avx512_fp16|fma' /proc/cpuinfo | sort -u | tr '\n' ' '))"
echo "blas: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" "$py" "$here/gemm_openblas.py"
OMP_NUM_THREADS="$threads" "$py" "$here/dino_step_torch.py" "$threads" "${2:-30}"
