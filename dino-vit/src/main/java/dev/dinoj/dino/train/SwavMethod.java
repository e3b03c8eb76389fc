package dev.dinoj.dino.train;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.SwavHead;
import dev.dinoj.dino.lineage.SwavLoss;
import dev.dinoj.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * SwAV on the trainer (Caron et al. 2020): one network, no momentum copy; every crop (the 2 global and the
 * local ones) is scored against the prototypes, the global crops' Sinkhorn-Knopp codes are predicted by
 * every other crop ({@link SwavLoss}); the prototypes are renormalised before each step and frozen for
 * the first --freeze-last-layer epochs (the trainer does the freezing). Without the reference's queue of
 * past features (which its small-batch runs switch on late in training).
 */
final class SwavMethod implements TrainingMethod {
    private final TrainConfig config;

    SwavMethod(TrainConfig config) {
        this.config = config;
    }

    @Override
    public Objective objective(DinoModel student, DinoModel teacher, List<Tensor> crops, int[] indices, int epoch, int iteration) {
        ((SwavHead) student.head()).normalizePrototypes();
        Variable scores = student.forward(crops);
        Variable loss = SwavLoss.of(scores, crops.size(), (float) config.temperatureValue(), SwavLoss.DEFAULT_EPSILON);
        return new Objective(loss, loss.item(), null, Map.of());
    }
}
