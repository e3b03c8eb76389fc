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
# OpenBLAS picks its kernels from the CPUID family/model; on virtual CPUs that report none (model name
# "Intel(R) Xeon(R) Processor") it falls back to Prescott (SSE3) kernels at a fifth of their speed, and an
# OPENBLAS_CORETYPE left in the environment (one VM image sets Haswell globally: AVX2 kernels on an AVX-512 CPU,
# 0.55x of SkylakeX's there) handicaps it silently. So the core is always named from the flags, the peer at its
# best on this ISA; PEER_OPENBLAS_CORETYPE forces another.
inherited="${OPENBLAS_CORETYPE:-}"
if [ -n "${PEER_OPENBLAS_CORETYPE:-}" ]; then export OPENBLAS_CORETYPE="$PEER_OPENBLAS_CORETYPE"
elif grep -q -w avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
elif grep -q -w avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell
else unset OPENBLAS_CORETYPE; fi
if [ -n "$inherited" ] && [ "$inherited" != "${OPENBLAS_CORETYPE:-}" ]; then
  echo "note: the environment's OPENBLAS_CORETYPE=$inherited replaced by ${OPENBLAS_CORETYPE:-auto} (PEER_OPENBLAS_CORETYPE keeps another)"
fi
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}; $(OPENBLAS_VERBOSE=2 OPENBLAS_NUM_THREADS=1 "$py" -c 'import numpy' 2>&1 | grep -i core | head -1)"
OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" "$py" "$here/gemm_openblas.py"
OMP_NUM_THREADS="$threads" "$py" "$here/dino_step_torch.py" "$threads" "${2:-30}"
