package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

/**
 * The coding rate of features Z [b, d] (rows the samples): R_eps(Z) = 1/2 logdet(I_d + d / (b eps^2) Z^T Z),
 * the number of nats needed to code Z up to precision eps (Ma et al. 2007; SimDINO's expansion term,
 * Wu et al. 2025). It grows as the rows spread over more directions, so maximising it keeps features
 * from collapsing. Computed through the smaller Gram matrix: logdet(I_d + c Z^T Z) = logdet(I_b + c Z Z^T)
 * (Sylvester's determinant identity), b x b when the batch is narrower than the features.
 */
public final class CodingRate {
    private CodingRate() {}

    /** R_eps(Z) for Z [b, d], differentiable (a scalar). */
    public static Variable of(Variable z, float eps) {
        if (z.rank() != 2 || z.size(0) < 1 || z.size(1) < 1) {
            throw new IllegalArgumentException("coding rate: features must be [b >= 1, d >= 1], got " + z.shape());
        }
        if (!(eps > 0) || !Float.isFinite(eps)) throw new IllegalArgumentException("coding rate: eps must be positive and finite, got " + eps);
        int b = z.size(0), d = z.size(1);
        float c = d / (b * eps * eps);
        boolean rows = b <= d;
        Variable gram = rows ? z.matmul(z.transpose(0, 1)) : z.transpose(0, 1).matmul(z);
        Tensor identity = Tensor.eye(rows ? b : d, z.data().device());
        return Variable.constant(identity).add(gram.mul(c)).logdetSpd().mul(0.5f);
    }
}
