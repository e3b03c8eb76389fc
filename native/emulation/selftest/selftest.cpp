// The emulation's own test, run by build.sh: each scenario runs in a child process (a fault is
// sticky, and one scenario must crash) against a stand-in libcuda whose kernels are kernels.cpp.
// Correct kernels must give the right results; every broken rule must be reported.
#include <cuda.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

struct cublasContext;
extern "C" {
int cublasCreate_v2(cublasContext** handle);
int cublasSgemmStridedBatched(cublasContext* handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                              long long strideA, const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc,
                              long long strideC, int batch);
}

namespace {

CUmodule module;

#define CHECK(call)                                                                  \
    do {                                                                             \
        CUresult r_ = (call);                                                        \
        if (r_ != CUDA_SUCCESS) {                                                    \
            fprintf(stderr, "selftest: %s returned %d (line %d)\n", #call, r_, __LINE__); \
            return 10;                                                               \
        }                                                                            \
    } while (0)

int open() {
    CHECK(cuInit(0));
    CUcontext ctx;
    CHECK(cuDevicePrimaryCtxRetain(&ctx, 0));
    CHECK(cuCtxSetCurrent(ctx));
    // a fatbin header (magic, version 1, header size 16, body size) and a body naming the kernels
    const char names[] = "st_block_sum\0st_atomic_count\0st_divergent\0st_full_shuffle\0st_exited_lane\0st_read_shared\0st_write_shared\0st_fill";
    std::vector<unsigned char> image(16 + sizeof names);
    unsigned int magic = 0xBA55ED50u;
    unsigned short version = 1, header = 16;
    unsigned long long body = sizeof names;
    memcpy(&image[0], &magic, 4);
    memcpy(&image[4], &version, 2);
    memcpy(&image[6], &header, 2);
    memcpy(&image[8], &body, 8);
    memcpy(&image[16], names, sizeof names);
    CHECK(cuModuleLoadData(&module, image.data()));
    return 0;
}

template <typename... A>
CUresult launch(const char* name, unsigned gx, unsigned gy, unsigned bx, unsigned shared, A... args) {
    CUfunction f;
    CUresult r = cuModuleGetFunction(&f, module, name);
    if (r != CUDA_SUCCESS) return r;
    void* params[] = {&args..., nullptr};
    return cuLaunchKernel(f, gx, gy, 1, bx, 1, 1, shared, nullptr, params, nullptr);
}

CUdeviceptr upload(const std::vector<float>& v) {
    CUdeviceptr p = 0;
    if (cuMemAlloc(&p, v.size() * 4) != CUDA_SUCCESS) return 0;
    cuMemcpyHtoDAsync(p, v.data(), v.size() * 4, nullptr);
    return p;
}

std::vector<float> download(CUdeviceptr p, size_t n) {
    std::vector<float> v(n);
    cuMemcpyDtoHAsync(v.data(), p, n * 4, nullptr);
    return v;
}

struct Scenario {
    const char* name;
    std::function<int()> body;  // 0: as expected
    const char* stderrHas;      // what the emulation must have said (or null)
    int signal = 0;             // the child must die of this signal instead
};

int expectSync(CUresult want) {
    CUresult r = cuStreamSynchronize(nullptr);
    if (r != want) {
        fprintf(stdout, "    synchronise returned %d, expected %d\n", r, want);
        return 1;
    }
    return 0;
}

std::vector<Scenario> scenarios() {
    std::vector<Scenario> s;
    s.push_back({"block_sum over 4 blocks of 256 threads", [] {
                     int n = 1000;
                     std::vector<float> x(4 * n);
                     for (size_t i = 0; i < x.size(); i++) x[i] = (float) (i % 7);
                     CUdeviceptr dx = upload(x), out;
                     CHECK(cuMemAlloc(&out, 16));
                     CHECK(launch("st_block_sum", 4, 1, 256, 0, dx, out, n));
                     CHECK(cuStreamSynchronize(nullptr));
                     std::vector<float> got = download(out, 4);
                     for (int b = 0; b < 4; b++) {
                         double want = 0;
                         for (int i = 0; i < n; i++) want += x[b * n + i];
                         if (got[b] != (float) want) return 1;
                     }
                     return 0;
                 }, nullptr});
    s.push_back({"atomics across blocks on several OS threads", [] {
                     CUdeviceptr c = upload({0.f});
                     CHECK(launch("st_atomic_count", 500, 1, 64, 0, c));
                     CHECK(cuStreamSynchronize(nullptr));
                     return download(c, 1)[0] == 32000.f ? 0 : 1;
                 }, nullptr});
    s.push_back({"divergent barrier and shuffle deadlock", [] {
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 128 * 4));
                     CHECK(launch("st_divergent", 1, 1, 64, 0, out));
                     return expectSync(CUDA_ERROR_LAUNCH_FAILED);
                 }, "deadlocked"});
    s.push_back({"full-warp shuffle in a 16-thread block", [] {
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 64));
                     CHECK(launch("st_full_shuffle", 1, 1, 16, 0, out));
                     return expectSync(CUDA_ERROR_LAUNCH_FAILED);
                 }, "do not exist"});
    s.push_back({"shuffle naming an exited lane", [] {
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 128));
                     CHECK(launch("st_exited_lane", 1, 1, 32, 0, out));
                     return expectSync(CUDA_ERROR_LAUNCH_FAILED);
                 }, "exited"});
    s.push_back({"dynamic shared memory starts as NaN", [] {
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 128));
                     CHECK(launch("st_read_shared", 1, 1, 32, 128, out));
                     CHECK(cuStreamSynchronize(nullptr));
                     for (float v : download(out, 32)) {
                         if (!std::isnan(v)) return 1;
                     }
                     return 0;
                 }, nullptr});
    s.push_back({"a write past the dynamic shared memory faults", [] {
                     CHECK(launch("st_write_shared", 1, 1, 32, 4096, 1024));
                     return 0;  // must not get here
                 }, nullptr, SIGSEGV});
    s.push_back({"a write past an allocation is reported", [] {
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 100 * 4));
                     CHECK(launch("st_fill", 1, 1, 128, 0, out, 101LL, 1.f));
                     if (expectSync(CUDA_ERROR_ILLEGAL_ADDRESS)) return 1;
                     CUdeviceptr more;
                     return cuMemAlloc(&more, 4) == CUDA_ERROR_ILLEGAL_ADDRESS ? 0 : 2;  // sticky
                 }, "out of bounds of a 400-byte allocation"});
    s.push_back({"a host pointer as a kernel argument is reported", [] {
                     std::vector<float> host(8);
                     CHECK(launch("st_fill", 1, 1, 32, 0, host.data(), 8LL, 1.f));
                     return expectSync(CUDA_ERROR_ILLEGAL_ADDRESS);
                 }, "not device memory"});
    s.push_back({"a NULL entry in kernelParams is refused", [] {
                     CUfunction f;
                     CHECK(cuModuleGetFunction(&f, module, "st_fill"));
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 16));
                     long long n = 4;
                     void* params[] = {&out, nullptr, &n};
                     return cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, nullptr, params, nullptr) == CUDA_ERROR_INVALID_VALUE ? 0 : 1;
                 }, "kernelParams[1] is NULL"});
    s.push_back({"launch limits: block, grid.y, shared memory without and with opt-in", [] {
                     CUdeviceptr out;
                     CHECK(cuMemAlloc(&out, 16));
                     if (launch("st_fill", 1, 1, 2048, 0, out, 4LL, 1.f) != CUDA_ERROR_INVALID_VALUE) return 1;
                     if (launch("st_fill", 1, 65536, 32, 0, out, 4LL, 1.f) != CUDA_ERROR_INVALID_VALUE) return 2;
                     if (launch("st_read_shared", 1, 1, 4, 64 * 1024, out) != CUDA_ERROR_INVALID_VALUE) return 3;
                     CUfunction f;
                     CHECK(cuModuleGetFunction(&f, module, "st_read_shared"));
                     CHECK(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 64 * 1024));
                     if (cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 300 * 1024) != CUDA_ERROR_INVALID_VALUE) return 4;
                     CHECK(launch("st_read_shared", 1, 1, 4, 64 * 1024, out));
                     if (cuModuleGetFunction(&f, module, "no_such_kernel") != CUDA_ERROR_NOT_FOUND) return 5;
                     return cuStreamSynchronize(nullptr) == CUDA_SUCCESS ? 0 : 6;
                 }, "at most 1024 threads"});
    s.push_back({"no current context", [] {
                     CHECK(cuCtxSetCurrent(nullptr));
                     CUdeviceptr p;
                     return cuMemAlloc(&p, 4) == CUDA_ERROR_INVALID_CONTEXT ? 0 : 1;
                 }, nullptr});
    s.push_back({"cuBLAS: beta 0 ignores C, bad leading dimension, NULL operand", [] {
                     cublasContext* h;
                     if (cublasCreate_v2(&h) != 0) return 1;
                     // column-major A 2x3, B 3x2; C 2x2 starts as NaN (fresh allocation)
                     CUdeviceptr a = upload({1, 2, 3, 4, 5, 6}), b = upload({1, 0, 1, 0, 1, 0}), c;
                     CHECK(cuMemAlloc(&c, 16));
                     float one = 1, zero = 0;
                     const float* A = (const float*) a;
                     const float* B = (const float*) b;
                     float* C = (float*) c;
                     if (cublasSgemmStridedBatched(h, 0, 0, 2, 2, 3, &one, A, 2, 0, B, 3, 0, &zero, C, 2, 0, 1) != 0) return 2;
                     std::vector<float> got = download(c, 4);  // C = A B: columns (1+5, 2+6) and (3, 4)
                     if (got[0] != 6 || got[1] != 8 || got[2] != 3 || got[3] != 4) return 3;
                     if (cublasSgemmStridedBatched(h, 0, 0, 2, 2, 3, &one, A, 1, 0, B, 3, 0, &zero, C, 2, 0, 1) != 7) return 4;
                     if (cublasSgemmStridedBatched(h, 0, 0, 2, 2, 3, &one, nullptr, 2, 0, B, 3, 0, &zero, C, 2, 0, 1) != 0) return 5;
                     return expectSync(CUDA_ERROR_ILLEGAL_ADDRESS);
                 }, "not device memory"});
    return s;
}

// Runs one scenario in a child process; its stderr is collected.
bool run(const Scenario& sc) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return false;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], 2);
        alarm(60);  // a scenario that hangs (a deadlock not detected) fails instead of stalling the build
        int r = open();
        if (r == 0) r = sc.body();
        fflush(stderr);
        _exit(r);
    }
    close(pipefd[1]);
    std::string err;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) err.append(buf, (size_t) n);
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    bool ok;
    if (sc.signal) ok = WIFSIGNALED(status) && WTERMSIG(status) == sc.signal;
    else ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && (!sc.stderrHas || err.find(sc.stderrHas) != std::string::npos);
    printf("  %s: %s\n", ok ? "ok  " : "FAIL", sc.name);
    if (!ok) {
        printf("    exit %s %d, stderr:\n%s\n", WIFSIGNALED(status) ? "signal" : "status",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), err.c_str());
    }
    return ok;
}

}  // namespace

int main() {
    setenv("DINOJ_EMU_THREADS", "4", 1);
    int failed = 0, total = 0;
    for (const Scenario& sc : scenarios()) {
        total++;
        if (!run(sc)) failed++;
    }
    printf("emulation self-test: %d of %d scenarios as expected\n", total - failed, total);
    return failed ? 1 : 0;
}
