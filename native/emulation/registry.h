// A registry of host-compiled kernels: DINOJ_KERNEL(name) makes the KernelEntry of an extern "C"
// kernel from its C++ signature (parameter sizes, which are pointers, a trampoline that calls it with
// the values a CUDA argument block points at). Include after the kernels' definitions.
#pragma once
#include <string.h>

#include <type_traits>
#include <utility>

#include "scheduler.h"

namespace dinoj_emu {

template <typename T>
T argument(void* const* params, size_t i) {
    std::remove_cv_t<T> v;
    memcpy(&v, params[i], sizeof v);
    return v;
}

template <typename Signature, Signature F>
struct Trampoline;

template <typename... A, void (*F)(A...)>
struct Trampoline<void (*)(A...), F> {
    static constexpr size_t sizes[sizeof...(A) + 1] = {sizeof(A)..., 0};
    static constexpr bool pointers[sizeof...(A) + 1] = {std::is_pointer<std::decay_t<A>>::value..., false};

    static void invoke(void* const* params) { call(params, std::index_sequence_for<A...>{}); }

    template <size_t... I>
    static void call(void* const* params, std::index_sequence<I...>) {
        F(argument<A>(params, I)...);
    }

    static KernelEntry entry(const char* name) { return {name, (int) sizeof...(A), sizes, pointers, &invoke}; }
};

template <size_t N>
const KernelEntry* find(const KernelEntry (&kernels)[N], const char* name) {
    for (const auto& k : kernels) {
        if (strcmp(k.name, name) == 0) return &k;
    }
    return nullptr;
}

}  // namespace dinoj_emu

#define DINOJ_KERNEL(name) ::dinoj_emu::Trampoline<decltype(&name), &name>::entry(#name),
