package dev.dinoj.dino.train;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The frozen teacher of a distillation run (--distill-from, DINOv2's recipe for small models): the
 * teacher (backbone and heads) of a finished dinoj training run, of any size, whose outputs the student
 * learns to match with its method's loss; it is never updated. Its settings are the source run's, and
 * are saved in the distilled run's checkpoints so that a resumed run rebuilds it without the source.
 */
final class DistillationTeacher {
    static final String METADATA = "distill_teacher_config";

    private DistillationTeacher() {}

    /** The teacher's settings: from the resumed checkpoint's metadata, else from the source checkpoint, checked against the student's. */
    static TrainConfig config(TrainConfig student, SafeTensors.Contents resume) throws IOException {
        TrainConfig t;
        if (resume != null && resume.metadata().containsKey(METADATA)) {
            t = TrainConfig.fromJson(resume.metadata().get(METADATA));
        } else {
            t = TrainConfig.fromJson(source(Path.of(student.distillFrom)).metadata().get("config"));
        }
        t.validate();
        checkCompatible(t, student);
        return t;
    }

    private static SafeTensors.Contents source(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--distill-from " + file + ": no such file");
        SafeTensors.Contents c = SafeTensors.read(file);
        if (!"dinoj-dino-checkpoint/1".equals(c.metadata().get("format")) || !c.metadata().containsKey("config")) {
            throw new IllegalArgumentException("--distill-from " + file + " is not a dinoj training checkpoint (the teacher's heads give the targets;"
                    + " a backbone-only file has none)");
        }
        return c;
    }

    /** The teacher's heads must give outputs of the student's widths, for the student's kind of loss. */
    private static void checkCompatible(TrainConfig t, TrainConfig s) {
        TrainConfig.Method tm = t.method(), sm = s.method();
        if (tm.simplified() != sm.simplified()) {
            throw new IllegalArgumentException("--distill-from: the teacher was trained with --method " + t.method + ", whose head "
                    + (tm.simplified() ? "gives normalised features" : "gives distributions over prototypes") + "; --method " + s.method + " needs "
                    + (sm.simplified() ? "normalised features" : "prototypes") + " (distil with a method of the teacher's kind)");
        }
        int tw = tm.simplified() ? t.headBottleneck : t.outDim, sw = sm.simplified() ? s.headBottleneck : s.outDim;
        if (tw != sw) {
            String option = sm.simplified() ? "--head-bottleneck" : "--out-dim";
            throw new IllegalArgumentException("--distill-from: the teacher's head gives " + tw + " outputs, the student's " + option + " is " + sw
                    + ": they must match");
        }
        if (sm.masksPatches()) {
            if (!tm.masksPatches()) {
                throw new IllegalArgumentException("--distill-from: --method " + s.method + " has a patch term, but the teacher (--method " + t.method
                        + ") has no patch head");
            }
            if (!sm.simplified() && t.ibotPrototypes() != s.ibotPrototypes()) {
                throw new IllegalArgumentException("--distill-from: the teacher's iBOT head gives " + t.ibotPrototypes() + " outputs, the student's "
                        + s.ibotPrototypes() + " (--ibot-out-dim): they must match");
            }
        }
        if (t.globalSize % t.patchSize != 0 || s.globalSize % t.patchSize != 0) {
            throw new IllegalArgumentException("--distill-from: the student's --global-size " + s.globalSize + " is not a multiple of the teacher's patch "
                    + t.patchSize);
        }
    }

    /** The teacher model of these settings (weights to be loaded), frozen: no gradients, in training mode as a momentum teacher runs. */
    static DinoModel build(TrainConfig t, TrainConfig student) {
        Generator g = new Generator(0);
        int width = t.embedDim();
        DinoModel m = new DinoModel(t.backbone(g, true), SelfDistillation.head(t, width, g), SelfDistillation.patchHead(t, width, g));
        for (Variable p : m.parameters()) p.requiresGrad(false);
        return m;
    }

    /** The source run's teacher weights. */
    static void loadWeights(DinoModel teacher, Path file) {
        try {
            Map<String, Tensor> all = source(file).tensors();
            teacher.loadStateDict(Checkpoint.section(all, "teacher"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("--distill-from " + file + ": " + e.getMessage(), e);
        }
    }
}
