// A stand-in libcuda.so.1: the driver calls dinoj's CUDA backend makes, on one emulated device whose
// memory is host memory and whose kernels are native/src compiled for the host (scheduler.cpp).
//
// Work is done when it is queued (one stream, in order), but faults behave as on a GPU: a kernel that
// breaks a rule of the CUDA model, writes past an allocation or is given a pointer that is not device
// memory is reported on stderr and leaves the context with a sticky error, returned by the next
// synchronisation and every call after it. Launch configurations are checked against the limits of
// an sm_90 device (block and grid sizes, 48 KB of dynamic shared memory unless the function opted in,
// up to 227 KB), kernelParams entries must not be NULL, and module load accepts only a real fatbin
// and resolves only the kernels whose names it contains.
//
// Device memory: every allocation is its own mapping, outside the C heap (so a stray write cannot
// corrupt the driver's own data), 256-byte aligned, filled with 0xff bytes (NaN as float), fenced by
// red zones (256 bytes before, the rest of the last page after) that are checked after each launch
// (the allocations its pointer arguments point into), at each synchronisation (all allocations) and
// on free, and by an inaccessible page at each end, so a write far out of bounds faults at once.
#include <cuda.h>
#include <dlfcn.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "scheduler.h"

struct CUctx_st {
    int retained = 0;
    CUresult sticky = CUDA_SUCCESS;
};
struct CUstream_st {
    CUctx_st* ctx;
};
struct CUfunc_st {
    const dinoj_emu::KernelEntry* kernel;
    int maxDynamicShared = 48 * 1024;
};
struct CUmod_st {
    std::map<std::string, CUfunc_st*> functions;
    std::string image;
};

namespace {

constexpr size_t RED_ZONE = 256;
constexpr unsigned char RED = 0xa5;
constexpr int SHARED_OPTIN = 232448;  // 227 KB, sm_90
constexpr int SHARED_DEFAULT = 48 * 1024;

constexpr size_t PAGE = 4096;

struct Allocation {
    size_t bytes;    // as asked for; red zones from base - RED_ZONE and from base + bytes to the last page's end
    size_t rounded;  // what it counts against the memory budget
    unsigned char* map;
    size_t mapBytes;  // guard page, red zone, data, red zone, guard page
    unsigned char* end() const { return map + mapBytes - PAGE; }
};

std::mutex lock;  // one lock for the whole driver: calls are short, launches run under it (one stream)
bool initialised = false;
CUctx_st primary;
thread_local CUctx_st* current = nullptr;
std::map<uintptr_t, Allocation> device;  // base -> allocation
std::map<uintptr_t, size_t> pinned;
size_t used = 0, budget = 0;
const dinoj_emu::KernelEntry* (*findKernel)(const char*) = nullptr;
int (*runGrid)(const dinoj_emu::KernelEntry*, const dinoj_emu::LaunchShape*, void* const*, char*, size_t) = nullptr;

void report(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dinoj CUDA emulation: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

// Sets the context's sticky error (the first one stays) after saying why.
void fault(CUresult code, const std::string& why) {
    report("%s", why.c_str());
    if (primary.sticky == CUDA_SUCCESS) primary.sticky = code;
}

CUresult needContext() {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (current == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
    return current->sticky;
}

// The live allocation holding [p, p + bytes), or device.end().
std::map<uintptr_t, Allocation>::iterator holding(uintptr_t p, size_t bytes) {
    auto it = device.upper_bound(p);
    if (it == device.begin()) return device.end();
    --it;
    if (p + bytes > it->first + it->second.bytes || p + bytes < p) return device.end();
    return it;
}

bool pinnedHolds(uintptr_t p, size_t bytes) {
    auto it = pinned.upper_bound(p);
    if (it == pinned.begin()) return false;
    --it;
    return p + bytes <= it->first + it->second;
}

// The first byte of the red zones around `a` that is not the red pattern, as an offset from the base
// (negative: before it), or 0 when both are intact.
long long breach(uintptr_t base, const Allocation& a) {
    const unsigned char* lo = reinterpret_cast<const unsigned char*>(base) - RED_ZONE;
    for (size_t i = 0; i < RED_ZONE; i++) {
        if (lo[i] != RED) return -(long long) (RED_ZONE - i);
    }
    const unsigned char* p = reinterpret_cast<const unsigned char*>(base);
    size_t tail = (size_t) (a.end() - p);
    for (size_t i = a.bytes; i < tail; i++) {
        if (p[i] != RED) return (long long) i;
    }
    return 0;
}

bool checkZones(uintptr_t base, const Allocation& a, const char* after) {
    long long at = breach(base, a);
    if (at == 0) return true;
    fault(CUDA_ERROR_ILLEGAL_ADDRESS, std::string(after) + " wrote out of bounds of a " + std::to_string(a.bytes) + "-byte allocation (byte "
                                          + (at > 0 ? "+" : "") + std::to_string(at) + " from its start)");
    // repair, so that the next check reports a new write only
    memset(reinterpret_cast<unsigned char*>(base) - RED_ZONE, RED, RED_ZONE);
    memset(reinterpret_cast<unsigned char*>(base) + a.bytes, RED, (size_t) (a.end() - reinterpret_cast<unsigned char*>(base)) - a.bytes);
    return false;
}

void checkAllZones(const char* after) {
    for (auto& [base, a] : device) checkZones(base, a, after);
}

bool loadKernels() {
    if (findKernel) return true;
    Dl_info info;
    if (!dladdr(reinterpret_cast<void*>(&loadKernels), &info) || !info.dli_fname) return false;
    std::string dir(info.dli_fname);
    dir = dir.substr(0, dir.find_last_of('/') + 1);
    void* h = dlopen((dir + "libdinoj_kernels_host.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        report("cannot load the host-compiled kernels: %s", dlerror());
        return false;
    }
    findKernel = reinterpret_cast<decltype(findKernel)>(dlsym(h, "dinoj_emu_find_kernel"));
    runGrid = reinterpret_cast<decltype(runGrid)>(dlsym(h, "dinoj_emu_run_grid"));
    return findKernel && runGrid;
}

std::string launchName(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s<<<(%u, %u, %u), (%u, %u, %u), %u B>>>", name, gx, gy, gz, bx, by, bz, shared);
    return buf;
}

}  // namespace

extern "C" {

// For the stand-in cuBLAS: whether [p, p + bytes) is device memory, and a fault it found.
int dinoj_emu_is_device_memory(uintptr_t p, size_t bytes) {
    std::lock_guard<std::mutex> l(lock);
    return holding(p, bytes) != device.end();
}
void dinoj_emu_fault(const char* why) {
    std::lock_guard<std::mutex> l(lock);
    fault(CUDA_ERROR_ILLEGAL_ADDRESS, why);
}

CUresult CUDAAPI cuInit(unsigned int flags) {
    std::lock_guard<std::mutex> l(lock);
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    if (!initialised) {
        const char* mb = getenv("DINOJ_EMU_MEMORY_MB");
        budget = (size_t) (mb ? atoll(mb) : 4096) << 20;
        initialised = true;
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDriverGetVersion(int* version) {
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    *version = CUDA_VERSION;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetCount(int* count) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (!count) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGet(CUdevice* dev, int ordinal) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (!dev) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *dev = 0;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetName(char* name, int len, CUdevice dev) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t) len, "%s", "dinoj CUDA host emulation (sm_90 limits)");
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceTotalMem(size_t* bytes, CUdevice dev) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = budget;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDeviceGetAttribute(int* v, CUdevice_attribute attribute, CUdevice dev) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *v = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *v = 64; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *v = 2147483647; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *v = 65535; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *v = 65535; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *v = SHARED_DEFAULT; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = SHARED_OPTIN; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = (int) std::max(1u, std::thread::hardware_concurrency()); break;
        case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: *v = 1; break;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
    std::lock_guard<std::mutex> l(lock);
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    primary.retained++;
    *ctx = &primary;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice dev) {
    std::lock_guard<std::mutex> l(lock);
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (primary.retained == 0) return CUDA_ERROR_INVALID_CONTEXT;
    primary.retained--;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (ctx != nullptr && (ctx != &primary || primary.retained == 0)) return CUDA_ERROR_INVALID_CONTEXT;
    current = ctx;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxGetCurrent(CUcontext* ctx) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    *ctx = current;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuCtxSynchronize() {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    checkAllZones("a kernel");
    return primary.sticky;
}

CUresult CUDAAPI cuStreamCreate(CUstream* stream, unsigned int flags) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!stream || (flags != CU_STREAM_DEFAULT && flags != CU_STREAM_NON_BLOCKING)) return CUDA_ERROR_INVALID_VALUE;
    *stream = new CUstream_st{current};
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamDestroy(CUstream stream) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!stream) return CUDA_ERROR_INVALID_HANDLE;
    delete stream;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuStreamSynchronize(CUstream stream) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    (void) stream;
    checkAllZones("a kernel");
    return primary.sticky;
}

CUresult CUDAAPI cuMemGetInfo(size_t* free, size_t* total) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!free || !total) return CUDA_ERROR_INVALID_VALUE;
    *free = budget - used;
    *total = budget;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemAlloc(CUdeviceptr* ptr, size_t bytes) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!ptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    size_t rounded = (bytes + RED_ZONE - 1) / RED_ZONE * RED_ZONE;
    if (rounded > budget - used) return CUDA_ERROR_OUT_OF_MEMORY;
    size_t mapBytes = PAGE + (RED_ZONE + rounded + RED_ZONE + PAGE - 1) / PAGE * PAGE + PAGE;
    void* m = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    unsigned char* map = static_cast<unsigned char*>(m);
    mprotect(map, PAGE, PROT_NONE);
    mprotect(map + mapBytes - PAGE, PAGE, PROT_NONE);
    unsigned char* base = map + PAGE + RED_ZONE;
    Allocation a{bytes, rounded, map, mapBytes};
    memset(base - RED_ZONE, RED, RED_ZONE);
    memset(base, 0xff, bytes);
    memset(base + bytes, RED, (size_t) (a.end() - base) - bytes);
    device[reinterpret_cast<uintptr_t>(base)] = a;
    used += rounded;
    *ptr = reinterpret_cast<CUdeviceptr>(base);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemFree(CUdeviceptr ptr) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    auto it = device.find(ptr);
    if (it == device.end()) return CUDA_ERROR_INVALID_VALUE;
    checkZones(it->first, it->second, "a kernel");
    used -= it->second.rounded;
    munmap(it->second.map, it->second.mapBytes);
    device.erase(it);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemAllocHost(void** ptr, size_t bytes) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!ptr) return CUDA_ERROR_INVALID_VALUE;
    void* p = aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
    pinned[reinterpret_cast<uintptr_t>(p)] = bytes;
    *ptr = p;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemFreeHost(void* p) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    auto it = pinned.find(reinterpret_cast<uintptr_t>(p));
    if (it == pinned.end()) return CUDA_ERROR_INVALID_VALUE;
    free(p);
    pinned.erase(it);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t bytes, CUstream stream) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    (void) stream;
    if (bytes == 0) return CUDA_SUCCESS;
    if (!src || holding(dst, bytes) == device.end()) return CUDA_ERROR_INVALID_VALUE;
    memcpy(reinterpret_cast<void*>(dst), src, bytes);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t bytes, CUstream stream) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    (void) stream;
    if (bytes == 0) return CUDA_SUCCESS;
    if (!dst || holding(src, bytes) == device.end()) return CUDA_ERROR_INVALID_VALUE;
    memcpy(dst, reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    (void) stream;
    if (bytes == 0) return CUDA_SUCCESS;
    if (holding(dst, bytes) == device.end() || holding(src, bytes) == device.end()) return CUDA_ERROR_INVALID_VALUE;
    memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuModuleLoadData(CUmodule* module, const void* image) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!module || !image) return CUDA_ERROR_INVALID_VALUE;
    // nvcc -fatbin output: a fatbin header (magic 0xBA55ED50, version 1, header size, body size)
    const unsigned char* p = static_cast<const unsigned char*>(image);
    unsigned int magic;
    unsigned long long body;
    unsigned short headerSize;
    memcpy(&magic, p, 4);
    memcpy(&headerSize, p + 6, 2);
    memcpy(&body, p + 8, 8);
    if (magic != 0xBA55ED50u || headerSize != 16 || body == 0 || body > (1ull << 32)) return CUDA_ERROR_INVALID_IMAGE;
    if (!loadKernels()) return CUDA_ERROR_SHARED_OBJECT_INIT_FAILED;
    CUmod_st* m = new CUmod_st();
    m->image.assign(reinterpret_cast<const char*>(p), (size_t) (16 + body));
    *module = m;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuModuleUnload(CUmodule module) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!module) return CUDA_ERROR_INVALID_HANDLE;
    for (auto& [name, f] : module->functions) delete f;
    delete module;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!function || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!module) return CUDA_ERROR_INVALID_HANDLE;
    auto it = module->functions.find(name);
    if (it != module->functions.end()) {
        *function = it->second;
        return CUDA_SUCCESS;
    }
    // the fatbin's symbol table holds every kernel's name, NUL-terminated
    std::string needle = std::string(name) + '\0';
    const dinoj_emu::KernelEntry* k = findKernel(name);
    if (!k || module->image.find(needle) == std::string::npos) return CUDA_ERROR_NOT_FOUND;
    CUfunc_st* f = new CUfunc_st{k};
    module->functions[name] = f;
    *function = f;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuFuncSetAttribute(CUfunction f, CUfunction_attribute attribute, int value) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    if (!f) return CUDA_ERROR_INVALID_HANDLE;
    if (attribute != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) return CUDA_ERROR_INVALID_VALUE;
    if (value < 0 || value > SHARED_OPTIN) return CUDA_ERROR_INVALID_VALUE;
    f->maxDynamicShared = value;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                                unsigned int bz, unsigned int shared, CUstream stream, void** params, void** extra) {
    std::lock_guard<std::mutex> l(lock);
    CUresult r = needContext();
    if (r != CUDA_SUCCESS) return r;
    (void) stream;
    if (!f) return CUDA_ERROR_INVALID_HANDLE;
    const dinoj_emu::KernelEntry* k = f->kernel;
    std::string what = launchName(k->name, gx, gy, gz, bx, by, bz, shared);
    if (bx == 0 || by == 0 || bz == 0 || bx > 1024 || by > 1024 || bz > 64 || (unsigned long long) bx * by * bz > 1024) {
        report("%s: block exceeds the limits (1024 x 1024 x 64, at most 1024 threads)", what.c_str());
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (gx == 0 || gy == 0 || gz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535) {
        report("%s: grid exceeds the limits (2^31 - 1 x 65535 x 65535)", what.c_str());
        return CUDA_ERROR_INVALID_VALUE;
    }
    if ((int) shared > f->maxDynamicShared) {
        report("%s: %u bytes of dynamic shared memory, the function allows %d (cuFuncSetAttribute raises it up to %d)", what.c_str(), shared,
               f->maxDynamicShared, SHARED_OPTIN);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (extra != nullptr) {
        report("%s: the emulation takes arguments through kernelParams only", what.c_str());
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (k->nparams > 0 && params == nullptr) {
        report("%s: kernelParams is NULL for a kernel of %d parameters", what.c_str(), k->nparams);
        return CUDA_ERROR_INVALID_VALUE;
    }
    // The driver copies the arguments when the launch is queued.
    std::vector<unsigned char> block;
    std::vector<size_t> offsets;
    for (int i = 0; i < k->nparams; i++) {
        if (params[i] == nullptr) {
            report("%s: kernelParams[%d] is NULL (it must point at the value of parameter %d)", what.c_str(), i, i);
            return CUDA_ERROR_INVALID_VALUE;
        }
        offsets.push_back(block.size());
        block.insert(block.end(), static_cast<unsigned char*>(params[i]), static_cast<unsigned char*>(params[i]) + k->sizes[i]);
        block.resize((block.size() + 15) / 16 * 16);
    }
    std::vector<void*> args;
    std::vector<uintptr_t> pointees;
    for (int i = 0; i < k->nparams; i++) {
        args.push_back(block.data() + offsets[i]);
        if (!k->pointer[i]) continue;
        uintptr_t p;
        memcpy(&p, block.data() + offsets[i], sizeof p);
        if (p == 0) continue;
        auto it = holding(p, 0);
        if (it == device.end() && !pinnedHolds(p, 0)) {
            fault(CUDA_ERROR_ILLEGAL_ADDRESS, what + ": pointer argument " + std::to_string(i) + " is not device memory");
            return CUDA_SUCCESS;  // the fault surfaces at the next synchronisation, as on a GPU
        }
        if (it != device.end()) pointees.push_back(it->first);
    }
    dinoj_emu::LaunchShape s{{gx, gy, gz}, {bx, by, bz}, shared};
    char error[2048] = {0};
    if (runGrid(k, &s, args.data(), error, sizeof error) != 0) {
        fault(CUDA_ERROR_LAUNCH_FAILED, what + ": " + error);
        return CUDA_SUCCESS;
    }
    for (uintptr_t base : pointees) {
        auto it = device.find(base);
        if (it != device.end()) checkZones(base, it->second, what.c_str());
    }
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuGetErrorName(CUresult error, const char** name) {
    if (!name) return CUDA_ERROR_INVALID_VALUE;
    switch (error) {
#define NAME(e) \
    case e: *name = #e; return CUDA_SUCCESS;
        NAME(CUDA_SUCCESS)
        NAME(CUDA_ERROR_INVALID_VALUE)
        NAME(CUDA_ERROR_OUT_OF_MEMORY)
        NAME(CUDA_ERROR_NOT_INITIALIZED)
        NAME(CUDA_ERROR_INVALID_DEVICE)
        NAME(CUDA_ERROR_INVALID_IMAGE)
        NAME(CUDA_ERROR_INVALID_CONTEXT)
        NAME(CUDA_ERROR_SHARED_OBJECT_INIT_FAILED)
        NAME(CUDA_ERROR_INVALID_HANDLE)
        NAME(CUDA_ERROR_NOT_FOUND)
        NAME(CUDA_ERROR_ILLEGAL_ADDRESS)
        NAME(CUDA_ERROR_LAUNCH_FAILED)
#undef NAME
        default: *name = nullptr; return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult CUDAAPI cuGetErrorString(CUresult error, const char** text) { return cuGetErrorName(error, text); }

}  // extern "C"
