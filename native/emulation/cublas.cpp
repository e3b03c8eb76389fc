// A stand-in libcublas.so.13: the calls dinoj's CUDA backend makes (handle, stream, math mode, SGEMM
// strided-batched), column-major as cuBLAS is, with cuBLAS's argument checks (status 7, INVALID_VALUE,
// for negative sizes, leading dimensions below the rows stored, unknown operations) and its rule that
// C is not read when beta is 0. Operands must be device memory of the stand-in driver: anything else
// is a fault, reported at the next synchronisation as on a GPU.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <vector>

struct CUstream_st;
struct cublasContext {
    CUstream_st* stream = nullptr;
    int mathMode = 0;
};

extern "C" {
int dinoj_emu_is_device_memory(uintptr_t p, size_t bytes);  // from the stand-in libcuda
void dinoj_emu_fault(const char* why);
}

namespace {
enum Status { SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7 };
enum Op { OP_N = 0, OP_T = 1, OP_C = 2 };

// Whether the column-major matrices rows x cols (leading dimension ld) at p + b * stride, b < batch,
// lie in device memory.
bool inDevice(const float* p, int rows, int cols, int ld, long long stride, int batch) {
    if (rows == 0 || cols == 0 || batch == 0) return true;
    long long span = (long long) (cols - 1) * ld + rows;
    long long first = std::min(0LL, stride * (batch - 1)), last = std::max(0LL, stride * (batch - 1));
    uintptr_t lo = reinterpret_cast<uintptr_t>(p + first);
    return p != nullptr && dinoj_emu_is_device_memory(lo, (size_t) (last - first + span) * sizeof(float));
}
}  // namespace

extern "C" {

int cublasCreate_v2(cublasContext** handle) {
    if (!handle) return INVALID_VALUE;
    *handle = new cublasContext();
    return SUCCESS;
}

int cublasDestroy_v2(cublasContext* handle) {
    if (!handle) return NOT_INITIALIZED;
    delete handle;
    return SUCCESS;
}

int cublasSetStream_v2(cublasContext* handle, CUstream_st* stream) {
    if (!handle) return NOT_INITIALIZED;
    handle->stream = stream;
    return SUCCESS;
}

int cublasSetMathMode(cublasContext* handle, int mode) {
    if (!handle) return NOT_INITIALIZED;
    int base = mode & ~16;  // 16: CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION
    if (base < 0 || base > 3) return INVALID_VALUE;
    handle->mathMode = mode;
    return SUCCESS;
}

int cublasSgemmStridedBatched(cublasContext* handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                              long long strideA, const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc,
                              long long strideC, int batch) {
    if (!handle) return NOT_INITIALIZED;
    if (transa < OP_N || transa > OP_C || transb < OP_N || transb > OP_C) return INVALID_VALUE;
    if (m < 0 || n < 0 || k < 0 || batch < 0) return INVALID_VALUE;
    bool ta = transa != OP_N, tb = transb != OP_N;
    int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
    if (lda < std::max(1, aRows) || ldb < std::max(1, bRows) || ldc < std::max(1, m)) return INVALID_VALUE;
    if (!alpha || !beta) return INVALID_VALUE;
    if (m == 0 || n == 0 || batch == 0) return SUCCESS;
    float a = *alpha, b = *beta;
    bool readsAB = k > 0 && a != 0.f;
    if ((readsAB && (!inDevice(A, aRows, aCols, lda, strideA, batch) || !inDevice(B, bRows, bCols, ldb, strideB, batch)))
        || !inDevice(C, m, n, ldc, strideC, batch)) {
        char why[256];
        snprintf(why, sizeof why, "cublasSgemmStridedBatched(m %d, n %d, k %d, batch %d): A, B or C is not device memory (A %p, B %p, C %p)", m,
                 n, k, batch, (const void*) A, (const void*) B, (void*) C);
        dinoj_emu_fault(why);
        return SUCCESS;  // as on a GPU, the GEMM kernel's fault surfaces later
    }
    std::vector<float> acc((size_t) m), bcol((size_t) k);
    for (int t = 0; t < batch; t++) {
        const float* At = A + t * strideA;
        const float* Bt = B + t * strideB;
        float* Ct = C + t * strideC;
        for (int j = 0; j < n; j++) {
            std::fill(acc.begin(), acc.end(), 0.f);
            if (readsAB) {
                for (int p = 0; p < k; p++) bcol[p] = tb ? Bt[j + (long long) p * ldb] : Bt[p + (long long) j * ldb];
                if (!ta) {
                    for (int p = 0; p < k; p++) {
                        const float* col = At + (long long) p * lda;
                        float bv = bcol[p];
                        for (int i = 0; i < m; i++) acc[i] += col[i] * bv;
                    }
                } else {
                    for (int i = 0; i < m; i++) {
                        const float* row = At + (long long) i * lda;
                        float s = 0.f;
                        for (int p = 0; p < k; p++) s += row[p] * bcol[p];
                        acc[i] = s;
                    }
                }
            }
            float* c = Ct + (long long) j * ldc;
            for (int i = 0; i < m; i++) c[i] = b == 0.f ? a * acc[i] : a * acc[i] + b * c[i];
        }
    }
    return SUCCESS;
}

}  // extern "C"
