package dev.dinoj.dino.train;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.lineage.InstDiscLoss;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.List;
import java.util.Map;

/**
 * Instance discrimination (Wu et al. 2018) on the trainer: one augmented view of each image (the first
 * global crop), its 128-d normalised projection (a Linear head) classified among all the training images
 * by the non-parametric softmax against a memory bank of their past features ({@link InstDiscLoss},
 * t 0.07 unless --temperature); after the step each image's entry becomes normalise(0.5 entry + 0.5 feature).
 * The bank starts uniform in +-1/sqrt(D/3), as the reference's, and is checkpointed.
 */
final class InstDiscMethod implements TrainingMethod {
    static final float BANK_MOMENTUM = 0.5f;

    private final TrainConfig config;
    private Tensor bank;
    /** The features and images of the last objective, written into the bank by afterStep. */
    private Tensor pendingFeatures;
    private int[] pendingIndices;

    InstDiscMethod(TrainConfig config, int images) {
        if (images < 1) throw new IllegalArgumentException("InstDisc: needs a dataset, got " + images + " images");
        this.config = config;
        int d = config.headBottleneck;
        float stdv = (float) (1 / Math.sqrt(d / 3.0));
        bank = TensorScope.escape(Tensor.rand(new Generator(config.seed ^ 0x696E7374L), images, d).mul(2 * stdv).sub(stdv));
    }

    @Override
    public Objective objective(DinoModel student, DinoModel teacher, List<Tensor> crops, int[] indices, int epoch, int iteration) {
        if (indices == null) throw new IllegalArgumentException("InstDisc: each step needs the dataset indices of its images");
        Variable v = student.forward(crops.subList(0, 1)).normalize(-1, 1e-12f);
        if (!bank.device().equals(v.data().device())) {
            Tensor moved = TensorScope.escape(bank.to(v.data().device()));
            bank.close();
            bank = moved;
        }
        Variable loss = InstDiscLoss.of(v, bank, indices, (float) config.temperatureValue());
        pendingFeatures = v.data();
        pendingIndices = indices.clone();
        return new Objective(loss, loss.item(), null, Map.of());
    }

    @Override
    public void afterStep() {
        if (pendingFeatures == null) return;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor index = Tensor.fromIndices(pendingIndices).to(bank.device());
            Tensor mixed = bank.indexSelect(0, index).mul(BANK_MOMENTUM).add(pendingFeatures.mul(1 - BANK_MOMENTUM));
            Tensor unit = mixed.normalize(1, 1e-12f);
            for (int i = 0; i < pendingIndices.length; i++) bank.narrow(0, pendingIndices[i], 1).copyFrom(unit.narrow(0, i, 1));
        }
        pendingFeatures = null;
        pendingIndices = null;
    }

    @Override
    public Map<String, Tensor> state() {
        return Map.of("instdisc.memory", bank);
    }

    @Override
    public void loadState(Map<String, Tensor> checkpoint) {
        Tensor m = checkpoint.get("instdisc.memory");
        if (m == null) throw new IllegalArgumentException("checkpoint has no instdisc.memory (an InstDisc run's memory bank)");
        if (!m.shape().equals(bank.shape())) {
            throw new IllegalArgumentException("checkpoint: instdisc.memory is " + m.shape() + ", not " + bank.shape() + " (the dataset changed size?)");
        }
        bank.copyFrom(m.to(bank.device()));
    }

    @Override
    public void release() {
        bank.close();
    }
}
