package dev.dinoj.dino.cli;

import dev.dinoj.dino.train.DinoTrainer;
import dev.dinoj.dino.train.TrainConfig;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.cpu.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"DINO pre-training on an image folder or the built-in synthetic shapes.",
            "Defaults are the small CPU configuration; reference values are noted where they differ."})
final class TrainCommand implements Callable<Integer> {
    private final TrainConfig d = new TrainConfig();

    @Option(names = "--data", description = "'synthetic' or a folder of images (class sub-folders optional)")
    String data = d.data;
    @Option(names = "--synthetic-images", description = "number of synthetic training images")
    int syntheticImages = d.syntheticImages;
    @Option(names = "--synthetic-size", description = "side of the synthetic images in pixels")
    int syntheticSize = d.syntheticSize;
    @Option(names = "--eval-images", description = "held-out synthetic images for k-NN during training (0: none)")
    int evalImages = d.evalImages;
    @Option(names = "--eval-train", description = "labelled images (class sub-folders, IDX or CIFAR files) used as the k-NN bank during training")
    String evalTrain;
    @Option(names = "--eval-val", description = "labelled held-out images classified by k-NN during training (with --eval-train)")
    String evalVal;
    @Option(names = "--arch", description = "custom, vit_tiny, vit_small or vit_base")
    String arch = d.arch;
    @Option(names = "--width", description = "embedding width of the custom ViT")
    int width = d.width;
    @Option(names = "--depth", description = "number of blocks of the custom ViT")
    int depth = d.depth;
    @Option(names = "--heads", description = "attention heads of the custom ViT")
    int heads = d.heads;
    @Option(names = "--patch", description = "patch size in pixels (reference: 16 at 224 px)")
    int patch = d.patchSize;
    @Option(names = "--pos-embed", description = "position embedding: learned (reference), sincos (fixed 2-D sine-cosine, as MoCo v3) or sincos-learned")
    String posEmbed = d.posEmbed;
    @Option(names = "--stem", description = "how images become tokens: patch (the reference's patchify layer), conv (3x3 stride-2 convs"
            + " with batch norm, then 1x1: Xiao et al. 2021; patch must be a power of two) or conv-ln (the same with LayerNorm)")
    String stem = d.stem;
    @Option(names = "--drop-path", description = "stochastic depth rate of the student")
    float dropPath = d.dropPath;
    @Option(names = "--out-dim", description = "DINO head output dimension (reference: 65536)")
    int outDim = d.outDim;
    @Option(names = "--head-hidden", description = "DINO head hidden width (reference: 2048)")
    int headHidden = d.headHidden;
    @Option(names = "--head-bottleneck", description = "DINO head bottleneck width (reference: 256)")
    int headBottleneck = d.headBottleneck;
    @Option(names = "--norm-last-layer", arity = "1", description = "freeze the weight-norm gain of the last layer at 1")
    boolean normLastLayer = d.normLastLayer;
    @Option(names = "--use-bn-in-head", arity = "1", description = "batch norm after the head's hidden layers (reference option use_bn_in_head)")
    boolean useBnInHead = d.useBnInHead;
    @Option(names = "--global-size", description = "global crop size in pixels (reference: 224)")
    int globalSize = d.globalSize;
    @Option(names = "--local-size", description = "local crop size in pixels (reference: 96)")
    int localSize = d.localSize;
    @Option(names = "--local-crops", description = "number of local crops (reference: 8)")
    int localCrops = d.localCrops;
    @Option(names = "--global-scale", split = ",", description = "global crop area range")
    double[] globalScale = d.globalScale;
    @Option(names = "--local-scale", split = ",", description = "local crop area range")
    double[] localScale = d.localScale;
    @Option(names = "--epochs", description = "training epochs")
    int epochs = d.epochs;
    @Option(names = "--batch-size", description = "images per batch")
    int batchSize = d.batchSize;
    @Option(names = "--lr", description = "peak learning rate for batch 256 (scaled by batch/256)")
    double lr = d.lr;
    @Option(names = "--min-lr", description = "learning rate at the end of the cosine")
    double minLr = d.minLr;
    @Option(names = "--warmup-epochs", description = "epochs of linear learning-rate warm-up (reference: 10)")
    int warmupEpochs = d.warmupEpochs;
    @Option(names = "--weight-decay", description = "weight decay at the start of the cosine")
    double weightDecay = d.weightDecay;
    @Option(names = "--weight-decay-end", description = "weight decay at the end of the cosine")
    double weightDecayEnd = d.weightDecayEnd;
    @Option(names = "--clip-grad", description = "per-parameter gradient norm clip (0: off)")
    double clipGrad = d.clipGrad;
    @Option(names = "--freeze-last-layer", description = "epochs during which the head's last layer is not trained")
    int freezeLastLayer = d.freezeLastLayer;
    @Option(names = "--momentum-teacher", description = "teacher EMA momentum, raised to 1 on a cosine")
    double momentumTeacher = d.momentumTeacher;
    @Option(names = "--teacher-temp", description = "teacher temperature after warm-up (long reference runs warm 0.04 up to 0.07)")
    double teacherTemp = d.teacherTemp;
    @Option(names = "--warmup-teacher-temp", description = "initial teacher temperature")
    double warmupTeacherTemp = d.warmupTeacherTemp;
    @Option(names = "--warmup-teacher-temp-epochs", description = "epochs of teacher-temperature warm-up (reference: 30)")
    int warmupTeacherTempEpochs = d.warmupTeacherTempEpochs;
    @Option(names = "--student-temp", description = "student temperature")
    double studentTemp = d.studentTemp;
    @Option(names = "--center-momentum", description = "EMA momentum of the teacher centre")
    double centerMomentum = d.centerMomentum;
    @Option(names = "--centering", description = "teacher centering: ema (DINO's running centre) or sinkhorn (DINOv2's Sinkhorn-Knopp, 3 iterations)")
    String centering = d.centering;
    @Option(names = "--koleo-weight", description = "weight of DINOv2's KoLeo regulariser, which spreads the student's cls features"
            + " of each global crop's batch (0: off, as DINO; DINOv2: 0.1); the logged loss is the DINO loss alone")
    double koleoWeight = d.koleoWeight;
    @Option(names = "--seed", description = "random seed (data order, augmentation, initialisation, drop-path)")
    long seed = d.seed;
    @Option(names = "--workers", description = "data loading threads")
    int workers = d.workers;
    @Option(names = "--knn-every", description = "k-NN evaluation every N epochs (and at the end)")
    int knnEvery = d.knnEvery;
    @Option(names = "--threads", description = "compute threads (default: all processors)")
    Integer threads;
    @Option(names = "--device", description = "cpu, cuda, cuda:N, or auto (the GPU when one works, else the CPU)")
    String device = "auto";
    @Option(names = {"--output", "-o"}, description = "folder for checkpoints, metrics and charts")
    Path output = Path.of("runs", "dino");
    @Option(names = "--resume", description = "continue the run in --output from its last checkpoint, with its saved settings")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setThreads(threads);
        Device dev = Device.parse(device);
        try (DinoTrainer trainer = resume ? DinoTrainer.resume(output, System.out, dev) : new DinoTrainer(config(), output, System.out, dev)) {
            DinoTrainer.Result r = trainer.run();
            System.out.printf(Locale.ROOT, "finished %d epochs; final loss %.4f%n", r.epochs, r.finalLoss);
            if (r.knnFinal != null) {
                System.out.println("k-NN top-1 (k=20) of the teacher backbone: " + pct(r.knnFinal) + (r.knnAtInit != null ? "; at random initialisation: "
                        + pct(r.knnAtInit) : "") + (r.knnPixels != null ? "; raw pixels: " + pct(r.knnPixels) : ""));
            }
            System.out.println("wrote " + output.resolve(DinoTrainer.CHECKPOINT) + ", " + output.resolve(DinoTrainer.TEACHER_BACKBONE) + ", "
                    + output.resolve(DinoTrainer.METRICS) + ", " + output.resolve(DinoTrainer.CHART));
        }
        return 0;
    }

    private static String pct(dev.dinoj.dino.eval.KnnClassifier.Result r) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * r.top1);
    }

    TrainConfig config() {
        TrainConfig c = new TrainConfig();
        c.data = data;
        c.syntheticImages = syntheticImages;
        c.syntheticSize = syntheticSize;
        c.evalImages = evalImages;
        c.evalTrain = evalTrain;
        c.evalVal = evalVal;
        c.arch = arch;
        c.width = width;
        c.depth = depth;
        c.heads = heads;
        c.patchSize = patch;
        c.dropPath = dropPath;
        c.posEmbed = posEmbed;
        c.stem = stem;
        c.outDim = outDim;
        c.headHidden = headHidden;
        c.headBottleneck = headBottleneck;
        c.normLastLayer = normLastLayer;
        c.useBnInHead = useBnInHead;
        c.globalSize = globalSize;
        c.localSize = localSize;
        c.localCrops = localCrops;
        c.globalScale = globalScale;
        c.localScale = localScale;
        c.epochs = epochs;
        c.batchSize = batchSize;
        c.lr = lr;
        c.minLr = minLr;
        c.warmupEpochs = warmupEpochs;
        c.weightDecay = weightDecay;
        c.weightDecayEnd = weightDecayEnd;
        c.clipGrad = clipGrad;
        c.freezeLastLayer = freezeLastLayer;
        c.momentumTeacher = momentumTeacher;
        c.teacherTemp = teacherTemp;
        c.warmupTeacherTemp = warmupTeacherTemp;
        c.warmupTeacherTempEpochs = warmupTeacherTempEpochs;
        c.studentTemp = studentTemp;
        c.centerMomentum = centerMomentum;
        c.centering = centering;
        c.koleoWeight = koleoWeight;
        c.seed = seed;
        c.workers = workers;
        c.knnEvery = knnEvery;
        return c;
    }
}
