// The emulated device's interface to the stand-in driver: find a host-compiled kernel by name, run a
// grid of it. Shared by kernels_host.cpp (the registry, the scheduler) and driver.cpp (libcuda).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace dinoj_emu {

// One kernel: its name, its parameters as the C++ signature declares them, and a trampoline that
// calls it with arguments read from a CUDA-style argument block (params[i] points at argument i).
struct KernelEntry {
    const char* name;
    int nparams;
    const size_t* sizes;
    const bool* pointer;  // parameter i is a pointer (checked against device allocations by the driver)
    void (*invoke)(void* const* params);
};

struct LaunchShape {
    unsigned int grid[3], block[3];
    size_t dynamicShared;
};

}  // namespace dinoj_emu

extern "C" {
// The kernel called `name`, or null.
const dinoj_emu::KernelEntry* dinoj_emu_find_kernel(const char* name);
// Runs every block of the grid to completion (blocks on several OS threads, threads of a block as
// fibers). Returns 0, or -1 with a message in `error` when a thread broke a rule of the CUDA model
// (a shuffle mask naming exited or missing lanes, divergent barriers).
int dinoj_emu_run_grid(const dinoj_emu::KernelEntry* kernel, const dinoj_emu::LaunchShape* shape, void* const* params, char* error,
                       size_t errorSize);
}
