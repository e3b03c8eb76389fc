// A stand-in libcublas.so.13: the calls dinoj's CUDA backend makes (handle, stream, math mode, SGEMM
// strided-batched, STRSM), column-major as cuBLAS is, with cuBLAS's argument checks (status 7, INVALID_VALUE,
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

// op(A) X = alpha B (side left) or X op(A) = alpha B (side right), A triangular (only the uplo triangle
// read; diag unit: ones assumed on the diagonal), B m x n overwritten with X; column-major. Every solve
// is a substitution with M = op(A) (left, on each column of B) or M = op(A)^T (right, on each row).
int cublasStrsm_v2(cublasContext* handle, int side, int uplo, int trans, int diag, int m, int n, const float* alpha, const float* A, int lda,
                   float* B, int ldb) {
    if (!handle) return NOT_INITIALIZED;
    if (side < 0 || side > 1 || uplo < 0 || uplo > 1 || trans < OP_N || trans > OP_C || diag < 0 || diag > 1) return INVALID_VALUE;
    if (m < 0 || n < 0 || !alpha) return INVALID_VALUE;
    bool left = side == 0;
    int k = left ? m : n;
    if (lda < std::max(1, k) || ldb < std::max(1, m)) return INVALID_VALUE;
    if (m == 0 || n == 0) return SUCCESS;
    if (!inDevice(A, k, k, lda, 0, 1) || !inDevice(B, m, n, ldb, 0, 1)) {
        char why[200];
        snprintf(why, sizeof why, "cublasStrsm(m %d, n %d): A or B is not device memory (A %p, B %p)", m, n, (const void*) A, (void*) B);
        dinoj_emu_fault(why);
        return SUCCESS;
    }
    bool t = trans != OP_N;
    // M(i, j) in terms of A: op(A)(i, j) = t ? A(j, i) : A(i, j); for side right M = op(A)^T
    bool flip = t != !left;
    auto M = [&](int i, int j) -> float {
        int r = flip ? j : i, c = flip ? i : j;
        return A[r + (long long) c * lda];
    };
    // M is lower triangular when A's stored triangle, seen through the flips, lies below the diagonal
    bool lower = (uplo == 0) != flip;
    bool unit = diag == 1;
    float a = *alpha;
    int vectors = left ? n : m;
    std::vector<float> v((size_t) k);
    for (int q = 0; q < vectors; q++) {
        auto at = [&](int i) -> float& { return left ? B[i + (long long) q * ldb] : B[q + (long long) i * ldb]; };
        for (int i = 0; i < k; i++) v[i] = a * at(i);
        for (int s = 0; s < k; s++) {
            int i = lower ? s : k - 1 - s;
            float acc = v[i];
            if (lower) for (int j = 0; j < i; j++) acc -= M(i, j) * v[j];
            else for (int j = i + 1; j < k; j++) acc -= M(i, j) * v[j];
            v[i] = unit ? acc : acc / M(i, i);
        }
        for (int i = 0; i < k; i++) at(i) = v[i];
    }
    return SUCCESS;
}

}  // extern "C"
