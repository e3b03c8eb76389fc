// Runs a grid of a host-compiled kernel with CUDA's execution model: blocks independently, on a pool
// of OS threads; the threads of a block as fibers on one OS thread, switched only at __syncthreads and
// warp shuffles. A fiber runs until it waits; the scheduler then resumes the next one, round robin,
// until every thread of the block has exited. A full round in which no thread arrives anywhere or
// exits is a deadlock (divergent barriers), reported with each thread's state.
//
// Warp shuffles exchange through a per-warp table with two rounds in flight (a lane can be one
// shuffle ahead of the slowest before it must wait): a lane writes its value, waits until every lane
// of the mask has written, and reads its source lane. The mask must name only lanes that exist and
// have not exited, the same mask for every lane of a round, and the source lane must be in it.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda_host.h"
#include "scheduler.h"

namespace dinoj_emu {

DINOJ_EMU_TLS dim3 thread_idx, block_idx, block_dim, grid_dim;

namespace {

// ---- context switch: the callee-saved registers on the old stack, then the new stack's ----
extern "C" void dinoj_emu_switch(void** save, void* to);
#if defined(__x86_64__)
asm(R"(
.text
.p2align 4
.type dinoj_emu_switch,@function
dinoj_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size dinoj_emu_switch, .-dinoj_emu_switch
)");
#elif defined(__aarch64__)
asm(R"(
.text
.p2align 4
.type dinoj_emu_switch,%function
dinoj_emu_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
.size dinoj_emu_switch, .-dinoj_emu_switch
)");
#else
#error "the emulation's context switch is written for x86-64 and AArch64"
#endif

constexpr size_t STACK_BYTES = 64 * 1024, GUARD_BYTES = 4096;
constexpr int MAX_THREADS = 1024;

enum State { NEW, RUNNING, AT_BARRIER, AT_SHUFFLE, DONE };

struct Fiber {
    void* sp;
    char* stackTop;
    dim3 tid;
    int linear;
    State state;
    uint32_t shuffles;  // rounds this lane has taken part in
    int next, prev;     // the ring of living threads, in thread order
};

struct Warp {
    uint64_t slot[2][32];
    uint32_t arrived[2], mask[2], round[2];
    uint32_t exited;
    bool done[2];
};

// The block being run by this OS thread.
struct Block {
    const KernelEntry* kernel;
    void* const* params;
    int nthreads;
    Fiber* fibers;
    Warp warps[MAX_THREADS / 32];
    int alive, barrierArrived;
    uint32_t barrierGen;
    uint64_t progress, roundProgress;
    int current;
    void* schedulerSp;
    char* shared;
    size_t sharedBytes;
    bool failed;
    std::string error;
};

DINOJ_EMU_TLS Block* block;

// Per OS thread: fiber stacks (with a guard page below each) and the dynamic shared memory buffer.
struct ThreadResources {
    char* stacks = nullptr;
    std::vector<Fiber> fibers = std::vector<Fiber>(MAX_THREADS);
    char* sharedMap = nullptr;
    size_t sharedMapBytes = 0;
    ~ThreadResources() {
        if (stacks) munmap(stacks, MAX_THREADS * (STACK_BYTES + GUARD_BYTES));
        if (sharedMap) munmap(sharedMap, sharedMapBytes);
    }
    // `bytes` of dynamic shared memory ending (rounded up to 16) right below a guard page, so a read
    // or write past the size the launch asked for faults instead of passing unnoticed.
    char* shared(size_t bytes) {
        size_t rounded = (bytes + 15) & ~size_t(15);
        size_t need = ((rounded + 4095) & ~size_t(4095)) + 4096;
        if (need > sharedMapBytes) {
            if (sharedMap) munmap(sharedMap, sharedMapBytes);
            void* p = mmap(nullptr, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                fprintf(stderr, "dinoj CUDA emulation: cannot map %zu bytes of shared memory (%s)\n", need, strerror(errno));
                abort();
            }
            sharedMap = static_cast<char*>(p);
            sharedMapBytes = need;
            mprotect(sharedMap + need - 4096, 4096, PROT_NONE);
        }
        return sharedMap + sharedMapBytes - 4096 - rounded;
    }
    char* stackTop(int i) {
        if (!stacks) {
            size_t total = MAX_THREADS * (STACK_BYTES + GUARD_BYTES);
            void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED) {
                fprintf(stderr, "dinoj CUDA emulation: cannot map fiber stacks (%s)\n", strerror(errno));
                abort();
            }
            stacks = static_cast<char*>(p);
            for (int k = 0; k < MAX_THREADS; k++) mprotect(stacks + k * (STACK_BYTES + GUARD_BYTES), GUARD_BYTES, PROT_NONE);
        }
        return stacks + i * (STACK_BYTES + GUARD_BYTES) + GUARD_BYTES + STACK_BYTES;
    }
};

thread_local ThreadResources resources;

std::string format(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

Fiber& self() { return block->fibers[block->current]; }

std::string where(const Fiber& f) {
    return format("%s: block (%u, %u, %u), thread (%u, %u, %u)", block->kernel->name, block_idx.x, block_idx.y, block_idx.z, f.tid.x,
                  f.tid.y, f.tid.z);
}

std::string states() {
    std::string s;
    const char* names[] = {"not started", "running", "at __syncthreads", "in a shuffle", "exited"};
    int shown = 0;
    for (int i = 0; i < block->nthreads && shown < 8; i++) {
        const Fiber& f = block->fibers[i];
        if (f.state == DONE) continue;
        s += format("; thread (%u, %u, %u) %s", f.tid.x, f.tid.y, f.tid.z, names[f.state]);
        shown++;
    }
    return s;
}

// Back to the scheduler, for good: the block is done or abandoned.
[[noreturn]] void leave(void** save) {
    dinoj_emu_switch(save, block->schedulerSp);
    __builtin_unreachable();
}

// Records the first violation and abandons the block.
[[noreturn]] void fail(const std::string& message) {
    if (!block->failed) {
        block->failed = true;
        block->error = message;
    }
    leave(&self().sp);
}

[[noreturn]] void fiberMain();

void prepare(Fiber& f, int i) {
    // Stack at sp: r15 r14 r13 r12 rbx rbp, then the address `ret` jumps to (x86-64); the AArch64
    // frame is 176 bytes of saved registers with x30 (the link register) at offset 88.
    char* top = resources.stackTop(i);
#if defined(__x86_64__)
    void** sp = reinterpret_cast<void**>(top) - 8;
    for (int k = 0; k < 6; k++) sp[k] = nullptr;
    sp[6] = reinterpret_cast<void*>(&fiberMain);
    sp[7] = nullptr;
#else
    void** sp = reinterpret_cast<void**>(top - 176);
    for (int k = 0; k < 22; k++) sp[k] = nullptr;
    sp[11] = reinterpret_cast<void*>(&fiberMain);
#endif
    f.sp = sp;
    f.stackTop = top;
}

// Runs fiber j (starting it if new), saving the current context in *save.
void enter(int j, void** save) {
    Block& b = *block;
    Fiber& f = b.fibers[j];
    if (f.state == NEW) {
        prepare(f, j);
        f.state = RUNNING;
        b.progress++;
    }
    b.current = j;
    thread_idx = f.tid;
    dinoj_emu_switch(save, f.sp);
}

// The running thread waits: hand over to the next living one. Each time the hand-over wraps round
// the ring, the round must have made progress (an arrival, a start or an exit), or nothing ever will.
void yield() {
    Block& b = *block;
    int i = b.current, j = b.fibers[i].next;
    if (j <= i) {
        if (b.progress == b.roundProgress) {
            b.failed = true;
            b.error = format("%s: block (%u, %u, %u) deadlocked (divergent __syncthreads or shuffles)%s", b.kernel->name, block_idx.x,
                             block_idx.y, block_idx.z, states().c_str());
            leave(&b.fibers[i].sp);
        }
        b.roundProgress = b.progress;
    }
    if (j != i) enter(j, &b.fibers[i].sp);
}

void releaseBarrier() {
    block->barrierArrived = 0;
    block->barrierGen++;
}

[[noreturn]] void fiberMain() {
    block->kernel->invoke(block->params);
    Block& b = *block;
    int i = b.current;
    Fiber& g = b.fibers[i];
    g.state = DONE;
    b.alive--;
    b.progress++;
    // exited threads count as arrived at a barrier (as on sm_70 and later)
    if (b.barrierArrived > 0 && b.barrierArrived == b.alive) releaseBarrier();
    // a lane that exits while its warp-mates wait for it in a shuffle leaves them waiting forever
    Warp& w = b.warps[g.linear >> 5];
    uint32_t bit = 1u << (g.linear & 31);
    w.exited |= bit;
    for (int p = 0; p < 2; p++) {
        if (w.arrived[p] && !w.done[p] && (w.mask[p] & bit) && !(w.arrived[p] & bit)) {
            fail(format("%s exited while lanes 0x%08x of its warp waited for it in a shuffle with mask 0x%08x", where(g).c_str(),
                        w.arrived[p], w.mask[p]));
        }
    }
    int next = g.next;
    b.fibers[g.prev].next = next;
    b.fibers[next].prev = g.prev;
    void* discarded;
    if (b.alive == 0) leave(&discarded);
    enter(next, &discarded);
    __builtin_unreachable();
}

void runBlock(Block& b) {
    block = &b;
    b.alive = b.nthreads;
    b.barrierArrived = 0;
    b.barrierGen = 0;
    b.progress = 0;
    b.roundProgress = ~0ull;
    memset(b.warps, 0, sizeof(Warp) * ((b.nthreads + 31) / 32));
    if (b.sharedBytes) memset(b.shared, 0xff, b.sharedBytes);  // NaN as float or double, -1 as an integer
    for (int i = 0; i < b.nthreads; i++) {
        Fiber& f = b.fibers[i];
        f.linear = i;
        f.tid.x = i % block_dim.x;
        f.tid.y = (i / block_dim.x) % block_dim.y;
        f.tid.z = i / (block_dim.x * block_dim.y);
        f.state = NEW;
        f.shuffles = 0;
        f.next = i + 1 == b.nthreads ? 0 : i + 1;
        f.prev = i == 0 ? b.nthreads - 1 : i - 1;
    }
    enter(0, &b.schedulerSp);
}

// ---- grids: blocks taken in turn by the OS threads of the pool ----
struct Grid {
    const KernelEntry* kernel;
    LaunchShape shape;
    void* const* params;
    long long blocks;
    std::atomic<long long> next{0};
    std::atomic<bool> failed{false};
    std::mutex errorLock;
    std::string error;
};

thread_local Block blockStorage;

// Takes blocks from the grid until none is left (or one failed); blocks are numbered x fastest.
void runBlocks(Grid& g) {
    Block& b = blockStorage;
    b.kernel = g.kernel;
    b.params = g.params;
    const LaunchShape& s = g.shape;
    b.nthreads = (int) (s.block[0] * s.block[1] * s.block[2]);
    b.fibers = resources.fibers.data();
    b.sharedBytes = s.dynamicShared;
    b.shared = s.dynamicShared ? resources.shared(s.dynamicShared) : nullptr;
    block_dim.x = s.block[0];
    block_dim.y = s.block[1];
    block_dim.z = s.block[2];
    grid_dim.x = s.grid[0];
    grid_dim.y = s.grid[1];
    grid_dim.z = s.grid[2];
    long long gx = s.grid[0], gy = s.grid[1];
    while (!g.failed.load(std::memory_order_relaxed)) {
        long long i = g.next.fetch_add(1);
        if (i >= g.blocks) break;
        block_idx.x = (unsigned) (i % gx);
        block_idx.y = (unsigned) ((i / gx) % gy);
        block_idx.z = (unsigned) (i / (gx * gy));
        b.failed = false;
        b.error.clear();
        runBlock(b);
        if (b.failed) {
            std::lock_guard<std::mutex> l(g.errorLock);
            if (!g.failed) g.error = b.error;
            g.failed = true;
        }
    }
    block = nullptr;
}

// OS threads that join every grid; the launching thread works too. One grid at a time (one stream).
class Pool {
public:
    explicit Pool(int workers) : workers_(workers) {
        for (int i = 0; i < workers; i++) std::thread([this] { loop(); }).detach();  // live as long as the process
    }

    void run(Grid& g) {
        std::lock_guard<std::mutex> one(launch_);
        if (workers_ == 0 || g.blocks == 1) {
            runBlocks(g);
            return;
        }
        {
            std::lock_guard<std::mutex> l(m_);
            job_ = &g;
            finished_ = 0;
            gen_++;
        }
        start_.notify_all();
        runBlocks(g);
        std::unique_lock<std::mutex> l(m_);
        done_.wait(l, [&] { return finished_ == workers_; });
        job_ = nullptr;
    }

private:
    void loop() {
        uint64_t seen = 0;
        for (;;) {
            Grid* g;
            {
                std::unique_lock<std::mutex> l(m_);
                start_.wait(l, [&] { return gen_ != seen; });
                seen = gen_;
                g = job_;
            }
            runBlocks(*g);
            {
                std::lock_guard<std::mutex> l(m_);
                finished_++;
            }
            done_.notify_all();
        }
    }

    const int workers_;
    std::mutex launch_, m_;
    std::condition_variable start_, done_;
    Grid* job_ = nullptr;
    uint64_t gen_ = 0;
    int finished_ = 0;
};

Pool& pool() {
    static Pool* p = [] {
        const char* env = getenv("DINOJ_EMU_THREADS");
        int n = env ? atoi(env) : (int) std::thread::hardware_concurrency();
        return new Pool(std::max(1, n) - 1);
    }();
    return *p;
}

}  // namespace

void syncthreads() {
    Block& b = *block;
    Fiber& f = self();
    uint32_t gen = b.barrierGen;
    b.progress++;
    if (++b.barrierArrived == b.alive) {
        releaseBarrier();
        return;
    }
    f.state = AT_BARRIER;
    while (b.barrierGen == gen) yield();
    self().state = RUNNING;
}

uint64_t shuffle(unsigned int mask, uint64_t bits, int mode, int arg, int width) {
    Block& b = *block;
    Fiber& f = self();
    int lane = f.linear & 31, warp = f.linear >> 5;
    uint32_t bit = 1u << lane;
    if (width <= 0 || width > 32 || (width & (width - 1))) fail(format("%s: shuffle width %d is not a power of 2 <= 32", where(f).c_str(), width));
    if (!(mask & bit)) fail(format("%s: shuffles with mask 0x%08x, which does not name its own lane %d", where(f).c_str(), mask, lane));
    int lanes = std::min(32, b.nthreads - warp * 32);
    uint32_t present = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
    if (mask & ~present) {
        fail(format("%s: shuffle mask 0x%08x names lanes that do not exist (the block has %d threads, this warp %d lanes)", where(f).c_str(),
                    mask, b.nthreads, lanes));
    }
    Warp& w = b.warps[warp];
    if (mask & w.exited) {
        fail(format("%s: shuffle mask 0x%08x names lanes that have exited (0x%08x)", where(f).c_str(), mask, mask & w.exited));
    }
    int p = f.shuffles & 1;
    if (w.arrived[p] == 0) {
        w.mask[p] = mask;
        w.round[p] = f.shuffles;
    } else if (w.mask[p] != mask || w.round[p] != f.shuffles) {
        fail(format("%s: divergent shuffles: this lane's shuffle %u has mask 0x%08x, its warp-mates' shuffle %u mask 0x%08x", where(f).c_str(),
                    f.shuffles, mask, w.round[p], w.mask[p]));
    }
    w.slot[p][lane] = bits;
    w.arrived[p] |= bit;
    b.progress++;
    if ((w.arrived[p] & mask) == mask) {
        w.done[p] = true;
        w.done[p ^ 1] = false;
        w.arrived[p ^ 1] = 0;
    } else {
        f.state = AT_SHUFFLE;
        while (!w.done[p]) yield();
        self().state = RUNNING;
    }
    Fiber& me = self();
    me.shuffles++;
    int base = lane & ~(width - 1), src;
    switch (mode) {
        case SHFL_IDX: src = base + (arg & (width - 1)); break;
        case SHFL_XOR: src = lane ^ arg; if (src >= base + width) src = lane; break;
        case SHFL_DOWN: src = lane + arg; if (src >= base + width) src = lane; break;
        default: src = lane - arg; if (src < base) src = lane; break;
    }
    if (src < 0 || src > 31 || !(mask >> src & 1)) {
        fail(format("%s: shuffle reads lane %d, which is not in the mask 0x%08x", where(me).c_str(), src, mask));
    }
    return w.slot[p][src];
}

void* dynamic_shared() { return block->shared; }

}  // namespace dinoj_emu

extern "C" int dinoj_emu_run_grid(const dinoj_emu::KernelEntry* kernel, const dinoj_emu::LaunchShape* shape, void* const* params, char* error,
                                  size_t errorSize) {
    dinoj_emu::Grid g;
    g.kernel = kernel;
    g.shape = *shape;
    g.params = params;
    g.blocks = (long long) shape->grid[0] * shape->grid[1] * shape->grid[2];
    dinoj_emu::pool().run(g);
    if (!g.failed) return 0;
    snprintf(error, errorSize, "%s", g.error.c_str());
    return -1;
}
