package dev.dinoj.dino.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.dinoj.dino.DinoLoss;
import dev.dinoj.dino.VitConfig;

/**
 * Every setting of a DINO run, with the defaults of the small CPU configuration (a few-minute run on
 * the built-in synthetic data). Values that the reference fixes are the reference's; sizes are
 * scaled down for small images and a CPU. Saved in each checkpoint so that a resumed run continues
 * with exactly the same settings.
 */
public final class TrainConfig {
    // data
    public String data = "synthetic";
    public int syntheticImages = 4096;
    public int syntheticSize = 40;
    public int evalImages = 600;
    /** Labelled images (folder, IDX or CIFAR files) for k-NN during training: the bank and the queries; null for none. */
    public String evalTrain = null;
    public String evalVal = null;
    // model
    public String arch = "custom";
    public int width = 96;
    public int depth = 4;
    public int heads = 3;
    public int patchSize = 8;
    public float dropPath = 0.1f;
    /** "learned" (the reference: trunc-normal 0.02, trained), "sincos" (MoCo v3: fixed 2-D sine-cosine) or "sincos-learned" (sine-cosine start, trained). */
    public String posEmbed = "learned";
    /** "patch" (the reference's patchify layer), "conv" (a convolutional stem with batch norm) or "conv-ln" (with LayerNorm): {@link VitConfig.Stem}. */
    public String stem = "patch";
    public int outDim = 256;
    public int headHidden = 512;
    public int headBottleneck = 128;
    public boolean normLastLayer = true;
    public boolean useBnInHead = false;
    // multi-crop
    public int globalSize = 32;
    public int localSize = 16;
    public int localCrops = 6;
    public double[] globalScale = {0.4, 1.0};
    public double[] localScale = {0.05, 0.4};
    // optimisation
    public int epochs = 12;
    public int batchSize = 64;
    public double lr = 0.0005;
    public double minLr = 1e-6;
    public int warmupEpochs = 2;
    public double weightDecay = 0.04;
    public double weightDecayEnd = 0.4;
    public double clipGrad = 3.0;
    public int freezeLastLayer = 1;
    // DINO
    public double momentumTeacher = 0.996;
    public double teacherTemp = 0.04;
    public double warmupTeacherTemp = 0.04;
    public int warmupTeacherTempEpochs = 0;
    public double studentTemp = 0.1;
    public double centerMomentum = 0.9;
    /** "ema" (DINO's centre) or "sinkhorn" (DINOv2's Sinkhorn-Knopp normalisation of the teacher). */
    public String centering = "ema";
    /** Weight of DINOv2's KoLeo regulariser on the student's global-crop cls features (0: off, the DINO reference; DINOv2: 0.1). */
    public double koleoWeight = 0;
    // run
    public long seed = 0;
    public int workers = 2;
    public int knnEvery = 4;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    public VitConfig vit() {
        VitConfig base = arch.equals("custom")
                ? new VitConfig(width, depth, heads, patchSize, globalSize, 4f, 0f)
                : VitConfig.preset(arch, patchSize, globalSize);
        return base.withDropPath(dropPath).withStem(VitConfig.Stem.parse(stem == null ? "patch" : stem));
    }

    /** Rejects inconsistent settings with one message naming the option. */
    public void validate() {
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        if (warmupEpochs < 0 || warmupEpochs > epochs) {
            throw new IllegalArgumentException("--warmup-epochs must be in [0, --epochs = " + epochs + "], got " + warmupEpochs);
        }
        if (warmupTeacherTempEpochs < 0 || warmupTeacherTempEpochs > epochs) {
            throw new IllegalArgumentException("--warmup-teacher-temp-epochs must be in [0, --epochs = " + epochs + "], got "
                    + warmupTeacherTempEpochs);
        }
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be positive, got " + lr);
        if (!(teacherTemp > 0) || !(warmupTeacherTemp > 0) || !(studentTemp > 0)) {
            throw new IllegalArgumentException("temperatures must be positive");
        }
        if (!(momentumTeacher >= 0 && momentumTeacher <= 1)) {
            throw new IllegalArgumentException("--momentum-teacher must be in [0, 1], got " + momentumTeacher);
        }
        if (patchSize <= 0) throw new IllegalArgumentException("--patch must be positive, got " + patchSize);
        if (globalSize <= 0 || localSize <= 0) {
            throw new IllegalArgumentException("--global-size and --local-size must be positive, got " + globalSize + " and " + localSize);
        }
        if (globalSize % patchSize != 0 || localSize % patchSize != 0) {
            throw new IllegalArgumentException("crop sizes (" + globalSize + ", " + localSize + ") must be multiples of --patch " + patchSize);
        }
        if (localCrops < 0) throw new IllegalArgumentException("--local-crops must be >= 0, got " + localCrops);
        if ((evalTrain == null) != (evalVal == null)) {
            throw new IllegalArgumentException("give both --eval-train and --eval-val (labelled images), or neither");
        }
        DinoLoss.Centering.parse(centering);
        if (!(koleoWeight >= 0)) throw new IllegalArgumentException("--koleo-weight must be >= 0, got " + koleoWeight);
        if (!posEmbed.equals("learned") && !posEmbed.equals("sincos") && !posEmbed.equals("sincos-learned")) {
            throw new IllegalArgumentException("--pos-embed must be learned, sincos or sincos-learned, got '" + posEmbed + "'");
        }
        if (posEmbed.startsWith("sincos") && vit().embedDim % 4 != 0) {
            throw new IllegalArgumentException("--pos-embed " + posEmbed + " needs a width divisible by 4, got " + vit().embedDim);
        }
        if (knnEvery <= 0) throw new IllegalArgumentException("--knn-every must be positive, got " + knnEvery);
        if (workers <= 0) throw new IllegalArgumentException("--workers must be positive, got " + workers);
        vit();
    }

    public String toJson() {
        return GSON.toJson(this);
    }

    public static TrainConfig fromJson(String json) {
        TrainConfig c = GSON.fromJson(json, TrainConfig.class);
        if (c == null) throw new IllegalArgumentException("empty training configuration");
        return c;
    }
}
