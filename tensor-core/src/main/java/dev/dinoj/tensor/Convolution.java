package dev.dinoj.tensor;

/**
 * A 2-D convolution as one op, as torch.nn.functional.conv2d (square kernel, stride, zero padding,
 * dilation, groups), on channels-last tokens: x [B, H*W, in] (positions row-major, as a ViT's patch
 * tokens and the ResNets' activations), weight [out, in / groups, k, k] (torch's layout), optional
 * bias [out]; the output is [B, OH*OW, out]. Every backend has one ({@link Backend#convolution()}):
 * {@link ReferenceConvolution} (im2col by one gather + one GEMM) is the CPU's, the fallback of the
 * others, and the oracle their kernels are tested against; CUDA's is cuDNN's.
 */
public interface Convolution {
    /** The inputs and the geometry; checked here once, so implementations may assume them consistent. */
    record Args(Tensor x, int height, int width, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        public Args {
            if (stride <= 0 || padding < 0 || dilation <= 0 || groups <= 0) {
                throw new IllegalArgumentException("convolution: stride, dilation and groups must be positive and padding >= 0, got stride " + stride
                        + ", padding " + padding + ", dilation " + dilation + ", groups " + groups);
            }
            if (weight.rank() != 4 || weight.size(2) != weight.size(3)) {
                throw new IllegalArgumentException("convolution: weight must be [out, in / groups, k, k], got " + weight.shape());
            }
            int in = weight.size(1) * groups;
            if (x.rank() != 3 || height <= 0 || width <= 0 || x.size(1) != height * width || x.size(2) != in) {
                throw new IllegalArgumentException("convolution: input must be [B, " + height + "*" + width + ", " + in + "], got " + x.shape());
            }
            if (weight.size(0) % groups != 0) {
                throw new IllegalArgumentException("convolution: " + weight.size(0) + " output channels are not divisible by groups " + groups);
            }
            if (bias != null && (bias.rank() != 1 || bias.size(0) != weight.size(0))) {
                throw new IllegalArgumentException("convolution: bias must be [" + weight.size(0) + "], got " + bias.shape());
            }
            if (!x.device().equals(weight.device()) || (bias != null && !x.device().equals(bias.device()))) {
                throw new IllegalArgumentException("convolution: input, weight and bias must be on one device");
            }
            if (x.dtype() != DType.FLOAT32 || weight.dtype() != DType.FLOAT32 || (bias != null && bias.dtype() != DType.FLOAT32)) {
                throw new IllegalArgumentException("convolution: input, weight and bias must be float32");
            }
            int k = weight.size(2);
            if (ConvTaps.outputSize(height, k, stride, padding, dilation) <= 0 || ConvTaps.outputSize(width, k, stride, padding, dilation) <= 0) {
                throw new IllegalArgumentException("convolution: input " + height + "x" + width + " is smaller than the kernel " + k
                        + (dilation > 1 ? " dilated " + dilation : "") + " with padding " + padding);
            }
        }

        public int batch() {
            return x.size(0);
        }

        public int kernel() {
            return weight.size(2);
        }

        public int inChannels() {
            return x.size(2);
        }

        public int outChannels() {
            return weight.size(0);
        }

        public int outHeight() {
            return ConvTaps.outputSize(height, kernel(), stride, padding, dilation);
        }

        public int outWidth() {
            return ConvTaps.outputSize(width, kernel(), stride, padding, dilation);
        }
    }

    /** What a forward keeps for its backward; each implementation has its own. */
    interface Saved {}

    /** The output [B, OH*OW, out] (contiguous) and what the backward needs. */
    record Forward(Tensor output, Saved saved) {}

    /** The gradients of x, weight and bias in their shapes; null where not asked for (or no bias). */
    record Grads(Tensor dx, Tensor dweight, Tensor dbias) {}

    Forward forward(Args args);

    /**
     * The gradients from the forward's result and the gradient of its output ([B, OH*OW, out], any
     * strides); only those asked for are computed.
     */
    Grads backward(Args args, Forward forward, Tensor gradOut, boolean input, boolean weight, boolean bias);
}
