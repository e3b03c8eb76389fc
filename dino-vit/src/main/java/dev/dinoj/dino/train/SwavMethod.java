package dev.dinoj.dino.train;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.SwavHead;
import dev.dinoj.dino.lineage.SwavLoss;
import dev.dinoj.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SwAV on the trainer (Caron et al. 2020): one network, no momentum copy; every crop (the 2 global and the
 * local ones) is scored against the prototypes, the global crops' Sinkhorn-Knopp codes are predicted by
 * every other crop ({@link SwavLoss}); the prototypes are renormalised before each step and frozen for
 * the first --freeze-last-layer epochs (the trainer does the freezing).
 *
 * <p>The queue (--queue-size L > 0, from epoch --queue-start-epoch): for each global crop the normalised
 * projections of the last L images, newest replacing oldest after each step, as the reference keeps for
 * batches too small to spread the codes' equal mass over K prototypes; like the reference, the codes use
 * it only once it is full (its scores are recomputed with the current prototypes every step).
 */
final class SwavMethod implements TrainingMethod {
    private final TrainConfig config;
    /** [2, L, D]: each global crop's past projections; null without a queue. */
    private RowQueue queue;
    /** The global crops' projections of the last objective, [2, B, D], queued by afterStep. */
    private Tensor pending;

    SwavMethod(TrainConfig config) {
        this.config = config;
        if (config.queueSize() > 0) {
            queue = new RowQueue(Tensor.zeros(2, config.queueSize(), config.headBottleneck), 1, false, "swav.queue", "swav.queue_next", "a SwAV run's queue");
        }
    }

    @Override
    public Objective objective(DinoModel student, DinoModel teacher, List<Tensor> crops, int[] indices, int epoch, int iteration) {
        SwavHead head = (SwavHead) student.head();
        head.normalizePrototypes();
        Variable z = head.embed(student.features(crops));
        Variable scores = head.scores(z);
        List<Tensor> past = null;
        if (queue != null && epoch >= config.queueStartEpoch) {
            int b = crops.get(0).size(0);
            Tensor rows = queue.rowsOn(z.data().device());
            if (queue.full()) past = List.of(head.scores(rows.select(0, 0)), head.scores(rows.select(0, 1)));
            pending = z.data().narrow(0, 0, 2 * b).reshape(2, b, z.size(1));
        }
        Variable loss = SwavLoss.of(scores, crops.size(), (float) config.temperatureValue(), SwavLoss.DEFAULT_EPSILON, past);
        return new Objective(loss, loss.item(), null, Map.of());
    }

    /** The last objective's global projections replace the queue's oldest rows. */
    @Override
    public void afterStep() {
        if (pending == null) return;
        queue.push(pending);
        pending = null;
    }

    @Override
    public Map<String, Tensor> state() {
        if (queue == null) return Map.of();
        Map<String, Tensor> s = new LinkedHashMap<>();
        queue.putState(s);
        return s;
    }

    @Override
    public void loadState(Map<String, Tensor> checkpoint) {
        if (queue == null) return;
        queue.loadState(checkpoint);
    }

    @Override
    public void release() {
        if (queue != null) queue.close();
    }
}
