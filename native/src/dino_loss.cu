// The fused DINO cross-entropy and the teacher centre update.
//
// Inputs: student logits S [V*B, K] (crop-major: crop v's batch is rows v*B .. v*B+B-1, the 2 global
// crops first), teacher logits T [2*B, K], centre c [K], temperatures. With q = softmax((T - c)/tT)
// and log p = log_softmax(S/tS), the loss is the mean over the n = 2V - 2 pairs (a teacher global
// view a, a student view v != a) of the batch mean of -sum_k q[a,b,k] log p[v,b,k]; its gradient with
// respect to S[v,b] is (c_v * softmax(S[v,b]/tS) - sum_{a != v} q[a,b]) / (n * B * tS), where c_v
// counts the teacher views paired with v (1 for a global view, 2 for a local one).
//
// dino_teacher_probs: q, one block per teacher row (grid.x = 2B); q is the one extra buffer (teacher
//   sized, smaller than the student logits).
// dino_ce: one block per student row (grid.x = V*B): the row's max and log-sum-exp, then the row's
//   loss term (rowLoss[v*B+b], already divided by n*B) and its gradient row, in two passes over S.
// dino_sum: sums rowLoss in a fixed order (one block): the loss, deterministic.
// dino_center: c = m*c + (1-m) * mean over the 2B rows of T; one thread per column (coalesced), rows
//   summed in order.
// Row widths up to 2^31 - 1 (65536 is the reference's default); 256-512 threads per block.
#include "common.cuh"

extern "C" __global__ void dino_teacher_probs(const float* T, const float* center, float* q, int K, float invTt) {
    __shared__ float fs[32];
    __shared__ double ds[32];
    const float* row = T + (long long) blockIdx.x * K;
    float* qrow = q + (long long) blockIdx.x * K;
    float m = -INFINITY;
    for (int k = threadIdx.x; k < K; k += blockDim.x) m = fmaxf(m, (row[k] - center[k]) * invTt);
    m = block_max(m, fs);
    double s = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) s += expf((row[k] - center[k]) * invTt - m);
    float inv = (float) (1.0 / block_sum(s, ds));
    for (int k = threadIdx.x; k < K; k += blockDim.x) qrow[k] = expf((row[k] - center[k]) * invTt - m) * inv;
}

extern "C" __global__ void dino_ce(const float* S, const float* q, float* grad, float* rowLoss, int B, int K, float invTs,
                                   float invPairsB) {
    __shared__ float fs[32];
    __shared__ double ds[32];
    int rowIdx = blockIdx.x, v = rowIdx / B, b = rowIdx - v * B;
    const float* row = S + (long long) rowIdx * K;
    float* grow = grad + (long long) rowIdx * K;
    const float* q0 = q + (long long) b * K;        // teacher global view 0
    const float* q1 = q + (long long) (B + b) * K;  // teacher global view 1
    bool use0 = v != 0, use1 = v != 1;
    float count = (float) (use0 + use1);
    float m = -INFINITY;
    for (int k = threadIdx.x; k < K; k += blockDim.x) m = fmaxf(m, row[k] * invTs);
    m = block_max(m, fs);
    double s = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) s += expf(row[k] * invTs - m);
    s = block_sum(s, ds);
    float lse = m + (float) log(s);
    double loss = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) {
        float target = (use0 ? q0[k] : 0.f) + (use1 ? q1[k] : 0.f);
        float logp = row[k] * invTs - lse;
        loss -= (double) target * logp;
        grow[k] = (count * expf(logp) - target) * invTs * invPairsB;
    }
    loss = block_sum(loss, ds);
    if (threadIdx.x == 0) rowLoss[rowIdx] = (float) (loss * invPairsB);
}

extern "C" __global__ void dino_sum(const float* rowLoss, int rows, float* out) {
    __shared__ double ds[32];
    double s = 0;
    for (int r = threadIdx.x; r < rows; r += blockDim.x) s += rowLoss[r];
    s = block_sum(s, ds);
    if (threadIdx.x == 0) out[0] = (float) s;
}

extern "C" __global__ void dino_center(const float* T, float* center, int rows, int K, float momentum) {
    int k = blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= K) return;
    double s = 0;
    for (int r = 0; r < rows; ++r) s += T[(long long) r * K + k];
    center[k] = center[k] * momentum + (float) (s / rows) * (1.f - momentum);
}
