package dev.dinoj.cuda;

import dev.dinoj.tensor.FusedAttention;
import dev.dinoj.tensor.Tensor;

/** {@link FusedAttention} over the kernels of attention.cu, for layers that know no CUDA classes. */
final class CudaFusedAttention implements FusedAttention {
    private final CudaKernels kernels;

    CudaFusedAttention(CudaKernels kernels) {
        this.kernels = kernels;
    }

    @Override
    public boolean supports(int headDim) {
        return headDim == 32 || headDim == 64 || headDim == 128;
    }

    @Override
    public Tensor[] forward(Tensor q, Tensor k, Tensor v, float scale) {
        CudaKernels.Attention a = kernels.attention(q, k, v, scale, false);
        return new Tensor[] {a.output, a.logSumExp};
    }

    @Override
    public Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor gradOut, float scale) {
        CudaKernels.AttentionGrads g = kernels.attentionBackward(q, k, v, o, lse, gradOut, scale);
        return new Tensor[] {g.dq, g.dk, g.dv};
    }

    @Override
    public Tensor probabilities(Tensor q, Tensor k, Tensor v, float scale) {
        CudaKernels.Attention a = kernels.attention(q, k, v, scale, true);
        a.output.close();
        a.logSumExp.close();
        return a.probabilities;
    }
}
