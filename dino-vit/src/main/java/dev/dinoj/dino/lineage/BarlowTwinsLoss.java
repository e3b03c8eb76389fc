package dev.dinoj.dino.lineage;

import dev.dinoj.autograd.Variable;

/**
 * Barlow Twins (Zbontar et al. 2021): the two views' projections are each standardised over the batch
 * (per feature: mean 0, biased variance 1, eps 1e-5: a batch norm without affine), their cross-correlation
 * C = z1n^T z2n / N [D, D] is driven to the identity: loss = sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2
 * (the authors' lambda 0.0051). Both views receive gradients.
 */
public final class BarlowTwinsLoss {
    public static final float DEFAULT_LAMBDA = 0.0051f;

    private BarlowTwinsLoss() {}

    public static Variable of(Variable z1, Variable z2, float lambda) {
        Losses.requirePairs("Barlow Twins", z1, z2);
        if (!(lambda >= 0)) throw new IllegalArgumentException("Barlow Twins: lambda must be >= 0, got " + lambda);
        int n = z1.size(0), d = z1.size(1);
        if (n < 2) throw new IllegalArgumentException("Barlow Twins: standardising over the batch needs at least 2 images, got " + n);
        Variable c = standardise(z1).transpose(0, 1).matmul(standardise(z2)).div((float) n);
        Variable diagonal = c.diagonal();
        Variable onDiagonal = diagonal.sub(1f).square().sum();
        Variable offDiagonal = c.square().sum().sub(diagonal.square().sum());
        return onDiagonal.add(offDiagonal.mul(lambda));
    }

    private static Variable standardise(Variable z) {
        Variable centred = z.sub(z.mean(0, true));
        return centred.mul(centred.square().mean(0, true).add(1e-5f).rsqrt());
    }
}
