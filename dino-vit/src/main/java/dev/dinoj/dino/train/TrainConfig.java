package dev.dinoj.dino.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.dinoj.dino.DinoLoss;
import dev.dinoj.dino.VitConfig;
import picocli.CommandLine.Option;

/**
 * Every setting of a DINO run, with the defaults of the small CPU configuration (a few-minute run on
 * the built-in synthetic data). Values that the reference fixes are the reference's; sizes are
 * scaled down for small images and a CPU. Saved in each checkpoint so that a resumed run continues
 * with exactly the same settings. Each setting is declared once, here, with its command-line option
 * ({@code dino train} mixes this class in).
 */
public final class TrainConfig {
    // data
    @Option(names = "--data", description = "'synthetic' or a folder of images (class sub-folders optional)")
    public String data = "synthetic";
    @Option(names = "--synthetic-images", description = "number of synthetic training images")
    public int syntheticImages = 4096;
    @Option(names = "--synthetic-size", description = "side of the synthetic images in pixels")
    public int syntheticSize = 40;
    @Option(names = "--eval-images", description = "held-out synthetic images for k-NN during training (0: none)")
    public int evalImages = 600;
    /** Labelled images (folder, IDX or CIFAR files) for k-NN during training: the bank and the queries; null for none. */
    @Option(names = "--eval-train", description = "labelled images (class sub-folders, IDX or CIFAR files) used as the k-NN bank during training")
    public String evalTrain = null;
    @Option(names = "--eval-val", description = "labelled held-out images classified by k-NN during training (with --eval-train)")
    public String evalVal = null;
    @Option(names = "--skip-bad-images", description = "leave out training images whose header cannot be read (they are counted) instead of refusing to start")
    public boolean skipBadImages = false;
    // model
    @Option(names = "--arch", description = "custom, vit_tiny, vit_small or vit_base (ViTs), or resnet18, resnet34, resnet50 (torchvision's"
            + " layout; below 96-px global crops with the small-image 3x3 stem and no max-pool)")
    public String arch = "custom";
    @Option(names = "--width", description = "embedding width of the custom ViT")
    public int width = 96;
    @Option(names = "--depth", description = "number of blocks of the custom ViT")
    public int depth = 4;
    @Option(names = "--heads", description = "attention heads of the custom ViT")
    public int heads = 3;
    @Option(names = "--patch", description = "patch size in pixels (reference: 16 at 224 px)")
    public int patchSize = 8;
    @Option(names = "--drop-path", description = "stochastic depth rate of the student")
    public float dropPath = 0.1f;
    /** "learned" (the reference: trunc-normal 0.02, trained), "sincos" (MoCo v3: fixed 2-D sine-cosine) or "sincos-learned" (sine-cosine start, trained). */
    @Option(names = "--pos-embed", description = "position embedding: learned (reference), sincos (fixed 2-D sine-cosine, as MoCo v3) or sincos-learned")
    public String posEmbed = "learned";
    /** "patch" (the reference's patchify layer), "conv" (a convolutional stem with batch norm) or "conv-ln" (with LayerNorm): {@link VitConfig.Stem}. */
    @Option(names = "--stem", description = "how images become tokens: patch (the reference's patchify layer), conv (3x3 stride-2 convs"
            + " with batch norm, then 1x1: Xiao et al. 2021; patch must be a power of two) or conv-ln (the same with LayerNorm)")
    public String stem = "patch";
    @Option(names = "--stem-depth", description = "3x3 convolutions per stage of a conv stem: 1 (Xiao et al.), or more, the"
            + " extra ones stride 1 at the stage's resolution (more capacity before the tokens, for small images)")
    public int stemDepth = 1;
    @Option(names = "--registers", description = "DINOv2's register tokens (learned tokens beside the cls token, without position; 0: none, DINOv2: 4)")
    public int registers = 0;
    @Option(names = "--layer-scale", description = "DINOv2's LayerScale: the initial per-channel scale of every residual branch (0: none, DINOv2: 1e-5)")
    public double layerScale = 0;
    @Option(names = "--out-dim", description = "DINO head output dimension (reference: 65536)")
    public int outDim = 256;
    @Option(names = "--head-hidden", description = "DINO head hidden width (reference: 2048)")
    public int headHidden = 512;
    @Option(names = "--head-bottleneck", description = "DINO head bottleneck width (reference: 256)")
    public int headBottleneck = 128;
    @Option(names = "--norm-last-layer", arity = "1", description = "freeze the weight-norm gain of the last layer at 1")
    public boolean normLastLayer = true;
    @Option(names = "--use-bn-in-head", arity = "1", description = "batch norm after the head's hidden layers (reference option use_bn_in_head; instdisc: a non-affine batch norm"
            + " after its Linear, default true there)")
    public boolean useBnInHead = false;
    // multi-crop
    @Option(names = "--global-size", description = "global crop size in pixels (reference: 224)")
    public int globalSize = 32;
    @Option(names = "--local-size", description = "local crop size in pixels (reference: 96)")
    public int localSize = 16;
    @Option(names = "--local-crops", description = "number of local crops (reference: 8)")
    public int localCrops = 6;
    @Option(names = "--global-scale", split = ",", description = "global crop area range")
    public double[] globalScale = {0.4, 1.0};
    @Option(names = "--local-scale", split = ",", description = "local crop area range")
    public double[] localScale = {0.05, 0.4};
    @Option(names = "--high-res-epochs", description = "train the last N epochs with global crops of --high-res-size pixels, the position "
            + "embedding interpolated (DINOv2's short high-resolution phase at the end; 0: off)")
    public int highResEpochs = 0;
    @Option(names = "--high-res-size", description = "global crop size in pixels of the --high-res-epochs phase (DINOv2: 518 after 224)")
    public int highResSize = 0;
    // optimisation
    @Option(names = "--epochs", description = "training epochs")
    public int epochs = 12;
    @Option(names = "--batch-size", description = "images per batch")
    public int batchSize = 64;
    @Option(names = "--lr", description = "peak learning rate for batch 256 (scaled by batch/256)")
    public double lr = 0.0005;
    @Option(names = "--min-lr", description = "learning rate at the end of the cosine")
    public double minLr = 1e-6;
    @Option(names = "--warmup-epochs", description = "epochs of linear learning-rate warm-up (reference: 10)")
    public int warmupEpochs = 2;
    @Option(names = "--weight-decay", description = "weight decay at the start of the cosine")
    public double weightDecay = 0.04;
    @Option(names = "--weight-decay-end", description = "weight decay at the end of the cosine")
    public double weightDecayEnd = 0.4;
    @Option(names = "--optimizer", description = "adamw (the ViTs' and DINO's) or lars (SGD with momentum 0.9 and layer-wise trust ratios, eta 0.001,"
            + " as SimCLR, BYOL and Barlow Twins train ResNets with large batches; give its --lr, scaled by batch / 256 as always: the"
            + " references' 0.3 for SimCLR, 0.2 for BYOL)")
    public String optimizer = "adamw";
    @Option(names = "--clip-grad", description = "per-parameter gradient norm clip (0: off)")
    public double clipGrad = 3.0;
    @Option(names = "--freeze-last-layer", description = "epochs during which the head's last layer is not trained")
    public int freezeLastLayer = 1;
    // method
    /** "dino" (Caron et al. 2021) or "simdino" (Wu et al. 2025): see {@link #method()}. */
    @Option(names = "--method", description = "dino (softmax targets over prototypes, centred and sharpened), dinov2 (dino's cls term plus"
            + " iBOT's masked-patch term, with DINOv2's defaults: Sinkhorn-Knopp, KoLeo 0.1, LayerScale 1e-5, layer decay 0.9, patch-embedding lr x0.2)"
            + " or simdino (normalised features pulled together by squared distance, spread by the coding rate; no prototypes, centering or temperatures)")
    public String method = "dino";
    @Option(names = "--coding-rate-eps", description = "simdino: the coding rate's precision eps, R = 1/2 logdet(I + d/(b eps^2) Z^T Z)"
            + " (default sqrt(0.5): the authors' code's 0.5 stands where the paper has eps^2)")
    public double codingRateEps = dev.dinoj.dino.SimDinoLoss.DEFAULT_EPS;
    @Option(names = "--coding-rate-gamma", description = "simdino: weight of the coding rate against the distance term: 'auto' (the"
            + " authors' (d + b) / (d b), d the feature width, b the batch) or a number >= 0")
    public String codingRateGamma = "auto";
    @Option(names = "--coding-rate-of", description = "simdino: the features whose coding rate is kept high: 'average' (the authors' code: the"
            + " mean of the student's and the teacher's features of each global crop) or 'student' (the paper's formula)")
    public String codingRateOf = "average";
    @Option(names = "--temperature", description = "simclr, mocov3, mocov2, swav, instdisc: the softmax temperature: 'auto' (simclr 0.2, as"
            + " solo-learn's; mocov2/mocov3 0.2, the authors'; swav 0.1; instdisc 0.07) or a number > 0")
    public String temperature = "auto";
    @Option(names = "--barlow-lambda", description = "barlowtwins: weight of the off-diagonal cross-correlation terms (the authors' 0.0051)")
    public double barlowLambda = dev.dinoj.dino.lineage.BarlowTwinsLoss.DEFAULT_LAMBDA;
    @Option(names = "--queue-size", description = "mocov2: the negatives kept from past batches (default 4096; the reference's 65536 needs that"
            + " many images); swav: the past projections its Sinkhorn-Knopp codes are spread over (default 0: none, the reference's;"
            + " its small-batch runs use ~15 batches of 256); a multiple of --batch-size")
    public Integer queueSize; // null: the method's default (queueSize())
    /** Whether SimCLR's projector has its batch norms (false: runs saved before they were added, resumed as they trained). */
    boolean simclrProjectorBn = true;
    @Option(names = "--photometric", description = "colour jitter, grayscale, blur and solarization of the crops: 'auto' (the method's"
            + " paper: byol for the DINO family, byol, mocov3, barlowtwins; simclr for simclr and swav; mocov2 for mocov2 and simsiam;"
            + " instdisc), byol, simclr, mocov2 or instdisc")
    public String photometric = "auto";
    @Option(names = "--queue-start-epoch", description = "swav: the epoch from which the queue fills (the reference's small-batch runs: 15 of 100)")
    public int queueStartEpoch = 0;
    /** A dinoj training checkpoint whose (frozen) teacher the student is trained against instead of its own EMA; null for self-distillation. */
    @Option(names = "--distill-from", description = "a dinoj training checkpoint: train the student against its frozen teacher (backbone and"
            + " heads, any size) instead of a momentum teacher, as DINOv2 distils small models; the heads' output widths must match")
    public String distillFrom = null;
    // DINOv2
    @Option(names = "--ibot-weight", description = "dinov2: weight of the iBOT masked-patch term (reference: 1)")
    public double ibotWeight = 1.0;
    @Option(names = "--ibot-out-dim", description = "dinov2: prototypes of the iBOT patch head (0: --out-dim)")
    public int ibotOutDim = 0;
    @Option(names = "--ibot-separate-head", arity = "1", description = "dinov2: the iBOT term has its own head (true), or shares the DINO head")
    public boolean ibotSeparateHead = true;
    @Option(names = "--mask-ratio", split = ",", description = "dinov2: range of the share of a masked image's patches that is masked (reference: 0.1,0.5)")
    public double[] maskRatio = {0.1, 0.5};
    @Option(names = "--mask-probability", description = "dinov2: share of the global crops that is masked at all (reference: 0.5)")
    public double maskProbability = 0.5;
    @Option(names = "--layer-decay", description = "layer-wise learning-rate decay: block i of L trains at lr x decay^(L + 1 - (i + 1)), the"
            + " embeddings at decay^(L + 1), the final norm and heads at lr (1: off; DINOv2: 0.9, the default with --method dinov2)")
    public double layerDecay = 1.0;
    @Option(names = "--patch-embed-lr-mult", description = "learning-rate multiplier of the patch embedding (1: off; DINOv2: 0.2, the default with --method dinov2)")
    public double patchEmbedLrMult = 1.0;
    // DINO
    @Option(names = "--momentum-teacher", description = "teacher EMA momentum, raised to 1 on a cosine")
    public double momentumTeacher = 0.996;
    @Option(names = "--teacher-temp", description = "teacher temperature after warm-up (long reference runs warm 0.04 up to 0.07)")
    public double teacherTemp = 0.04;
    @Option(names = "--warmup-teacher-temp", description = "initial teacher temperature")
    public double warmupTeacherTemp = 0.04;
    @Option(names = "--warmup-teacher-temp-epochs", description = "epochs of teacher-temperature warm-up (reference: 30)")
    public int warmupTeacherTempEpochs = 0;
    @Option(names = "--student-temp", description = "student temperature")
    public double studentTemp = 0.1;
    @Option(names = "--center-momentum", description = "EMA momentum of the teacher centre")
    public double centerMomentum = 0.9;
    /** "ema" (DINO's centre) or "sinkhorn" (DINOv2's Sinkhorn-Knopp normalisation of the teacher). */
    @Option(names = "--centering", description = "teacher centering: ema (DINO's running centre) or sinkhorn (DINOv2's Sinkhorn-Knopp, 3 iterations)")
    public String centering = "ema";
    /** Weight of DINOv2's KoLeo regulariser on the student's global-crop cls features (0: off, the DINO reference; DINOv2: 0.1). */
    @Option(names = "--koleo-weight", description = "weight of DINOv2's KoLeo regulariser, which spreads the student's cls features"
            + " of each global crop's batch (0: off, as DINO; DINOv2: 0.1); the logged loss is the DINO loss alone")
    public double koleoWeight = 0;
    // run
    @Option(names = "--seed", description = "random seed (data order, augmentation, initialisation, drop-path)")
    public long seed = 0;
    @Option(names = "--workers", description = "data loading threads")
    public int workers = 2;
    @Option(names = "--knn-every", description = "k-NN evaluation every N epochs (and at the end)")
    public int knnEvery = 4;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** The self-supervised methods {@code --method} names. */
    public enum Method {
        DINO, DINOV2, SIMDINO, SIMDINOV2, BYOL, SIMSIAM, MOCOV3, SIMCLR, BARLOWTWINS, SWAV, MOCOV2, INSTDISC;

        /**
         * The methods DINO grew from ({@link TwoViewMethod}, {@link SwavMethod}): no centre or temperature schedule; all but SwAV
         * on two views without local crops.
         */
        public boolean lineage() {
            return ordinal() >= BYOL.ordinal();
        }

        /** Whether the method trains against a momentum (EMA) copy of the student: the DINO family, BYOL, MoCo v2 and v3. */
        public boolean momentumTeacher() {
            return !lineage() || this == BYOL || this == MOCOV3 || this == MOCOV2;
        }

        /** The methods of {@link TwoViewMethod} (two views, each through the student on its own). */
        public boolean twoView() {
            return lineage() && this != SWAV && this != INSTDISC;
        }

        /** Whether the student has a predictor after its projector (BYOL, SimSiam, MoCo v3). */
        public boolean predictor() {
            return this == BYOL || this == SIMSIAM || this == MOCOV3;
        }

        /** Whether the result is the student (the lineage methods evaluate their online encoder) rather than the momentum teacher. */
        public boolean resultIsStudent() {
            return lineage();
        }

        /** Whether --temperature sets the method's softmax temperature (NT-Xent, MoCo's InfoNCE, SwAV's prediction, InstDisc's softmax). */
        public boolean contrastive() {
            return this == SIMCLR || this == MOCOV3 || this == SWAV || this == MOCOV2 || this == INSTDISC;
        }

        /** The softmax temperature when --temperature is auto: SimCLR 0.2 (solo-learn's), MoCo v2/v3 0.2 (the authors'), SwAV 0.1, InstDisc 0.07. */
        public double defaultTemperature() {
            return this == SWAV ? 0.1 : this == INSTDISC ? dev.dinoj.dino.lineage.InstDiscLoss.DEFAULT_TEMPERATURE : 0.2;
        }

        /**
         * The photometric augmentation of the method's paper: BYOL's (= DINO's) for the DINO family, BYOL, MoCo v3 and Barlow Twins;
         * SimCLR's colour distortion of strength 1 for SimCLR and SwAV; MoCo v2's for MoCo v2 and SimSiam; InstDisc's own.
         */
        public dev.dinoj.dino.data.PhotometricRecipe photometric() {
            switch (this) {
                case SIMCLR: case SWAV: return dev.dinoj.dino.data.PhotometricRecipe.SIMCLR;
                case MOCOV2: case SIMSIAM: return dev.dinoj.dino.data.PhotometricRecipe.MOCOV2;
                case INSTDISC: return dev.dinoj.dino.data.PhotometricRecipe.INSTDISC;
                default: return dev.dinoj.dino.data.PhotometricRecipe.BYOL;
            }
        }

        /** Whether the method masks the student's global crops and has a patch term (DINOv2's iBOT, SimDINOv2's alignment). */
        public boolean masksPatches() {
            return this == DINOV2 || this == SIMDINOV2;
        }

        /** Whether the method compares normalised features (SimDINO's head and loss) rather than distributions over prototypes. */
        public boolean simplified() {
            return this == SIMDINO || this == SIMDINOV2;
        }

        public static Method parse(String s) {
            switch (s == null ? "" : s.toLowerCase(java.util.Locale.ROOT)) {
                case "dino": return DINO;
                case "dinov2": return DINOV2;
                case "simdino": return SIMDINO;
                case "simdinov2": return SIMDINOV2;
                case "byol": return BYOL;
                case "simsiam": return SIMSIAM;
                case "mocov3": return MOCOV3;
                case "simclr": return SIMCLR;
                case "barlowtwins": return BARLOWTWINS;
                case "swav": return SWAV;
                case "mocov2": return MOCOV2;
                case "instdisc": return INSTDISC;
                default: throw new IllegalArgumentException("--method must be dino, dinov2, simdino, simdinov2, byol, simsiam, mocov3, simclr, barlowtwins, swav, mocov2 or instdisc,"
                        + " got '" + s + "'");
            }
        }

        /** The options of the other methods, which this one does not read (giving one is refused, not ignored). */
        public java.util.List<String> ignoredOptions() {
            java.util.List<String> out = new java.util.ArrayList<>();
            if (!masksPatches()) out.addAll(java.util.List.of("--ibot-weight", "--ibot-separate-head", "--mask-ratio", "--mask-probability"));
            if (this != DINOV2) out.add("--ibot-out-dim");
            if (!simplified()) out.addAll(java.util.List.of("--coding-rate-eps", "--coding-rate-gamma", "--coding-rate-of"));
            if (!contrastive()) out.add("--temperature");
            if (this != BARLOWTWINS) out.add("--barlow-lambda");
            if (this != MOCOV2 && this != SWAV) out.add("--queue-size");
            if (this != SWAV) out.add("--queue-start-epoch");
            if (this == INSTDISC) out.add("--head-hidden"); // its head is one Linear
            if (this == SWAV || this == INSTDISC || this == MOCOV2) out.add("--koleo-weight");
            if (!momentumTeacher()) out.add("--momentum-teacher");
            if (lineage()) {
                // SwAV reads --out-dim (its prototypes), the local crops and --freeze-last-layer (its prototypes' freeze)
                if (this != SWAV) out.addAll(java.util.List.of("--out-dim", "--freeze-last-layer", "--local-crops", "--local-size", "--local-scale"));
                out.addAll(java.util.List.of("--norm-last-layer", "--teacher-temp", "--warmup-teacher-temp", "--warmup-teacher-temp-epochs",
                        "--student-temp", "--center-momentum", "--centering", "--distill-from",
                        "--high-res-epochs", "--high-res-size", "--coding-rate-eps", "--coding-rate-gamma", "--coding-rate-of",
                        "--ibot-weight", "--ibot-out-dim", "--ibot-separate-head", "--mask-ratio", "--mask-probability"));
                if (this != INSTDISC) out.add("--use-bn-in-head");
            } else if (simplified()) {
                out.addAll(java.util.List.of("--out-dim", "--norm-last-layer", "--teacher-temp", "--warmup-teacher-temp", "--warmup-teacher-temp-epochs",
                        "--student-temp", "--center-momentum", "--centering", "--freeze-last-layer"));
            }
            return out;
        }

        /** The name as --method spells it and the logs print it. */
        public String label() {
            switch (this) {
                case DINO: return "DINO";
                case DINOV2: return "DINOv2";
                case SIMDINO: return "SimDINO";
                case SIMDINOV2: return "SimDINOv2";
                case BYOL: return "BYOL";
                case SIMSIAM: return "SimSiam";
                case MOCOV3: return "MoCo v3";
                case SIMCLR: return "SimCLR";
                case BARLOWTWINS: return "Barlow Twins";
                case SWAV: return "SwAV";
                case MOCOV2: return "MoCo v2";
                default: return "InstDisc";
            }
        }
    }

    /**
     * With the method's own defaults where the command line did not set the option ({@code given}: the
     * long names of the options it set): DINOv2's Sinkhorn-Knopp centering, KoLeo 0.1, LayerScale 1e-5,
     * layer decay 0.9 and patch-embedding lr x0.2. Other methods keep the fields as they are. Returns this.
     */
    public TrainConfig withMethodDefaults(java.util.Set<String> given) {
        if (method() == Method.SWAV) {
            // the reference's multi-crop: 2 global crops of 14-100% and 6 local ones of 5-14%
            if (!given.contains("--global-scale")) globalScale = new double[] {0.14, 1.0};
            if (!given.contains("--local-scale")) localScale = new double[] {0.05, 0.14};
            return this;
        }
        if (method().lineage()) {
            // two views of the same distribution as their papers (random-resized crops of 8-100% of the image; InstDisc's 20-100%),
            // no local crops
            localCrops = 0;
            // (MoCo v2, SimSiam and InstDisc crop 20-100%, the others 8-100%)
            if (!given.contains("--global-scale")) {
                globalScale = new double[] {method() == Method.INSTDISC || method() == Method.MOCOV2 || method() == Method.SIMSIAM ? 0.2 : 0.08, 1.0};
            }
            // InstDisc: a non-affine batch norm after its Linear (RESULTS.md, eighteenth session: without it a ViT's features share one
            // direction, the bank's entries of seen and unseen images differ in kind, and the loss sat above chance for epochs)
            if (method() == Method.INSTDISC && !given.contains("--use-bn-in-head")) useBnInHead = true;
            return this;
        }
        if (method() == Method.SIMDINOV2) {
            // the authors' SimDINOv2 configuration: LayerScale 0.1, DINOv2's lr decay and patch-embedding multiplier, the iBOT
            // term on the shared head, and a coding-rate eps^2 of 0.05 (their code's eps)
            if (!given.contains("--layer-scale")) layerScale = 0.1;
            if (!given.contains("--layer-decay")) layerDecay = 0.9;
            if (!given.contains("--patch-embed-lr-mult")) patchEmbedLrMult = 0.2;
            if (!given.contains("--ibot-separate-head")) ibotSeparateHead = false;
            if (!given.contains("--coding-rate-eps")) codingRateEps = Math.sqrt(0.05);
            return this;
        }
        if (method() != Method.DINOV2) return this;
        if (!given.contains("--centering")) centering = "sinkhorn";
        if (!given.contains("--koleo-weight")) koleoWeight = 0.1;
        if (!given.contains("--layer-scale")) layerScale = 1e-5;
        if (!given.contains("--layer-decay")) layerDecay = 0.9;
        if (!given.contains("--patch-embed-lr-mult")) patchEmbedLrMult = 0.2;
        return this;
    }

    /** --queue-size, or the method's default: MoCo v2 4096 keys, SwAV none (the reference's). */
    public int queueSize() {
        return queueSize != null ? queueSize : method() == Method.SWAV ? 0 : 4096;
    }

    /** The crops' photometric recipe: --photometric, or the method's where auto. */
    public dev.dinoj.dino.data.PhotometricRecipe photometricRecipe() {
        switch (String.valueOf(photometric)) {
            case "auto": return method().photometric();
            case "byol": return dev.dinoj.dino.data.PhotometricRecipe.BYOL;
            case "simclr": return dev.dinoj.dino.data.PhotometricRecipe.SIMCLR;
            case "mocov2": return dev.dinoj.dino.data.PhotometricRecipe.MOCOV2;
            case "instdisc": return dev.dinoj.dino.data.PhotometricRecipe.INSTDISC;
            default: throw new IllegalArgumentException("--photometric must be auto, byol, simclr, mocov2 or instdisc, got '" + photometric + "'");
        }
    }

    /** The iBOT head's prototypes. */
    public int ibotPrototypes() {
        return ibotOutDim > 0 ? ibotOutDim : outDim;
    }

    public Method method() {
        return Method.parse(method == null ? "dino" : method);
    }

    /** The coding rate's weight: NaN for 'auto'. */
    public double codingRateGammaValue() {
        if (codingRateGamma == null || codingRateGamma.trim().equalsIgnoreCase("auto")) return Double.NaN;
        try {
            double g = Double.parseDouble(codingRateGamma.trim());
            if (g >= 0 && g < Double.POSITIVE_INFINITY) return g;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--coding-rate-gamma must be 'auto' or a number >= 0, got '" + codingRateGamma + "'");
    }

    /** Whether --arch names a ResNet. */
    public boolean resnet() {
        return arch != null && arch.toLowerCase(java.util.Locale.ROOT).startsWith("resnet");
    }

    /** A ResNet's small-image variant (3x3 stride-1 stem, no max-pool) for global crops under 96 px, as solo-learn's for CIFAR. */
    public boolean smallImageResNet() {
        return globalSize < 96;
    }

    /** A new backbone of --arch, initialised from g; the teacher's has no drop-path. */
    public dev.dinoj.dino.Backbone backbone(dev.dinoj.tensor.Generator g, boolean teacher) {
        if (resnet()) return new dev.dinoj.dino.ResNet(dev.dinoj.dino.ResNet.Arch.parse(arch), 3, smallImageResNet(), globalSize, g);
        return new dev.dinoj.dino.VisionTransformer(teacher ? vit().withDropPath(0f) : vit(), g);
    }

    /** The backbone's feature width. */
    public int embedDim() {
        return resnet() ? dev.dinoj.dino.ResNet.Arch.parse(arch).features() : vit().embedDim;
    }

    /** What a saved backbone's metadata records beside its weights to be built again: a ViT's head count, a ResNet's resolution. */
    public java.util.Map<String, String> backboneMetadata() {
        return resnet() ? java.util.Map.of("image_size", Integer.toString(globalSize)) : java.util.Map.of("num_heads", Integer.toString(vit().heads));
    }

    /** The backbone for the logs. */
    public String describeBackbone() {
        if (!resnet()) return vit().toString();
        return arch.toLowerCase(java.util.Locale.ROOT) + (smallImageResNet() ? " (3x3 small-image stem)" : " (7x7 stem + max-pool)") + ", "
                + embedDim() + "-d features";
    }

    /** The ViT options, which a ResNet does not read (giving one with it is refused, not ignored). */
    public static final java.util.List<String> VIT_OPTIONS = java.util.List.of("--width", "--depth", "--heads", "--patch", "--drop-path", "--pos-embed",
            "--stem", "--stem-depth", "--registers", "--layer-scale", "--layer-decay", "--patch-embed-lr-mult");

    /** The softmax temperature of SimCLR, MoCo v3 and SwAV: --temperature, or the method's default for 'auto'. */
    public double temperatureValue() {
        if (temperature == null || temperature.trim().equalsIgnoreCase("auto")) return method().defaultTemperature();
        try {
            double t = Double.parseDouble(temperature.trim());
            if (t > 0 && t < Double.POSITIVE_INFINITY) return t;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--temperature must be 'auto' or a number > 0, got '" + temperature + "'");
    }

    public VitConfig vit() {
        if (resnet()) throw new IllegalStateException("--arch " + arch + " is a ResNet, not a ViT");
        VitConfig base = arch.equals("custom")
                ? new VitConfig(width, depth, heads, patchSize, globalSize, 4f, 0f)
                : VitConfig.preset(arch, patchSize, globalSize);
        return base.withDropPath(dropPath).withStem(VitConfig.Stem.parse(stem == null ? "patch" : stem)).withStemDepth(stemDepth)
                .withRegisters(registers).withLayerScale((float) layerScale).withMaskToken(method().masksPatches());
    }

    /** Rejects inconsistent settings with one message naming the option. */
    public void validate() {
        if (data == null || arch == null || posEmbed == null || centering == null) {
            throw new IllegalArgumentException("--data, --arch, --pos-embed and --centering must be given (a saved configuration lacks one)");
        }
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        if (warmupEpochs < 0 || warmupEpochs > epochs) {
            throw new IllegalArgumentException("--warmup-epochs must be in [0, --epochs = " + epochs + "], got " + warmupEpochs);
        }
        if (warmupTeacherTempEpochs < 0 || warmupTeacherTempEpochs > epochs) {
            throw new IllegalArgumentException("--warmup-teacher-temp-epochs must be in [0, --epochs = " + epochs + "], got "
                    + warmupTeacherTempEpochs);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be positive and finite, got " + lr);
        if (!(minLr >= 0) || Double.isInfinite(minLr)) throw new IllegalArgumentException("--min-lr must be >= 0 and finite, got " + minLr);
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("--weight-decay must be >= 0 and finite, got " + weightDecay);
        if (!(weightDecayEnd >= 0) || Double.isInfinite(weightDecayEnd)) {
            throw new IllegalArgumentException("--weight-decay-end must be >= 0 and finite, got " + weightDecayEnd);
        }
        if (!(clipGrad >= 0) || Double.isInfinite(clipGrad)) throw new IllegalArgumentException("--clip-grad must be >= 0 (0: off) and finite, got " + clipGrad);
        if (!"adamw".equals(optimizer) && !"lars".equals(optimizer)) throw new IllegalArgumentException("--optimizer must be adamw or lars, got '" + optimizer + "'");
        if (freezeLastLayer < 0) throw new IllegalArgumentException("--freeze-last-layer must be >= 0, got " + freezeLastLayer);
        if (!(centerMomentum >= 0 && centerMomentum < 1)) throw new IllegalArgumentException("--center-momentum must be in [0, 1), got " + centerMomentum);
        if (outDim <= 0 || headHidden <= 0 || headBottleneck <= 0) {
            throw new IllegalArgumentException("--out-dim, --head-hidden and --head-bottleneck must be positive, got " + outDim + ", " + headHidden
                    + ", " + headBottleneck);
        }
        if (syntheticImages <= 0) throw new IllegalArgumentException("--synthetic-images must be positive, got " + syntheticImages);
        if (syntheticSize <= 0) throw new IllegalArgumentException("--synthetic-size must be positive, got " + syntheticSize);
        if (evalImages < 0) throw new IllegalArgumentException("--eval-images must be >= 0, got " + evalImages);
        scaleRange("--global-scale", globalScale);
        scaleRange("--local-scale", localScale);
        photometricRecipe();
        if (!(teacherTemp > 0) || !(warmupTeacherTemp > 0) || !(studentTemp > 0)) {
            throw new IllegalArgumentException("temperatures must be positive");
        }
        if (method().lineage()) {
            Method m = method();
            if ((localCrops != 0 && m != Method.SWAV) || highResEpochs != 0 || distillFrom != null) {
                throw new IllegalArgumentException("--method " + method + " trains on two global views: --local-crops must be 0 (got " + localCrops
                        + "), and --high-res-epochs and --distill-from belong to the DINO family");
            }
            temperatureValue();
            int queue = queueSize();
            if (m == Method.MOCOV2 && (queue <= 0 || queue % batchSize != 0)) {
                throw new IllegalArgumentException("--queue-size must be a positive multiple of --batch-size " + batchSize + ", got " + queue);
            }
            if (m == Method.SWAV && (queue < 0 || queue % batchSize != 0)) {
                throw new IllegalArgumentException("--queue-size must be 0 (no queue) or a positive multiple of --batch-size " + batchSize + ", got " + queue);
            }
            if (queueStartEpoch < 0) throw new IllegalArgumentException("--queue-start-epoch must be >= 0, got " + queueStartEpoch);
            if (!(barlowLambda >= 0) || Double.isInfinite(barlowLambda)) throw new IllegalArgumentException("--barlow-lambda must be >= 0, got " + barlowLambda);
            if (koleoWeight != 0 && (!m.twoView() || m == Method.MOCOV2)) {
                throw new IllegalArgumentException("--koleo-weight: --method " + method + " has no two views' backbone features to spread");
            }
        }
        if (!(momentumTeacher >= 0 && momentumTeacher <= 1)) {
            throw new IllegalArgumentException("--momentum-teacher must be in [0, 1], got " + momentumTeacher);
        }
        if (resnet()) {
            dev.dinoj.dino.ResNet.Arch.parse(arch.toLowerCase(java.util.Locale.ROOT)); // names the architectures it knows
            if (method().masksPatches()) {
                throw new IllegalArgumentException("--method " + method + " masks patch tokens, which a ResNet has not: use a ViT --arch");
            }
            if (registers != 0 || layerScale != 0 || !"learned".equals(posEmbed) || !"patch".equals(stem) || stemDepth != 1 || layerDecay != 1
                    || patchEmbedLrMult != 1) {
                throw new IllegalArgumentException("--arch " + arch + " is a ResNet: " + String.join(", ", VIT_OPTIONS.subList(5, VIT_OPTIONS.size()))
                        + " belong to the ViTs");
            }
        }
        if (patchSize <= 0) throw new IllegalArgumentException("--patch must be positive, got " + patchSize);
        if (arch.equals("custom") && !resnet()) {
            if (width <= 0 || depth <= 0 || heads <= 0) {
                throw new IllegalArgumentException("--width, --depth and --heads must be positive, got " + width + ", " + depth + ", " + heads);
            }
            if (width % heads != 0) throw new IllegalArgumentException("--width " + width + " is not divisible by --heads " + heads);
        }
        if (globalSize <= 0 || localSize <= 0) {
            throw new IllegalArgumentException("--global-size and --local-size must be positive, got " + globalSize + " and " + localSize);
        }
        if (!resnet() && (globalSize % patchSize != 0 || localSize % patchSize != 0)) {
            throw new IllegalArgumentException("crop sizes (" + globalSize + ", " + localSize + ") must be multiples of --patch " + patchSize);
        }
        if (localCrops < 0) throw new IllegalArgumentException("--local-crops must be >= 0, got " + localCrops);
        if (highResEpochs < 0) throw new IllegalArgumentException("--high-res-epochs must be >= 0 (0: off), got " + highResEpochs);
        if (highResEpochs > 0) {
            if (highResEpochs >= epochs) {
                throw new IllegalArgumentException("--high-res-epochs " + highResEpochs + " must be fewer than --epochs " + epochs
                        + " (the phase ends a run trained at --global-size)");
            }
            if (highResSize <= globalSize || highResSize % patchSize != 0) {
                throw new IllegalArgumentException("--high-res-size must be a multiple of --patch " + patchSize + " larger than --global-size "
                        + globalSize + ", got " + highResSize);
            }
        } else if (highResSize != 0) {
            throw new IllegalArgumentException("--high-res-size " + highResSize + " is given without --high-res-epochs N (N > 0)");
        }
        if ((evalTrain == null) != (evalVal == null)) {
            throw new IllegalArgumentException("give both --eval-train and --eval-val (labelled images), or neither");
        }
        DinoLoss.Centering.parse(centering);
        method();
        if (!(codingRateEps > 0) || Double.isInfinite(codingRateEps)) {
            throw new IllegalArgumentException("--coding-rate-eps must be positive and finite, got " + codingRateEps);
        }
        codingRateGammaValue();
        dev.dinoj.dino.SimDinoLoss.RateOf.parse(codingRateOf);
        if (!(ibotWeight >= 0) || Double.isInfinite(ibotWeight)) throw new IllegalArgumentException("--ibot-weight must be >= 0 and finite, got " + ibotWeight);
        if (ibotOutDim < 0) throw new IllegalArgumentException("--ibot-out-dim must be >= 0 (0: --out-dim), got " + ibotOutDim);
        if (maskRatio == null || maskRatio.length != 2 || !(maskRatio[0] >= 0 && maskRatio[0] <= maskRatio[1] && maskRatio[1] <= 1)) {
            throw new IllegalArgumentException("--mask-ratio must be two numbers lo,hi with 0 <= lo <= hi <= 1, got " + java.util.Arrays.toString(maskRatio));
        }
        if (!(maskProbability >= 0 && maskProbability <= 1)) throw new IllegalArgumentException("--mask-probability must be in [0, 1], got " + maskProbability);
        if (!(layerDecay > 0 && layerDecay <= 1)) throw new IllegalArgumentException("--layer-decay must be in (0, 1] (1: off), got " + layerDecay);
        if (!(patchEmbedLrMult > 0) || Double.isInfinite(patchEmbedLrMult)) {
            throw new IllegalArgumentException("--patch-embed-lr-mult must be positive and finite, got " + patchEmbedLrMult);
        }
        if (!(koleoWeight >= 0)) throw new IllegalArgumentException("--koleo-weight must be >= 0, got " + koleoWeight);
        if (!posEmbed.equals("learned") && !posEmbed.equals("sincos") && !posEmbed.equals("sincos-learned")) {
            throw new IllegalArgumentException("--pos-embed must be learned, sincos or sincos-learned, got '" + posEmbed + "'");
        }
        if (!resnet() && posEmbed.startsWith("sincos") && vit().embedDim % 4 != 0) {
            throw new IllegalArgumentException("--pos-embed " + posEmbed + " needs a width divisible by 4, got " + vit().embedDim);
        }
        if (knnEvery <= 0) throw new IllegalArgumentException("--knn-every must be positive, got " + knnEvery);
        if (workers <= 0) throw new IllegalArgumentException("--workers must be positive, got " + workers);
        if (!resnet()) vit();
    }

    /** Whether epoch {@code epoch} (0-based) belongs to the high-resolution phase at the end of the run. */
    public boolean highResolution(int epoch) {
        return highResEpochs > 0 && epoch >= epochs - highResEpochs;
    }

    /** The global crop size of epoch {@code epoch} (0-based). */
    public int globalSize(int epoch) {
        return highResolution(epoch) ? highResSize : globalSize;
    }

    /** Parameters of the student (backbone and DINO head): its weights are held 5 times (student, teacher, gradients, two AdamW moments). */
    public long parameterEstimate() {
        double backbone, w;
        if (resnet()) {
            // torchvision's counts without the classifier; the small-image stem has 3x3 instead of 7x7 kernels
            dev.dinoj.dino.ResNet.Arch a = dev.dinoj.dino.ResNet.Arch.parse(arch);
            backbone = (a == dev.dinoj.dino.ResNet.Arch.RESNET18 ? 11_176_512 : a == dev.dinoj.dino.ResNet.Arch.RESNET34 ? 21_284_672 : 23_508_032)
                    - (smallImageResNet() ? 64 * 3 * 40 : 0);
            w = a.features();
        } else {
            VitConfig v = vit();
            // in double: a mistyped size must read as huge, not wrap around
            w = v.embedDim;
            double tokens = (double) v.gridSize() * v.gridSize() + 1, hidden = w * v.mlpRatio, p = v.patchSize;
            backbone = 3 * p * p * w + w + tokens * w + w + v.depth * (4 * w + 3 * w * w + 3 * w + w * w + w + 2 * w * hidden + hidden + w) + 2 * w;
        }
        double hh = headHidden, hb = headBottleneck, k = outDim;
        boolean simple = method().simplified();
        double prototypes = simple ? 0 : hb * k + k; // SimDINO's head has no prototype layer
        double head = w * hh + hh + hh * hh + hh + hh * hb + hb + prototypes;
        if (method().masksPatches() && ibotSeparateHead) {
            head += w * hh + hh + hh * hh + hh + hh * hb + hb + (simple ? 0 : hb * ibotPrototypes() + ibotPrototypes());
        }
        return (long) Math.min(Long.MAX_VALUE / 64.0, backbone + head);
    }

    /**
     * Refuses settings whose memory cannot fit in {@code maxBytes} (the JVM's heap) before anything is
     * allocated, naming the options: the weights five times over, the per-iteration schedules, the
     * synthetic dataset's bookkeeping.
     */
    public void checkResources(long maxBytes) {
        checkResources(maxBytes, true);
    }

    /**
     * As {@link #checkResources(long)}; on a GPU ({@code onCpu} false) only the student and the teacher
     * are built in the heap before they move (the gradients and AdamW state live in device memory,
     * which is not checked here).
     */
    public void checkResources(long maxBytes, boolean onCpu) {
        long images = data.equals("synthetic") ? syntheticImages : 0;
        long iterations = (long) epochs * Math.max(1, (images > 0 ? images : 1) / Math.max(1, batchSize));
        if (iterations > 50_000_000L) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--epochs %d%s gives %,d iterations; the schedules hold one value "
                    + "per iteration, so at most 50,000,000 are supported", epochs,
                    images > 0 ? " of --synthetic-images " + syntheticImages + " in batches of --batch-size " + batchSize : "", iterations));
        }
        long weights = (onCpu ? 5L : 2L) * 4 * parameterEstimate();
        if (weights > maxBytes) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%s and the head (--head-hidden %d, --head-bottleneck %d, --out-dim %d) give %,d parameters: "
                            + "%.1f GB for the %s, more than the %.1f GB the JVM may use (-Xmx)",
                    resnet() ? "--arch " + arch : "--width " + vit().embedDim + ", --depth " + vit().depth + ", --patch " + patchSize,
                    headHidden, headBottleneck, outDim, parameterEstimate(), weights / 1e9,
                    onCpu ? "student, teacher, gradients and AdamW state" : "student and teacher built before they move to the GPU", maxBytes / 1e9));
        }
        if (images * 64 > maxBytes) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--synthetic-images %d needs more bookkeeping memory than the %.1f GB "
                    + "the JVM may use", syntheticImages, maxBytes / 1e9));
        }
    }

    private static void scaleRange(String option, double[] r) {
        if (r == null || r.length != 2 || !(r[0] > 0 && r[0] <= r[1] && r[1] <= 1)) {
            throw new IllegalArgumentException(option + " must be two numbers lo,hi with 0 < lo <= hi <= 1, got " + java.util.Arrays.toString(r));
        }
    }

    public String toJson() {
        return GSON.toJson(this);
    }

    /** Parses a saved configuration; malformed JSON or a value of the wrong type is one IllegalArgumentException. */
    public static TrainConfig fromJson(String json) {
        TrainConfig c;
        try {
            c = GSON.fromJson(json, TrainConfig.class);
        } catch (com.google.gson.JsonParseException | IllegalStateException | NumberFormatException e) {
            // Gson's messages suggest reader settings; say what is wrong with the settings instead
            String why = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s*See https?://\\S+", "").replaceAll("\\s*Use JsonReader\\S* .*", "")
                    .replaceAll("([a-z]\\w*\\.)+\\w*(Exception|Error): ", "");
            throw new IllegalArgumentException("the training configuration is not valid JSON of dinoj's settings: " + why.trim());
        }
        if (c == null) throw new IllegalArgumentException("empty training configuration");
        // runs saved before --coding-rate-of coded the student's features: a resumed one keeps its objective
        com.google.gson.JsonElement tree = com.google.gson.JsonParser.parseString(json);
        if (tree.isJsonObject() && !tree.getAsJsonObject().has("codingRateOf")) c.codingRateOf = "student";
        // runs saved before --photometric had DINO's (BYOL's) photometric augmentation, whatever their method
        if (tree.isJsonObject() && !tree.getAsJsonObject().has("photometric")) c.photometric = "byol";
        if (tree.isJsonObject() && !tree.getAsJsonObject().has("queueStartEpoch")) {
            // runs saved before SwAV's queue had none (their queueSize was MoCo v2's, unread), and SimCLR projectors without batch norms
            boolean swav = false;
            try {
                swav = c.method() == Method.SWAV;
            } catch (IllegalArgumentException e) {
                // a bad --method is reported by validate, with the other settings
            }
            if (swav) c.queueSize = 0;
            c.simclrProjectorBn = false;
        }
        return c;
    }
}
