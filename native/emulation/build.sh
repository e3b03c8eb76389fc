#!/usr/bin/env bash
# Builds the CUDA host emulation into OUT_DIR: libcuda.so.1, libcublas.so.13, libcusolver.so.12 (+ empty
# libcublasLt.so.13, libcudart.so.13, libcusolverMg.so.12 and libcusparse.so.12, which the JavaCPP presets'
# JNI libraries also link) and libdinoj_kernels_host.so.
# Put OUT_DIR first on LD_LIBRARY_PATH and the real JavaCPP presets load them instead of NVIDIA's.
# usage: build.sh OUT_DIR [CUDA_INCLUDE_DIR]   (the toolkit's include directory, with cuda.h; default: nvcc's)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
cuda_include=${2:-$(nvcc --dryrun -x cu -c /dev/null -o /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p' | head -1)/include}
if [ ! -f "$cuda_include/cuda.h" ]; then echo "build.sh: no cuda.h in $cuda_include" >&2; exit 1; fi
cxx=${CXX:-g++}
tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/gen"
flags=(-std=c++17 -O3 -march=native -g -fPIC -pthread -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas -DDINOJ_HOST_EMULATION)

# every extern "C" kernel, after macro expansion (attention's are instantiated by a macro)
"$cxx" "${flags[@]}" -DDINOJ_LIST_KERNELS -E -x c++ "$here/../src/dinoj_kernels.cu" \
    | tr -s '[:space:]' ' ' \
    | grep -oE 'DINOJ_GLOBAL_MARK +void +[A-Za-z_][A-Za-z0-9_]* *\(' \
    | sed -E 's/.*void +([A-Za-z_][A-Za-z0-9_]*).*/DINOJ_KERNEL(\1)/' > "$tmp/gen/kernel_names.inc"
count=$(wc -l < "$tmp/gen/kernel_names.inc")
if [ "$count" -eq 0 ]; then echo "build.sh: no kernels found in native/src" >&2; exit 1; fi

"$cxx" "${flags[@]}" -shared -I"$tmp/gen" -o "$tmp/libdinoj_kernels_host.so" "$here/kernels_host.cpp" "$here/scheduler.cpp"
"$cxx" "${flags[@]}" -shared -I"$cuda_include" -Wl,-soname,libcuda.so.1 -o "$tmp/libcuda.so.1" "$here/driver.cpp" -ldl
"$cxx" "${flags[@]}" -shared -Wl,-soname,libcublas.so.13 -Wl,--version-script="$here/cublas.map" -o "$tmp/libcublas.so.13" \
    "$here/cublas.cpp" "$tmp/libcuda.so.1" -Wl,-rpath,'$ORIGIN'
"$cxx" "${flags[@]}" -shared -Wl,-soname,libcusolver.so.12 -Wl,--version-script="$here/cusolver.map" -o "$tmp/libcusolver.so.12" \
    "$here/cusolver.cpp" "$tmp/libcuda.so.1" -Wl,-rpath,'$ORIGIN'
# libraries the JNI code links but never calls into; a version node of the library's name, as NVIDIA's have
echo 'extern "C" void dinoj_emu_stub() {}' > "$tmp/gen/stub.cpp"
for lib in libcublasLt.so.13 libcudart.so.13 libcusolverMg.so.12 libcusparse.so.12; do
    echo "$lib { global: dinoj_emu_stub; local: *; };" > "$tmp/gen/$lib.map"
    "$cxx" "${flags[@]}" -shared -Wl,-soname,"$lib" -Wl,--version-script="$tmp/gen/$lib.map" -o "$tmp/$lib" "$tmp/gen/stub.cpp"
done
# the emulation's self-test: its own driver copy beside kernels that break the rules on purpose
mkdir -p "$tmp/selftest"
cp "$tmp/libcuda.so.1" "$tmp/libcublas.so.13" "$tmp/selftest/"
"$cxx" "${flags[@]}" -shared -o "$tmp/selftest/libdinoj_kernels_host.so" "$here/selftest/kernels.cpp" "$here/scheduler.cpp"
"$cxx" "${flags[@]}" -I"$cuda_include" -o "$tmp/selftest/selftest" "$here/selftest/selftest.cpp" \
    "$tmp/selftest/libcuda.so.1" "$tmp/selftest/libcublas.so.13" -Wl,-rpath,'$ORIGIN'
"$tmp/selftest/selftest"
rm -rf "$out"
mv "$tmp" "$out"
echo "CUDA host emulation built in $out ($count kernels)"
