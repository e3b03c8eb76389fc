// Philox4x32-10 random tensors, bit-identical to tensor-core's Philox/CpuBackend.random: element i of
// a tensor drawn at counter offset `offset` uses block offset + i / perBlock (perBlock = 4 words per
// block, or 2 elements per block for NORMAL, which consumes two words per value by Box-Muller's cosine
// branch in double precision). Counter = (low32(block), high32(block), 0, 0), key = seed.
// One thread per counter block; out is contiguous.
#include "common.cuh"

namespace {
__device__ __forceinline__ void philox(unsigned long long seed, unsigned long long block, unsigned int w[4]) {
    unsigned int c0 = (unsigned int) block, c1 = (unsigned int) (block >> 32), c2 = 0, c3 = 0;
    unsigned int k0 = (unsigned int) seed, k1 = (unsigned int) (seed >> 32);
    for (int r = 0; r < 10; ++r) {
        unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    w[0] = c0; w[1] = c1; w[2] = c2; w[3] = c3;
}
__device__ __forceinline__ float uniform(unsigned int w) { return (w >> 8) * (1.0f / 16777216.0f); }
__device__ __forceinline__ float uniform_open_zero(unsigned int w) { return ((w >> 8) + 1) * (1.0f / 16777216.0f); }
}  // namespace

// Java's RandomDistribution, in the same order (checked by cuda-kernels' KernelSignaturesTest):
// uniform [a, b), normal (mean a, std b), bernoulli (p = a).
enum class RandomDistribution { UNIFORM, NORMAL, BERNOULLI };

extern "C" __global__ void random_philox(int distCode, unsigned long long seed, unsigned long long offset, float a, float b,
                                         float* out, long long n) {
    const RandomDistribution dist = (RandomDistribution) distCode;
    int perBlock = dist == RandomDistribution::NORMAL ? 2 : 4;
    long long blocks = (n + perBlock - 1) / perBlock;
    DINOJ_FOR(blk, blocks) {
        unsigned int w[4];
        philox(seed, offset + (unsigned long long) blk, w);
        for (int q = 0; q < perBlock; ++q) {
            long long idx = blk * perBlock + q;
            if (idx >= n) break;
            float v;
            if (dist == RandomDistribution::UNIFORM) {
                v = a + (b - a) * uniform(w[q]);
            } else if (dist == RandomDistribution::NORMAL) {
                double r = sqrt(-2.0 * log((double) uniform_open_zero(w[2 * q])));
                v = a + b * (float) (r * cos(6.283185307179586 * (double) uniform(w[2 * q + 1])));
            } else {
                v = uniform(w[q]) < a ? 1.f : 0.f;
            }
            out[idx] = v;
        }
    }
}
