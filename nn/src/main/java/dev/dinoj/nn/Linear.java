package dev.dinoj.nn;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;

/** y = x W^T + b over the last dimension; weight [out, in], bias [out]; PyTorch's default init. */
public final class Linear extends Module {
    private final int in, out;
    private final Variable weight, bias;

    public Linear(int in, int out, boolean bias, Generator g) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: sizes must be positive, got " + in + " -> " + out);
        this.in = in;
        this.out = out;
        this.weight = registerParameter("weight", Init.pytorchDefault(Tensor.empty(out, in), in, g));
        this.bias = bias ? registerParameter("bias", Init.pytorchDefault(Tensor.empty(out), in, g)) : null;
    }

    public Variable weight() {
        return weight;
    }

    public Variable bias() {
        return bias;
    }

    @Override
    public Variable forward(Variable x) {
        if (x.rank() == 0 || x.size(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input shape " + x.shape() + " does not end in " + in);
        }
        int[] outDims = x.dims();
        outDims[outDims.length - 1] = out;
        Variable flat = x.rank() == 2 ? x : x.reshape(-1, in);
        Variable y = bias == null ? flat.matmul(weight.transpose(0, 1)) : flat.matmul(weight.transpose(0, 1), bias);
        return x.rank() == 2 ? y : y.reshape(outDims);
    }
}
