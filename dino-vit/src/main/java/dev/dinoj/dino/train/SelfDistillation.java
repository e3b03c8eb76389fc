package dev.dinoj.dino.train;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoHead;
import dev.dinoj.dino.DinoLoss;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.IbotPatchLoss;
import dev.dinoj.dino.KoLeoLoss;
import dev.dinoj.dino.PatchAlignmentLoss;
import dev.dinoj.dino.PatchLoss;
import dev.dinoj.dino.SimDinoHead;
import dev.dinoj.dino.SimDinoLoss;
import dev.dinoj.dino.TeacherHealth;
import dev.dinoj.dino.TeacherStudentLoss;
import dev.dinoj.dino.data.BlockMasking;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.nn.Module;
import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DINO family on one objective: the cls term of the student's crops against the teacher's global
 * crops (DINO's cross-entropy over prototypes, or SimDINO's distance and coding rate), for DINOv2 and
 * SimDINOv2 a patch term at the patches masked in the student's global crops (iBOT's cross-entropy, or
 * SimDINOv2's alignment), and KoLeo on the student's global cls features where weighted:
 * loss = cls + ibot_weight * patch + koleo_weight * (KoLeo(crop 1) + KoLeo(crop 2)).
 */
final class SelfDistillation implements TrainingMethod {
    private final TrainConfig config;
    private final TeacherStudentLoss clsLoss;
    /** The masked-patch term and the masks of the global crops, at the training and the high-resolution sizes (null without). */
    private final PatchLoss patchLoss;
    private final BlockMasking masking, highResMasking;
    /** The teacher outputs of the last objective, for {@link #afterStep} (the step's scope owns them). */
    private Tensor teacherOut, teacherPatches;

    SelfDistillation(TrainConfig config) {
        this.config = config;
        int crops = 2 + config.localCrops;
        DinoLoss.Centering centering = config.method().simplified() ? null : DinoLoss.Centering.parse(config.centering);
        clsLoss = config.method().simplified()
                ? new SimDinoLoss(crops, config.codingRateEps, config.codingRateGammaValue(), SimDinoLoss.RateOf.parse(config.codingRateOf))
                : new DinoLoss(config.outDim, crops, (float) config.studentTemp, teacherTemperature(config), (float) config.centerMomentum, centering);
        if (!config.method().masksPatches()) {
            patchLoss = null;
        } else if (config.method().simplified()) {
            patchLoss = new PatchAlignmentLoss();
        } else {
            patchLoss = new IbotPatchLoss(config.ibotPrototypes(), (float) config.studentTemp, teacherTemperature(config),
                    (float) config.centerMomentum, centering);
        }
        int grid = config.globalSize / config.patchSize, highGrid = config.highResSize / config.patchSize;
        masking = patchLoss == null ? null : masking(config, grid);
        highResMasking = patchLoss == null || config.highResEpochs == 0 ? null : masking(config, highGrid);
    }

    private static BlockMasking masking(TrainConfig c, int grid) {
        return new BlockMasking(grid, grid, c.maskRatio[0], c.maskRatio[1], c.maskProbability);
    }

    /** The teacher temperature per epoch: linear warm-up from --warmup-teacher-temp, then constant. */
    private static Schedule teacherTemperature(TrainConfig c) {
        return Schedule.warmupCosine(c.teacherTemp, c.teacherTemp, c.epochs, 1, c.warmupTeacherTempEpochs, c.warmupTeacherTemp);
    }

    /** The method's projection head: DINO's (MLP, normalisation, prototypes) or SimDINO's (MLP, normalisation). */
    static Module head(TrainConfig c, int embedDim, Generator init) {
        if (c.method().simplified()) return new SimDinoHead(embedDim, c.headHidden, c.headBottleneck, c.useBnInHead, init);
        return new DinoHead(embedDim, c.outDim, c.headHidden, c.headBottleneck, c.normLastLayer, c.useBnInHead, init);
    }

    /** The separate patch head of a masking method (null for the others, or when the heads are tied). */
    static Module patchHead(TrainConfig c, int embedDim, Generator init) {
        if (!c.method().masksPatches() || !c.ibotSeparateHead) return null;
        if (c.method().simplified()) return new SimDinoHead(embedDim, c.headHidden, c.headBottleneck, c.useBnInHead, init);
        return new DinoHead(embedDim, c.ibotPrototypes(), c.headHidden, c.headBottleneck, c.normLastLayer, c.useBnInHead, init);
    }

    @Override
    public Objective objective(DinoModel student, DinoModel teacher, List<Tensor> crops, int[] indices, int epoch, int iteration) {
        Tensor first = crops.get(0);
        StepMasks masks = masking == null ? null
                : StepMasks.draw(first.size(3) == config.globalSize ? masking : highResMasking, first.size(0), config.seed, iteration, first.device());
        teacherPatches = null;
        // the teacher's intermediates are garbage as soon as its output exists: a scope of their own
        // returns their memory before the student's forward needs it
        try (GradMode.Scope ignored = GradMode.disabled(); TensorScope teacherPass = TensorScope.open()) {
            if (masks == null) {
                teacherOut = teacher.forward(crops.subList(0, 2)).data();
            } else {
                DinoModel.MaskedOutput t = teacher.forwardMasked(crops.subList(0, 2), null, masks.index());
                teacherOut = t.logits().data();
                if (t.patchLogits() != null) {
                    teacherPatches = t.patchLogits().data();
                    if (teacherPass.owns(teacherPatches)) teacherPass.keep(teacherPatches);
                }
            }
            if (teacherPass.owns(teacherOut)) teacherPass.keep(teacherOut);
        }
        Variable studentFeatures, studentLogits, studentPatches = null;
        if (masks == null) {
            DinoModel.Output o = student.forwardWithFeatures(crops);
            studentFeatures = o.features();
            studentLogits = o.logits();
        } else {
            DinoModel.MaskedOutput o = student.forwardMasked(crops, masks.masks(), masks.index());
            studentFeatures = o.features();
            studentLogits = o.logits();
            studentPatches = o.patchLogits();
        }
        Variable l = clsLoss.forward(studentLogits, teacherOut, epoch);
        double value = l.item();
        double patchValue = Double.NaN;
        if (studentPatches != null) {
            // weighted as the reference; its value is logged apart, as the cls term's
            Variable patch = patchLoss.forward(studentPatches, teacherPatches, masks.weights(), 2 * first.size(0), epoch);
            patchValue = patch.item();
            l = l.add(patch.mul((float) config.ibotWeight));
        }
        if (config.koleoWeight > 0) {
            // DINOv2: the weighted sum of KoLeo over the global crops' cls features, each crop's batch on its own
            int b = first.size(0);
            Variable k = KoLeoLoss.of(studentFeatures.narrow(0, 0, b)).add(KoLeoLoss.of(studentFeatures.narrow(0, b, b)));
            l = l.add(k.mul((float) config.koleoWeight));
        }
        if (!Double.isFinite(value) || !Double.isFinite(l.item())) return new Objective(l, value, null, Map.of());
        TeacherHealth health = clsLoss.health(teacherOut, epoch, value);
        Map<String, Double> terms = new LinkedHashMap<>(clsLoss.terms());
        if (masks != null) {
            terms.put("ibot", Double.isNaN(patchValue) ? 0.0 : patchValue);
            terms.put("masked_patches", (double) masks.index().size(0));
        }
        return new Objective(l, value, health, terms);
    }

    @Override
    public void afterStep() {
        if (teacherOut == null) throw new IllegalStateException("afterStep without an objective");
        clsLoss.afterStep(teacherOut);
        if (teacherPatches != null) patchLoss.afterStep(teacherPatches);
        teacherOut = teacherPatches = null;
    }

    @Override
    public Map<String, Number> scheduled(int epoch) {
        return clsLoss instanceof DinoLoss ? Map.of("teacher_temp", ((DinoLoss) clsLoss).teacherTemperature(epoch)) : Map.of();
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> all = new LinkedHashMap<>(Checkpoint.prefixed("dino_loss", clsLoss.state()));
        if (patchLoss != null) all.putAll(Checkpoint.prefixed("ibot_loss", patchLoss.state()));
        return all;
    }

    @Override
    public void loadState(Map<String, Tensor> checkpoint) {
        if (patchLoss instanceof IbotPatchLoss && !checkpoint.containsKey("ibot_loss.center")) {
            throw new IllegalArgumentException("checkpoint has no ibot_loss.center (a DINOv2 run's iBOT centre)");
        }
        if (patchLoss != null) patchLoss.loadState(Checkpoint.section(checkpoint, "ibot_loss"));
        try {
            clsLoss.loadState(Checkpoint.section(checkpoint, "dino_loss"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint: " + e.getMessage() + " (dino_loss.*)", e);
        }
    }

    @Override
    public void release() {
        clsLoss.release();
        if (patchLoss != null) patchLoss.release();
    }
}
