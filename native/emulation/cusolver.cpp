// A stand-in libcusolver.so.12: the dense calls dinoj's CUDA backend makes (handle, stream, SPOTRF and
// its workspace query), column-major as cuSOLVER is, with LAPACK's conventions: only the uplo triangle
// is read and written (the other is left as it was), devInfo is 0 or the order of the first leading
// minor that is not positive, the workspace must be at least what the query returned. Operands must be
// device memory of the stand-in driver: anything else is a fault, reported at the next synchronisation.
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <algorithm>

struct CUstream_st;
struct cusolverDnContext {
    CUstream_st* stream = nullptr;
};

extern "C" {
int dinoj_emu_is_device_memory(uintptr_t p, size_t bytes);  // from the stand-in libcuda
void dinoj_emu_fault(const char* why);
}

namespace {
enum Status { SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 3 };
enum Fill { LOWER = 0, UPPER = 1 };

bool inDevice(const void* p, size_t bytes) {
    return p != nullptr && dinoj_emu_is_device_memory(reinterpret_cast<uintptr_t>(p), bytes);
}

int workspaceFloats(int n) { return std::max(1, n); }
}  // namespace

extern "C" {

int cusolverDnCreate(cusolverDnContext** handle) {
    if (!handle) return INVALID_VALUE;
    *handle = new cusolverDnContext();
    return SUCCESS;
}

int cusolverDnDestroy(cusolverDnContext* handle) {
    if (!handle) return NOT_INITIALIZED;
    delete handle;
    return SUCCESS;
}

int cusolverDnSetStream(cusolverDnContext* handle, CUstream_st* stream) {
    if (!handle) return NOT_INITIALIZED;
    handle->stream = stream;
    return SUCCESS;
}

int cusolverDnSpotrf_bufferSize(cusolverDnContext* handle, int uplo, int n, float* A, int lda, int* lwork) {
    if (!handle) return NOT_INITIALIZED;
    if ((uplo != LOWER && uplo != UPPER) || n < 0 || lda < std::max(1, n) || !lwork) return INVALID_VALUE;
    *lwork = workspaceFloats(n);
    return SUCCESS;
}

int cusolverDnSpotrf(cusolverDnContext* handle, int uplo, int n, float* A, int lda, float* work, int lwork, int* devInfo) {
    if (!handle) return NOT_INITIALIZED;
    if ((uplo != LOWER && uplo != UPPER) || n < 0 || lda < std::max(1, n) || lwork < workspaceFloats(n)) return INVALID_VALUE;
    size_t span = n == 0 ? 0 : ((size_t) (n - 1) * lda + n) * sizeof(float);
    if ((n > 0 && !inDevice(A, span)) || !inDevice(work, (size_t) lwork * sizeof(float)) || !inDevice(devInfo, sizeof(int))) {
        char why[200];
        snprintf(why, sizeof why, "cusolverDnSpotrf(n %d): A, work or devInfo is not device memory (A %p, work %p, info %p)", n, (void*) A,
                 (void*) work, (void*) devInfo);
        dinoj_emu_fault(why);
        return SUCCESS;
    }
    // element (i, j) of the stored triangle, seen as the lower factor's (i >= j): upper stores U = L^T
    auto at = [&](int i, int j) -> float& { return uplo == LOWER ? A[i + (long long) j * lda] : A[j + (long long) i * lda]; };
    *devInfo = 0;
    for (int j = 0; j < n; j++) {
        float d = at(j, j);
        for (int k = 0; k < j; k++) d -= at(j, k) * at(j, k);
        if (!(d > 0.f) || !isfinite(d)) {
            *devInfo = j + 1;
            return SUCCESS;
        }
        float ljj = sqrtf(d);
        at(j, j) = ljj;
        for (int i = j + 1; i < n; i++) {
            float s = at(i, j);
            for (int k = 0; k < j; k++) s -= at(i, k) * at(j, k);
            at(i, j) = s / ljj;
        }
    }
    return SUCCESS;
}

}  // extern "C"
