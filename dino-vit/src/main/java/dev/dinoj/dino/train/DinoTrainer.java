package dev.dinoj.dino.train;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.DinoModel;
import dev.dinoj.dino.TeacherHealth;
import dev.dinoj.dino.MomentumTeacher;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.data.Datasets;
import dev.dinoj.dino.data.MultiCropAugmentation;
import dev.dinoj.dino.data.MultiCropLoader;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.dino.eval.KnnClassifier;
import dev.dinoj.nn.AdamW;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.nn.GradClip;
import dev.dinoj.nn.ParamGroup;
import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import dev.dinoj.tensor.cpu.Gemm;
import dev.dinoj.tensor.cpu.Parallel;
import dev.dinoj.tensor.io.SafeTensors;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The trainer of every method, as the reference's train_dino: a student (backbone + head, drop-path) trained by AdamW (or
 * LARS) on its {@link TrainingMethod}'s objective over multi-crop views: DINO's cross-entropy against a momentum teacher's
 * centred, sharpened outputs, the rest of the DINO family, or the methods it grew from; learning rate (linear scaling with
 * batch/256, warm-up, cosine), weight decay (cosine) and teacher momentum (cosine to 1) per iteration; per-parameter
 * gradient clipping; the last layer (SwAV's prototypes) frozen for the first epoch(s). Each epoch ends with an atomic
 * checkpoint of everything a resumed run needs to continue bit-for-bit on the same machine and thread count.
 */
public final class DinoTrainer implements AutoCloseable {
    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String TEACHER_BACKBONE = "teacher_backbone.safetensors";
    public static final String METRICS = "metrics.jsonl";
    public static final String CHART = "metrics.png";
    private static final String FORMAT = "dinoj-dino-checkpoint/1";

    private final TrainConfig config;
    private final Path outDir;
    private final PrintStream log;
    private final ImageDataset trainData;
    private final MultiCropLoader loader;
    /** The loader of the high-resolution phase's epochs (larger global crops; null without the phase). */
    private final MultiCropLoader highResLoader;
    private final DinoModel student, teacher;
    /** The momentum teacher's EMA (null when distilling from a frozen teacher). */
    private final MomentumTeacher ema;
    /** The frozen teacher's settings when distilling (--distill-from), else null. */
    private final TrainConfig teacherConfig;
    /** The method's objective and what it keeps between steps. */
    private final TrainingMethod method;
    private final dev.dinoj.nn.Optimizer optimizer;
    /** Optimizer groups (with and without weight decay, per learning-rate multiplier) and each group's multiplier. */
    private final List<ParamGroup> decayed = new ArrayList<>();
    private final Map<ParamGroup, Double> lrMultiplier = new java.util.IdentityHashMap<>();
    private final Schedule lrSchedule, wdSchedule, momentumSchedule;
    private final Generator dropPathGenerator;
    private final Device device;
    private final int itersPerEpoch;
    private final TrainingEvaluation evaluation;
    private final RunFolderLock folderLock;
    private int startEpoch;

    /**
     * Summary of a finished run: the last loss, the headline k-NN (k = 20) at initialisation and at the
     * end (null without evaluation images), the raw-pixel k-NN of the same split, and the last epoch's
     * teacher health.
     */
    public static final class Result {
        public final int epochs;
        public final double finalLoss;
        public final KnnClassifier.Result knnAtInit, knnFinal, knnPixels;
        public final TeacherHealth health;

        Result(int epochs, double finalLoss, KnnClassifier.Result knnAtInit, KnnClassifier.Result knnFinal, KnnClassifier.Result knnPixels,
               TeacherHealth health) {
            this.epochs = epochs;
            this.finalLoss = finalLoss;
            this.knnAtInit = knnAtInit;
            this.knnFinal = knnFinal;
            this.knnPixels = knnPixels;
            this.health = health;
        }
    }

    /** A new run on the CPU writing into outDir (created if needed); an existing checkpoint there is replaced only at the end of epoch 1. */
    public DinoTrainer(TrainConfig config, Path outDir, PrintStream log) throws IOException {
        this(config, Inputs.open(requireNewRun(outDir, config, Device.CPU)), outDir, log, Device.CPU, null, null);
    }

    /** A new run on {@code device}. */
    public DinoTrainer(TrainConfig config, Path outDir, PrintStream log, Device device) throws IOException {
        this(config, Inputs.open(requireNewRun(outDir, config, device)), outDir, log, device, null, null);
    }

    /** A new run on a dataset of the caller's (config.data is then only recorded, not read). */
    public DinoTrainer(TrainConfig config, ImageDataset data, Path outDir, PrintStream log, Device device) throws IOException {
        this(config, Inputs.of(requireNewRun(outDir, config, device), data), outDir, log, device, null, null);
    }

    /**
     * What a new run checks before it touches its folder: every setting (by option name), that they fit
     * in memory, and that --out is not a file. The CLI calls it before --overwrite deletes anything.
     */
    public static void checkNewRunSettings(Path outDir, TrainConfig config, Device device) {
        config.validate(); // a bad option is the first thing to report
        config.checkResources(Runtime.getRuntime().maxMemory(), device.isCpu());
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new IllegalArgumentException("--out " + outDir + " is a file, not a folder");
        }
        if (config.distillFrom != null) {
            try {
                DistillationTeacher.config(config, null); // a bad teacher is refused before --overwrite deletes anything
            } catch (IOException e) {
                throw new IllegalArgumentException("--distill-from " + config.distillFrom + ": " + e.getMessage(), e);
            }
        }
    }

    /** The files a run writes into its folder (a new run refuses a folder holding any of them). */
    public static final java.util.List<String> OUTPUTS = java.util.List.of(CHECKPOINT, TEACHER_BACKBONE, METRICS, CHART);

    /**
     * Refuses to start a new run where one already is, before any data is read: a new run would
     * truncate its metrics and overwrite its checkpoints. Returns config.
     */
    static TrainConfig requireNewRun(Path outDir, TrainConfig config, Device device) {
        checkNewRunSettings(outDir, config, device);
        requireNoRunIn(outDir);
        return config;
    }

    private static void requireNoRunIn(Path outDir) {
        java.util.List<String> present = new java.util.ArrayList<>();
        for (String f : OUTPUTS) if (Files.exists(outDir.resolve(f))) present.add(f);
        if (!present.isEmpty()) {
            throw new IllegalArgumentException("--out " + outDir + " already holds a DINO run (" + String.join(", ", present)
                    + "): continue it with --resume, or start a new one in another folder with --out (--overwrite replaces it)");
        }
    }

    /**
     * A new run in outDir replacing the run there (--overwrite): every setting is checked first, then the
     * folder is locked, and only then are the old run's own files deleted.
     */
    public static DinoTrainer replacing(TrainConfig config, Path outDir, PrintStream log, Device device) throws IOException {
        checkNewRunSettings(outDir, config, device); // nothing is deleted for a run that would be refused
        RunFolderLock lock = RunFolderLock.acquire(outDir);
        try {
            Inputs inputs = Inputs.open(config); // unreadable data is refused before the old run is deleted
            for (String f : OUTPUTS) Files.deleteIfExists(outDir.resolve(f));
            return new DinoTrainer(config, inputs, outDir, log, device, null, lock);
        } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Models are initialised on the CPU from the seed and then moved, so that a run starts from the
     * same weights on every device.
     */
    private DinoTrainer(TrainConfig config, Inputs inputs, Path outDir, PrintStream log, Device device,
                        SafeTensors.Contents resume, RunFolderLock lock) throws IOException {
        // the folder is ours from here until close(); released again if the run cannot be set up
        this.folderLock = lock != null ? lock : RunFolderLock.acquire(outDir);
        try {
            // a new run checked the folder before it held it: another run may have finished there since
            if (resume == null && lock == null) requireNoRunIn(outDir);
            this.config = config;
            this.device = device;
            this.outDir = outDir;
            this.log = log;
            trainData = inputs.train();
            if (inputs.skipped() > 0) log.printf(Locale.ROOT, "left out %d unreadable image(s) of --data (--skip-bad-images)%n", inputs.skipped());
            evaluation = inputs.evaluation();
            Files.createDirectories(outDir);
            int stale = 0;
            for (String f : OUTPUTS) stale += dev.dinoj.tensor.io.AtomicFiles.removeStaleTemporaries(outDir, f);
            if (stale > 0) log.printf(Locale.ROOT, "removed %d temporary file(s) that interrupted writes left in %s%n", stale, outDir);
            MultiCropAugmentation aug = new MultiCropAugmentation(config.globalSize, config.localSize, config.localCrops,
                    config.globalScale, config.localScale, config.photometricRecipe());
            loader = new MultiCropLoader(trainData, aug, config.batchSize, config.workers, 2, config.seed);
            itersPerEpoch = loader.batchesPerEpoch();
            // the same images, order and seed: only the global crops' output size differs (their area scale is unchanged)
            highResLoader = config.highResEpochs == 0 ? null : new MultiCropLoader(trainData, new MultiCropAugmentation(config.highResSize,
                    config.localSize, config.localCrops, config.globalScale, config.localScale, config.photometricRecipe()), config.batchSize, config.workers, 2, config.seed);

            Networks nets = Networks.of(config, resume);
            student = nets.student();
            teacher = nets.teacher();
            teacherConfig = nets.teacherConfig();
            if (config.posEmbed.startsWith("sincos")) student.vit().useSinCosPosEmbed(config.posEmbed.equals("sincos"));
            dropPathGenerator = new Generator(config.seed ^ 0x5DEECE66DL);
            student.setGenerator(dropPathGenerator);
            ema = teacherConfig == null && teacher != null ? new MomentumTeacher(student, teacher) : null;
            // the teacher runs in training mode, as the reference's: it has no dropout or drop-path, and a head
            // with batch norm normalises with the batch's statistics, as the student's does
            if (teacher != null) teacher.train(true);
            student.to(device);
            if (teacher != null) teacher.to(device);

            method = TrainingMethod.of(config, trainData.size());
            List<ParamGroup> groups = parameterGroups(config, student.namedParameters(), config.resnet() ? 0 : config.vit().depth);
            if (config.optimizer.equals("lars")) {
                // the references leave biases and normalisation weights (the no-decay groups) out of LARS's adaptation
                java.util.Set<String> excluded = new java.util.HashSet<>();
                for (ParamGroup g : groups) if (!decayed.contains(g)) excluded.addAll(g.params().keySet());
                optimizer = new dev.dinoj.nn.Lars(groups, dev.dinoj.nn.Lars.DEFAULT_MOMENTUM, dev.dinoj.nn.Lars.DEFAULT_ETA, excluded);
            } else {
                optimizer = new AdamW(groups, 0.9f, 0.999f, 1e-8f);
            }
            double scaledLr = config.lr * config.batchSize / 256.0;
            lrSchedule = Schedule.warmupCosine(scaledLr, config.minLr, config.epochs, itersPerEpoch, config.warmupEpochs, 0);
            wdSchedule = Schedule.warmupCosine(config.weightDecay, config.weightDecayEnd, config.epochs, itersPerEpoch, 0, 0);
            momentumSchedule = Schedule.warmupCosine(config.momentumTeacher, 1.0, config.epochs, itersPerEpoch, 0, 0);

            if (resume != null) {
                try (TensorScope loading = TensorScope.open()) {
                    restore(resume);
                }
            }
            } catch (IOException | RuntimeException | Error e) {
            folderLock.close();
            throw e;
        }
    }

    /** The student, the teacher (null for the methods without one) and, when distilling, the frozen teacher's settings. */
    private record Networks(DinoModel student, DinoModel teacher, TrainConfig teacherConfig) {
        /**
         * The method's networks, initialised on the CPU from the seed in a fixed order (student, then teacher), so that a run starts
         * from the same weights on every device; a distilled run's frozen teacher comes from its source (resuming: from the checkpoint).
         */
        static Networks of(TrainConfig config, SafeTensors.Contents resume) throws IOException {
            int width = config.embedDim();
            Generator init = new Generator(config.seed);
            TrainConfig.Method m = config.method();
            if (m == TrainConfig.Method.INSTDISC) { // a Linear to the 128-d (--head-bottleneck) features, the paper's, then (--use-bn-in-head) a batch norm
                return new Networks(new DinoModel(config.backbone(init, false), new dev.dinoj.dino.MlpHead(width, config.headHidden, config.headBottleneck,
                        1, false, config.useBnInHead, init)), null, null);
            }
            if (m == TrainConfig.Method.SWAV) {
                return new Networks(new DinoModel(config.backbone(init, false), new dev.dinoj.dino.SwavHead(width, config.headHidden, config.headBottleneck,
                        config.outDim, init)), null, null);
            }
            if (m.lineage()) { // projector and predictor; a momentum copy (no predictor) for BYOL and MoCo v2/v3, none for the others
                DinoModel student = new DinoModel(config.backbone(init, false), TwoViewMethod.projector(config, width, init), null,
                        TwoViewMethod.predictor(config, init));
                return new Networks(student, m.momentumTeacher() ? new DinoModel(config.backbone(init, true), TwoViewMethod.projector(config, width, init))
                        : null, null);
            }
            DinoModel student = new DinoModel(config.backbone(init, false), SelfDistillation.head(config, width, init),
                    SelfDistillation.patchHead(config, width, init));
            if (config.distillFrom == null) {
                return new Networks(student, new DinoModel(config.backbone(init, true), SelfDistillation.head(config, width, init),
                        SelfDistillation.patchHead(config, width, init)), null);
            }
            // a frozen pretrained teacher: its architecture from the source (or, resuming, from this run's checkpoint), its weights
            // from the source (resuming: restored with everything else)
            TrainConfig teacherConfig = DistillationTeacher.config(config, resume);
            DinoModel teacher = DistillationTeacher.build(teacherConfig, config);
            if (resume == null) DistillationTeacher.loadWeights(teacher, Path.of(config.distillFrom));
            return new Networks(student, teacher, teacherConfig);
        }
    }

    /**
     * The optimizer's groups: with and without weight decay for each learning-rate multiplier (layer-wise
     * decay, DINOv2's get_vit_lr_decay_rate: block i at decay^(depth - i), the embeddings and tokens at
     * decay^(depth + 1), the final norm and the heads at 1; the patch embedding also x --patch-embed-lr-mult).
     * With both off, the two groups of before, in the same order.
     */
    private List<ParamGroup> parameterGroups(TrainConfig c, Map<String, dev.dinoj.autograd.Variable> named, int depth) {
        Map<Double, Map<String, dev.dinoj.autograd.Variable>> byMultiplier = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
        named.forEach((name, v) -> byMultiplier.computeIfAbsent(lrMultiplier(c, name, depth), k -> new LinkedHashMap<>()).put(name, v));
        List<ParamGroup> groups = new ArrayList<>();
        for (Map.Entry<Double, Map<String, dev.dinoj.autograd.Variable>> e : byMultiplier.entrySet()) {
            ParamGroup[] pair = ParamGroup.decayAndNoDecay(e.getValue(), 0, c.weightDecay);
            for (ParamGroup g : pair) {
                if (g.params().isEmpty() && byMultiplier.size() > 1) continue;
                groups.add(g);
                lrMultiplier.put(g, e.getKey());
            }
            decayed.add(pair[0]);
        }
        return groups;
    }

    static double lrMultiplier(TrainConfig c, String name, int depth) {
        double m = 1;
        if (c.layerDecay != 1) {
            String p = name.startsWith("backbone.") ? name.substring("backbone.".length()) : null;
            int layer = depth + 1; // the final norm and everything outside the backbone
            if (p != null) {
                if (p.startsWith("blocks.")) layer = Integer.parseInt(p.split("\\.")[1]) + 1;
                else if (p.startsWith("patch_embed") || p.equals("pos_embed") || p.equals("cls_token") || p.equals("mask_token")
                        || p.equals("register_tokens")) layer = 0;
            }
            m = Math.pow(c.layerDecay, depth + 1 - layer);
        }
        if (name.startsWith("backbone.patch_embed")) m *= c.patchEmbedLrMult;
        return m;
    }

    /** Continues, on the CPU, the run whose checkpoint is in outDir, with the configuration saved there. */
    public static DinoTrainer resume(Path outDir, PrintStream log) throws IOException {
        return resume(outDir, log, Device.CPU);
    }

    /** Continues the run whose checkpoint is in outDir on {@code device} (which may differ from the one it started on). */
    public static DinoTrainer resume(Path outDir, PrintStream log, Device device) throws IOException {
        return resume(outDir, log, device, saved -> saved);
    }

    /**
     * Continues the run in outDir with its saved settings as {@code adjust} returns them (the command
     * line extends a run by raising its epochs; see TrainCommand).
     */
    public static DinoTrainer resume(Path outDir, PrintStream log, Device device, java.util.function.UnaryOperator<TrainConfig> adjust)
            throws IOException {
        Path ckpt = outDir.resolve(CHECKPOINT);
        if (!Files.exists(ckpt)) {
            throw new IOException("cannot resume: no checkpoint " + ckpt + " (train without --resume to start a new run)");
        }
        RunFolderLock lock = RunFolderLock.acquire(outDir); // before the finished-run repair writes anything
        try {
            SafeTensors.Contents c = SafeTensors.read(ckpt);
            if (!FORMAT.equals(c.metadata().get("format"))) {
                throw new IOException("cannot resume from " + ckpt + ": it is not a dinoj DINO training checkpoint (format "
                        + c.metadata().get("format") + ")");
            }
            TrainConfig saved;
            try {
                saved = TrainConfig.fromJson(metadata(c, "config", ckpt));
                saved.validate();
            } catch (IllegalArgumentException e) {
                throw new IOException("cannot resume from " + ckpt + ": its saved settings are unusable (" + e.getMessage() + ")", e);
            }
            int done = intMetadata(c, "epoch", ckpt);
            String gen = metadata(c, "drop_path_generator", ckpt);
            if (!gen.matches("-?\\d+:-?\\d+")) throw new IOException("cannot resume from " + ckpt + ": metadata drop_path_generator '" + gen + "' is not seed:offset");
            try {
                Long.parseLong(gen.split(":")[0]);
                Long.parseLong(gen.split(":")[1]);
            } catch (NumberFormatException e) {
                throw new IOException("cannot resume from " + ckpt + ": metadata drop_path_generator '" + gen + "' is out of range");
            }
            TrainConfig config = adjust.apply(saved);
            config.validate();
            config.checkResources(Runtime.getRuntime().maxMemory(), device.isCpu());
            if (done < 0) throw new IOException("cannot resume from " + ckpt + ": metadata epoch " + done + " is negative");
            if (done >= config.epochs) { // before any data is read
                List<String> rewritten = rewriteFinalOutputs(c, outDir, saved);
                if (!rewritten.isEmpty()) throw new RunFinished(outDir, done, rewritten);
                throw finished(outDir, done, config.epochs);
            }
            try {
                return new DinoTrainer(config, Inputs.open(config), outDir, log, device, c, lock);
            } catch (IllegalArgumentException e) {
                throw new IOException("cannot resume from " + ckpt + ": " + e.getMessage(), e);
            }
            } catch (IOException | RuntimeException | Error e) {
            lock.close();
            throw e;
        }
    }

    private static String metadata(SafeTensors.Contents c, String key, Path ckpt) throws IOException {
        String v = c.metadata().get(key);
        if (v == null) throw new IOException("cannot resume from " + ckpt + ": its metadata has no " + key + " (not written by dinoj, or edited)");
        return v;
    }

    private static int intMetadata(SafeTensors.Contents c, String key, Path ckpt) throws IOException {
        String v = metadata(c, key, ckpt);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IOException("cannot resume from " + ckpt + ": metadata " + key + " '" + v + "' is not a whole number");
        }
    }

    /**
     * The checked settings' data: the evaluation images are opened before the training images, so a bad
     * option or evaluation path is reported before a large dataset is read, and nothing is written yet.
     */
    /** The training images, the evaluation, and how many unreadable images --skip-bad-images left out. */
    private record Inputs(ImageDataset train, TrainingEvaluation evaluation, int skipped) {
        Inputs(ImageDataset train, TrainingEvaluation evaluation) {
            this(train, evaluation, 0);
        }

        static Inputs open(TrainConfig c) throws IOException {
            c.validate();
            TrainingEvaluation flags = TrainingEvaluation.fromFlags(c);
            ImageDataset train = c.data.equals("synthetic") ? new SyntheticShapes(c.syntheticImages, c.syntheticSize, c.seed)
                    : Datasets.open(Path.of(c.data), "train");
            int before = train.size();
            if (train instanceof dev.dinoj.dino.data.ImageFolder) train = readable((dev.dinoj.dino.data.ImageFolder) train, c.skipBadImages);
            return new Inputs(train, TrainingEvaluation.create(c, train, flags), before - train.size());
        }

        /**
         * The folder's images whose headers read, checked before training so that one bad file does not
         * stop a run mid-epoch: all unreadable ones are listed, then refused, or left out with --skip-bad-images.
         */
        private static ImageDataset readable(dev.dinoj.dino.data.ImageFolder folder, boolean skip) {
            Map<Integer, String> bad = folder.unreadable();
            if (bad.isEmpty()) return folder;
            if (skip) return folder.without(bad.keySet());
            StringBuilder list = new StringBuilder();
            int shown = 0;
            for (String why : bad.values()) {
                if (shown++ == 10) {
                    list.append("; ...");
                    break;
                }
                list.append(shown > 1 ? "; " : "").append(why);
            }
            throw new IllegalArgumentException(bad.size() + " of the " + folder.size() + " images in --data " + folder.root() + " cannot be read: "
                    + list + ". Fix or remove them, or train without them with --skip-bad-images");
        }

        /** With a dataset of the caller's. */
        static Inputs of(TrainConfig c, ImageDataset data) throws IOException {
            c.validate();
            return new Inputs(data, TrainingEvaluation.create(c, data, TrainingEvaluation.fromFlags(c)));
        }
    }

    public TrainConfig config() {
        return config;
    }

    public DinoModel student() {
        return student;
    }

    public DinoModel teacher() {
        return teacher;
    }

    public int iterationsPerEpoch() {
        return itersPerEpoch;
    }

    /** Resuming a run that has trained all its epochs, after rewriting the final outputs an interruption left missing. */
    public static final class RunFinished extends IllegalArgumentException {
        public final List<String> rewritten;

        RunFinished(Path outDir, int done, List<String> rewritten) {
            super("the run in " + outDir + " has trained all its " + done + " epochs; rewrote its missing " + String.join(" and ", rewritten)
                    + " (--epochs N, N > " + done + ", trains it further)");
            this.rewritten = rewritten;
        }
    }

    /** The teacher backbone and the chart of a finished run, written again where missing (a kill during the final writes). */
    private static List<String> rewriteFinalOutputs(SafeTensors.Contents c, Path outDir, TrainConfig saved) throws IOException {
        List<String> rewritten = new ArrayList<>();
        if (!Files.exists(outDir.resolve(TEACHER_BACKBONE))) {
            Map<String, Tensor> backbone = new LinkedHashMap<>();
            c.tensors().forEach((k, v) -> {
                String prefix = "student".equals(c.metadata().get("result_backbone")) ? "student.backbone." : "teacher.backbone.";
                if (k.startsWith(prefix)) backbone.put(k.substring(prefix.length()), v);
            });
            Map<String, String> meta = new LinkedHashMap<>();
            meta.putAll(saved.backboneMetadata());
            meta.put("source", "dinoj DINO teacher backbone");
            SafeTensors.write(outDir.resolve(TEACHER_BACKBONE), backbone, meta);
            rewritten.add(TEACHER_BACKBONE);
        }
        if (!Files.exists(outDir.resolve(CHART)) && Files.exists(outDir.resolve(METRICS))) {
            TrainingCharts.write(outDir.resolve(METRICS), outDir.resolve(CHART));
            rewritten.add(CHART);
        }
        return rewritten;
    }

    private static IllegalArgumentException finished(Path outDir, int done, int epochs) {
        return new IllegalArgumentException("the run in " + outDir + " has trained " + done + " epochs" + (done == epochs ? ", all it was set to" : "")
                + ": resume it with --epochs N, N > " + done + ", to train it further");
    }

    /** Trains from the current epoch to the configured number of epochs. */
    public Result run() throws IOException {
        return run(config.epochs);
    }

    /**
     * Trains from the current epoch up to (not including) epoch {@code stopEpoch}, checkpointing each
     * epoch; stopping early leaves a run that {@link #resume} continues exactly.
     */
    public Result run(int stopEpoch) throws IOException {
        if (startEpoch >= config.epochs) throw finished(outDir, startEpoch, config.epochs);
        if (stopEpoch <= startEpoch || stopEpoch > config.epochs) {
            throw new IllegalArgumentException("run: stop epoch " + stopEpoch + " must be in (" + startEpoch + ", " + config.epochs + "]");
        }
        log.printf(Locale.ROOT, "%s: %s, head out_dim %d, %d crops (%d px global, %d px local, %s photometric), %d images, batch %d, %d iterations/epoch%n",
                config.method().label(), config.describeBackbone(), config.method().simplified() || (config.method().lineage() && config.method() != TrainConfig.Method.SWAV) ? config.headBottleneck : config.outDim, 2 + config.localCrops, config.globalSize, config.localSize, config.photometricRecipe().name(), trainData.size(),
                config.batchSize, itersPerEpoch);
        log.printf(Locale.ROOT, "student: %,d parameters; device: %s; output: %s%n", student.parameterCount(), device, outDir.toAbsolutePath());
        // the GEMM kernel measured at start-up (tile and blocking), so a slow machine's log says what ran
        if (device.isCpu()) log.printf(Locale.ROOT, "CPU: %d threads, GEMM kernel %s%n", Parallel.threads(), Gemm.kernelName());
        TrainingEvaluation eval = evaluation;
        KnnClassifier.Result atInit = null, last = null, pixels = null;
        TeacherHealth lastHealth = null;
        double lastLoss = Double.NaN;
        try (MetricsLog metrics = new MetricsLog(outDir.resolve(METRICS), startEpoch == 0 ? -1 : (long) startEpoch * itersPerEpoch)) {
            if (eval == null) {
                log.println("no k-NN evaluation: give --eval-train and --eval-val (labelled images) to see whether the features beat raw pixels");
            } else {
                log.println("k-NN evaluation: " + eval.description());
                if (startEpoch == 0) {
                    TrainingEvaluation.Result px = eval.pixelBaseline(config.globalSize);
                    pixels = px.headline();
                    TrainingEvaluation.Result init = eval.evaluate(evaluated().backbone());
                    atInit = init.headline();
                    log.println("k-NN at random initialisation: " + init);
                    log.println("k-NN on raw pixels (the baseline to beat): " + px);
                    metrics.write(px.record("knn_pixels", 0, 0));
                    metrics.write(init.record("knn", 0, 0));
                }
            }
            ProgressLine progress = new ProgressLine(log);
            long runStart = System.nanoTime();
            int doneIters = 0, totalIters = (stopEpoch - startEpoch) * itersPerEpoch;
            for (int epoch = startEpoch; epoch < stopEpoch; epoch++) {
                long epochStart = System.nanoTime();
                double lossSum = 0;
                int step = 0;
                List<TeacherHealth> epochHealth = new ArrayList<>();
                Map<String, Double> epochTerms = new LinkedHashMap<>();
                student.train(true);
                if (config.highResolution(epoch) && (epoch == startEpoch || !config.highResolution(epoch - 1))) {
                    log.printf(Locale.ROOT, "epoch %d/%d: high-resolution phase, %d px global crops (position embedding interpolated)%n",
                            epoch + 1, config.epochs, config.highResSize);
                }
                for (MultiCropLoader.Batch batch : (config.highResolution(epoch) ? highResLoader : loader).epoch(epoch, 0)) {
                    int it = epoch * itersPerEpoch + step;
                    long t0 = System.nanoTime();
                    StepResult sr = trainStep(batch.crops, batch.indices, epoch, it);
                    double l = sr.loss();
                    if (!Double.isFinite(l)) {
                        progress.finish("");
                        throw new TrainingDivergedException(String.format(Locale.ROOT,
                                "the loss became %s at epoch %d, step %d; training stopped. %s", l, epoch + 1, step + 1,
                                epoch == 0 ? "No checkpoint was written." : "The last good checkpoint (end of epoch " + epoch + ") is intact at "
                                        + outDir.resolve(CHECKPOINT) + "."));
                    }
                    lossSum += l;
                    lastLoss = l;
                    if (sr.health() != null) epochHealth.add(sr.health());
                    sr.terms().forEach((k, v) -> epochTerms.merge(k, v, Double::sum));
                    step++;
                    doneIters++;
                    double secs = (System.nanoTime() - t0) / 1e9;
                    double elapsed = (System.nanoTime() - runStart) / 1e9;
                    double ips = config.batchSize / secs;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("type", "step");
                    rec.put("epoch", epoch + 1);
                    rec.put("step", step);
                    rec.put("iteration", it);
                    rec.put("loss", l);
                    rec.put("lr", lrSchedule.at(it));
                    rec.put("weight_decay", wdSchedule.at(it));
                    rec.put("teacher_momentum", momentumSchedule.at(it));
                    rec.putAll(method.scheduled(epoch));
                    if (sr.health() != null) healthFields(rec, sr.health());
                    rec.putAll(sr.terms());
                    rec.put("images_per_s", ips);
                    metrics.write(rec);
                    double eta = elapsed / doneIters * (totalIters - doneIters);
                    progress.update(String.format(Locale.ROOT, "epoch %d/%d step %d/%d | loss %.4f | lr %.2e | momentum %.5f | %.1f img/s | ETA %s",
                            epoch + 1, config.epochs, step, itersPerEpoch, l, lrSchedule.at(it), momentumSchedule.at(it), ips,
                            ProgressLine.duration(eta)));
                }
                double epochSecs = (System.nanoTime() - epochStart) / 1e9;
                lastHealth = epochHealth.isEmpty() ? null : TeacherHealth.mean(epochHealth);
                int steps = step;
                epochTerms.replaceAll((k, v) -> v / steps);
                progress.finish(String.format(Locale.ROOT, "epoch %d/%d done: mean loss %.4f, %s, %.1f img/s; %s", epoch + 1, config.epochs,
                        lossSum / step, ProgressLine.duration(epochSecs), step * config.batchSize / epochSecs,
                        lastHealth != null ? lastHealth : describeTerms(epochTerms)));
                String warning = lastHealth == null ? null : lastHealth.collapseWarning();
                if (warning != null) log.println(warning);
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("type", "epoch");
                rec.put("epoch", epoch + 1);
                rec.put("iteration", (epoch + 1) * itersPerEpoch - 1);
                rec.put("mean_loss", lossSum / step);
                if (lastHealth != null) healthFields(rec, lastHealth);
                epochTerms.forEach((k, v) -> rec.put("mean_" + k, v));
                if (warning != null) rec.put("warning", warning);
                rec.put("seconds", epochSecs);
                metrics.write(rec);
                boolean lastEpoch = epoch == config.epochs - 1;
                if (eval != null && ((epoch + 1) % config.knnEvery == 0 || lastEpoch)) {
                    TrainingEvaluation.Result r = eval.evaluate(evaluated().backbone());
                    last = r.headline();
                    log.println("k-NN after epoch " + (epoch + 1) + ": " + r + (pixels != null
                            ? String.format(Locale.ROOT, " (raw pixels: %.2f%%)", 100 * pixels.top1) : ""));
                    metrics.write(r.record("knn", epoch + 1, (epoch + 1) * itersPerEpoch - 1));
                }
                saveCheckpoint(epoch + 1);
                TrainingCharts.write(metrics.path(), outDir.resolve(CHART));
            }
        }
        saveTeacherBackbone(outDir.resolve(TEACHER_BACKBONE));
        startEpoch = stopEpoch;
        return new Result(stopEpoch, lastLoss, atInit, last, pixels, lastHealth);
    }

    /** SimDINO's epoch line: "distance 0.412, coding rate 12.3 (gamma 0.012)". */
    private static String describeTerms(Map<String, Double> terms) {
        if (terms.isEmpty()) return "";
        StringBuilder sb = new StringBuilder();
        terms.forEach((k, v) -> {
            if (k.equals("gamma")) return;
            sb.append(sb.length() == 0 ? "" : ", ").append(k.replace('_', ' ')).append(String.format(Locale.ROOT, " %.4f", v));
        });
        if (terms.containsKey("gamma")) sb.append(String.format(Locale.ROOT, " (gamma %.4g)", terms.get("gamma")));
        return sb.toString();
    }

    private static void healthFields(Map<String, Object> rec, TeacherHealth h) {
        rec.put("teacher_entropy", h.teacherEntropy());
        rec.put("teacher_batch_mean_entropy", h.marginalEntropy());
        rec.put("teacher_information", h.information());
        rec.put("ln_out_dim", h.maxEntropy());
        rec.put("kl_student_teacher", h.klStudentTeacher());
        rec.put("center_norm", h.centerNorm());
    }

    public Device device() {
        return device;
    }

    /**
     * One iteration on a batch of crops (the 2 global crops first, on any device): the method's objective
     * (teacher and student forward, losses), backward, clipping, optimizer step, EMA and the method's
     * update (centres). Returns the loss and the teacher's health figures; a non-finite loss is returned
     * (health null) without updating anything. Every tensor the step creates
     * (activations, gradients, temporaries) is closed before it returns.
     */
    public StepResult trainStep(List<Tensor> crops, int epoch, int it) {
        return trainStep(crops, null, epoch, it);
    }

    /** As {@link #trainStep(List, int, int)} on the dataset images {@code indices} (which InstDisc's memory bank needs). */
    public StepResult trainStep(List<Tensor> crops, int[] indices, int epoch, int it) {
        try (TensorScope step = TensorScope.open()) {
            List<Tensor> onDevice = new java.util.ArrayList<>(crops.size());
            for (Tensor c : crops) onDevice.add(c.to(device));
            return trainStepInScope(onDevice, indices, epoch, it);
        } finally {
            optimizer.zeroGrad(); // the gradients were closed with the step's scope
        }
    }

    private StepResult trainStepInScope(List<Tensor> crops, int[] indices, int epoch, int it) {
        for (ParamGroup g : optimizer.groups()) g.setLr(lrSchedule.at(it) * lrMultiplier.get(g));
        for (ParamGroup g : decayed) g.setWeightDecay(wdSchedule.at(it)); // the no-decay groups stay at 0
        TrainingMethod.Objective objective = method.objective(student, teacher, crops, indices, epoch, it);
        if (!Double.isFinite(objective.value()) || !Double.isFinite(objective.loss().item())) {
            return new StepResult(objective.value(), null, Map.of()); // nothing updated: the caller stops the run
        }
        optimizer.zeroGrad();
        objective.loss().backward();
        if (config.clipGrad > 0) GradClip.perParameter(student.parameters(), config.clipGrad);
        if (epoch < config.freezeLastLayer) {
            student.namedParameters().forEach((name, p) -> {
                if (name.contains("last_layer") || name.startsWith("head.prototypes.")) p.zeroGrad(); // DINO's last layer, SwAV's prototypes
            });
        }
        optimizer.step();
        if (ema != null) {
            try (GradMode.Scope ignored = GradMode.disabled()) {
                ema.update(momentumSchedule.at(it));
            }
        }
        method.afterStep();
        return new StepResult(objective.value(), objective.health(), objective.terms());
    }

    private void saveCheckpoint(int epochsDone) throws IOException {
        try (TensorScope saving = TensorScope.open()) { // the state copies
            writeCheckpoint(epochsDone);
        }
    }

    private void writeCheckpoint(int epochsDone) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        all.putAll(Checkpoint.prefixed("student", student.stateDict()));
        if (teacher != null) all.putAll(Checkpoint.prefixed("teacher", teacher.stateDict()));
        all.putAll(Checkpoint.prefixed("optimizer", optimizer.stateDict()));
        all.putAll(method.state());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("epoch", Integer.toString(epochsDone));
        meta.put("iteration", Long.toString((long) epochsDone * itersPerEpoch));
        meta.put("drop_path_generator", dropPathGenerator.seed() + ":" + dropPathGenerator.offset());
        meta.putAll(config.backboneMetadata());
        meta.put("config", config.toJson());
        if (teacherConfig != null) meta.put(DistillationTeacher.METADATA, teacherConfig.toJson());
        if (evaluated() == student) meta.put("result_backbone", "student"); // what knn/linear/embed evaluate in this checkpoint
        SafeTensors.write(outDir.resolve(CHECKPOINT), all, meta);
    }

    private void restore(SafeTensors.Contents c) {
        Map<String, Tensor> t = c.tensors();
        student.loadStateDict(Checkpoint.section(t, "student"), true);
        if (teacher != null) teacher.loadStateDict(Checkpoint.section(t, "teacher"), true);
        optimizer.loadStateDict(Checkpoint.section(t, "optimizer"));
        method.loadState(t);
        String[] gen = c.metadata().get("drop_path_generator").split(":");
        dropPathGenerator.setState(Long.parseLong(gen[0]), Long.parseLong(gen[1]));
        startEpoch = Integer.parseInt(c.metadata().get("epoch"));
        log.printf(Locale.ROOT, "resuming after epoch %d of %d%n", startEpoch, config.epochs);
    }

    /**
     * The model whose backbone is the run's result: the momentum teacher, or, when distilling, the student
     * (the frozen teacher is where it came from).
     */
    public DinoModel evaluated() {
        return teacherConfig == null && !config.method().resultIsStudent() ? teacher : student;
    }

    /** The teacher backbone alone, under the reference names, with num_heads in the metadata (for embed/knn/attention). */
    public void saveTeacherBackbone(Path file) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.putAll(config.backboneMetadata());
        meta.put("source", "dinoj DINO teacher backbone");
        Checkpoint.save(file, evaluated().backbone(), meta);
    }

    /** Stops the data loader; on a GPU also releases the models, the optimizer state and the centre (none can be used afterwards). */
    @Override
    public void close() {
        try {
            loader.close();
            if (highResLoader != null) highResLoader.close();
            if (!device.isCpu()) {
                // device memory is never left to the garbage collector: the models, the optimizer state and
                // the centre go back to the allocator now (the models cannot be used after close)
                for (DinoModel m : teacher == null ? List.of(student) : List.of(student, teacher)) m.stateDict().values().forEach(Tensor::close);
                optimizer.clearState();
                method.release();
            }
        } finally {
            folderLock.close();
        }
    }

    /** What one iteration reports: its loss, DINO's teacher health (null for SimDINO) and the objective's named terms. */
    public record StepResult(double loss, TeacherHealth health, Map<String, Double> terms) {}
}
