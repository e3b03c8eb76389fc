package dev.dinoj.dino.train;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.MlpHead;
import dev.dinoj.dino.lineage.BarlowTwinsLoss;
import dev.dinoj.dino.lineage.ByolLoss;
import dev.dinoj.dino.lineage.MocoLoss;
import dev.dinoj.dino.lineage.NtXentLoss;
import dev.dinoj.dino.lineage.SimSiamLoss;
import dev.dinoj.nn.Module;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two-view methods DINO grew from, on the same trainer: each image's two augmented views go through
 * the student (backbone, projector, for BYOL, SimSiam and MoCo v3 a predictor), each view on its own as
 * their references do (a batch norm sees one view's batch), and
 * <ul>
 * <li>BYOL (Grill et al. 2020): predictions against the momentum teacher's projections of the other view, 2 - 2 cos, both ways;
 * <li>SimSiam (Chen and He 2021): predictions against the student's own projections of the other view, stop-gradient, -cos;
 * <li>MoCo v3 (Chen, Xie, He 2021): predictions against the momentum teacher's projections of the other view, in-batch InfoNCE x 2t, both ways;
 * <li>SimCLR (Chen et al. 2020): NT-Xent between the two views' projections, every other image a negative;
 * <li>Barlow Twins (Zbontar et al. 2021): the cross-correlation of the two views' standardised projections driven to the identity;
 * <li>MoCo v2 (Chen et al. 2020): the first view's projection (the query) against the momentum teacher's of the second (its key)
 * and a queue of the keys of past batches, InfoNCE; the batch's keys then replace the queue's oldest (as the reference: one
 * direction, a 2-layer projector without batch norm).
 * </ul>
 * Projector and predictor shapes follow each paper (layers, batch norms) at the widths --head-hidden and
 * --head-bottleneck; SimSiam's predictor narrows to a quarter of the projection, as its paper's 2048-512-2048.
 */
final class TwoViewMethod implements TrainingMethod {
    private final TrainConfig config;
    private final TrainConfig.Method kind;
    /** MoCo v2's queue of past keys [K, D] (unit rows); null for the others. */
    private RowQueue queue;
    /** The keys of the last objective, enqueued by afterStep. */
    private Tensor pendingKeys;

    TwoViewMethod(TrainConfig config) {
        if (!config.method().lineage()) throw new IllegalArgumentException("two-view method: --method " + config.method + " is not one");
        this.config = config;
        this.kind = config.method();
        if (kind == TrainConfig.Method.MOCOV2) {
            // the reference starts from random unit keys
            Tensor q = Tensor.randn(new Generator(config.seed ^ 0x6D6F636FL), config.queueSize(), config.headBottleneck);
            queue = new RowQueue(q.normalize(1, 1e-12f), 0, true, "moco.queue", "moco.queue_start", "a MoCo v2 run's queue");
        }
    }

    /**
     * The projector: BYOL, SimCLR and MoCo v2 2 layers, SimSiam, MoCo v3, Barlow Twins 3; batch norm after the hidden layers but
     * in MoCo v2's; a last batch norm in SimSiam's, MoCo v3's and SimCLR's (its authors' code normalises both layers, where the
     * paper's equation shows none; non-affine here, theirs keeps a scale).
     */
    static Module projector(TrainConfig c, int embedDim, Generator g) {
        TrainConfig.Method m = c.method();
        int layers = m == TrainConfig.Method.BYOL || m == TrainConfig.Method.SIMCLR || m == TrainConfig.Method.MOCOV2 ? 2 : 3;
        boolean simclrBn = m == TrainConfig.Method.SIMCLR && c.simclrProjectorBn;
        boolean lastBn = m == TrainConfig.Method.SIMSIAM || m == TrainConfig.Method.MOCOV3 || simclrBn;
        boolean hiddenBn = m != TrainConfig.Method.MOCOV2 && (m != TrainConfig.Method.SIMCLR || simclrBn);
        return new MlpHead(embedDim, c.headHidden, c.headBottleneck, layers, hiddenBn, lastBn, g);
    }

    /** The student's predictor (null for the methods without one): 2 layers; SimSiam's hidden width a quarter of the projection's. */
    static Module predictor(TrainConfig c, Generator g) {
        TrainConfig.Method m = c.method();
        if (!m.predictor()) return null;
        int hidden = m == TrainConfig.Method.SIMSIAM ? Math.max(1, c.headBottleneck / 4) : c.headHidden;
        return new MlpHead(c.headBottleneck, hidden, c.headBottleneck, 2, true, m == TrainConfig.Method.MOCOV3, g);
    }

    @Override
    public Objective objective(DinoModel student, DinoModel teacher, List<Tensor> crops, int[] indices, int epoch, int iteration) {
        if (crops.size() != 2) throw new IllegalArgumentException(kind.label() + ": needs the 2 views of each image, got " + crops.size() + " crops");
        if (kind == TrainConfig.Method.MOCOV2) return mocoV2(student, teacher, crops);
        DinoModel.Output o1 = student.forwardWithFeatures(crops.subList(0, 1)), o2 = student.forwardWithFeatures(crops.subList(1, 2));
        Variable z1 = o1.logits(), z2 = o2.logits();
        Variable loss;
        switch (kind) {
            case SIMCLR:
                loss = NtXentLoss.of(z1, z2, (float) config.temperatureValue());
                break;
            case BARLOWTWINS:
                loss = BarlowTwinsLoss.of(z1, z2, (float) config.barlowLambda);
                break;
            case SIMSIAM:
                loss = SimSiamLoss.of(student.predictor().forward(z1), student.predictor().forward(z2), z1, z2);
                break;
            default: { // BYOL, MoCo v3: against the momentum teacher's projections
                Variable p1 = student.predictor().forward(z1), p2 = student.predictor().forward(z2);
                Tensor k1, k2;
                try (GradMode.Scope ignored = GradMode.disabled(); TensorScope teacherPass = TensorScope.open()) {
                    k1 = teacherPass.keep(teacher.forward(crops.subList(0, 1)).data());
                    k2 = teacherPass.keep(teacher.forward(crops.subList(1, 2)).data());
                }
                loss = kind == TrainConfig.Method.BYOL ? ByolLoss.symmetric(p1, p2, k1, k2)
                        : MocoLoss.inBatch(p1, k2, (float) config.temperatureValue()).add(MocoLoss.inBatch(p2, k1, (float) config.temperatureValue()));
            }
        }
        double value = loss.item();
        if (config.koleoWeight > 0) {
            // not in these methods' papers: KoLeo on each view's backbone features, as the DINO recipe spreads them (the small
            // ViTs of the README collapse to a few dimensions without it)
            Variable k = dev.dinoj.dino.KoLeoLoss.of(o1.features()).add(dev.dinoj.dino.KoLeoLoss.of(o2.features()));
            loss = loss.add(k.mul((float) config.koleoWeight));
        }
        if (!Double.isFinite(value) || !Double.isFinite(loss.item())) return new Objective(loss, value, null, Map.of());
        Map<String, Double> terms = new LinkedHashMap<>();
        try (GradMode.Scope ignored = GradMode.disabled()) {
            // how alike the two views' projections are (1: identical directions): collapse shows as 1 with a flat k-NN
            terms.put("view_cosine", (double) z1.data().normalize(1, 1e-12f).mul(z2.data().normalize(1, 1e-12f)).sum(1, false).mean().item());
        }
        return new Objective(loss, value, null, terms);
    }

    /** MoCo v2: the query of view 1 against the key of view 2 and the queue. */
    private Objective mocoV2(DinoModel student, DinoModel teacher, List<Tensor> crops) {
        Variable q = student.forward(crops.subList(0, 1));
        Tensor k;
        try (GradMode.Scope ignored = GradMode.disabled(); TensorScope teacherPass = TensorScope.open()) {
            Tensor raw = teacher.forward(crops.subList(1, 2)).data();
            k = teacherPass.keep(raw.normalize(1, 1e-12f));
        }
        Variable loss = MocoLoss.withQueue(q, k, queue.rowsOn(k.device()), (float) config.temperatureValue());
        pendingKeys = k;
        return new Objective(loss, loss.item(), null, Map.of());
    }

    /** MoCo v2: the last objective's keys overwrite the queue's oldest rows. */
    @Override
    public void afterStep() {
        if (queue == null || pendingKeys == null) return;
        queue.push(pendingKeys);
        pendingKeys = null;
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
