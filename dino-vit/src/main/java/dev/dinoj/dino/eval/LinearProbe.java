package dev.dinoj.dino.eval;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Linear;
import dev.dinoj.nn.ParamGroup;
import dev.dinoj.nn.Schedule;
import dev.dinoj.nn.Sgd;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;

/**
 * A linear classifier on frozen, cached features, as the reference's eval_linear: one Linear layer
 * (weights normal with std 0.01, zero bias), cross-entropy, SGD with momentum 0.9 and no weight decay,
 * learning rate {@code lr * batch / 256} (the linear scaling rule) annealed per epoch by a cosine to 0
 * (CosineAnnealingLR(epochs, eta_min=0)), shuffled mini-batches with the last one kept; top-1 and top-5
 * on the validation features. The reference augments its training images (RandomResizedCrop + flip) and
 * recomputes features every step; here features are computed once and no augmentation is applied. Runs
 * on the CPU with the project's autograd; deterministic given the seed.
 */
public final class LinearProbe {
    private LinearProbe() {}

    /**
     * @param epochs training epochs (reference: 100)
     * @param batchSize samples per step (the reference's per-GPU 128 x 8 GPUs = 1024; 256 here)
     * @param lr base learning rate for a batch of 256, scaled by batchSize / 256 (reference: 0.001)
     * @param momentum SGD momentum (reference: 0.9)
     * @param weightDecay L2 weight decay (reference: 0)
     * @param valEvery validate every this many epochs and at the last (reference val_freq: 1); 0 = only at the last
     * @param standardize z-score each feature dimension with the training set's mean and standard deviation
     *        (not in DINO's eval_linear, so off in reference(); MAE's probe does it, and the dino linear command does by default)
     * @param seed initialisation and data order
     */
    public record Options(int epochs, int batchSize, double lr, double momentum, double weightDecay, int valEvery, boolean standardize,
            long seed) {
        public static final double REFERENCE_LR = 0.001;

        public Options {
            if (epochs <= 0) throw new IllegalArgumentException("linear probe: epochs must be positive, got " + epochs);
            if (batchSize <= 0) throw new IllegalArgumentException("linear probe: batch size must be positive, got " + batchSize);
            if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("linear probe: lr must be positive and finite, got " + lr);
            if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("linear probe: momentum must be in [0, 1), got " + momentum);
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("linear probe: weight decay must be finite and >= 0, got " + weightDecay);
            }
            if (valEvery < 0) throw new IllegalArgumentException("linear probe: validation frequency must be >= 0, got " + valEvery);
        }

        /** The reference's settings at batch 256: 100 epochs, lr 0.001, momentum 0.9, no weight decay, validation every epoch. */
        public static Options reference() {
            return new Options(100, 256, REFERENCE_LR, 0.9, 0, 1, false, 0);
        }

        /** The learning rate at epoch 0: lr * batchSize / 256. */
        public double scaledLr() {
            return lr * batchSize / 256.0;
        }

        public Options withEpochs(int e) {
            return new Options(e, batchSize, lr, momentum, weightDecay, valEvery, standardize, seed);
        }

        public Options withBatchSize(int b) {
            return new Options(epochs, b, lr, momentum, weightDecay, valEvery, standardize, seed);
        }

        public Options withLr(double l) {
            return new Options(epochs, batchSize, l, momentum, weightDecay, valEvery, standardize, seed);
        }

        public Options withWeightDecay(double wd) {
            return new Options(epochs, batchSize, lr, momentum, wd, valEvery, standardize, seed);
        }

        public Options withValEvery(int v) {
            return new Options(epochs, batchSize, lr, momentum, weightDecay, v, standardize, seed);
        }

        public Options withStandardize(boolean s) {
            return new Options(epochs, batchSize, lr, momentum, weightDecay, valEvery, s, seed);
        }

        public Options withSeed(long s) {
            return new Options(epochs, batchSize, lr, momentum, weightDecay, valEvery, standardize, s);
        }
    }

    /**
     * @param top1 top-1 validation accuracy in [0, 1] after the last epoch
     * @param top5 top-5 after the last epoch (top-{classes} when there are fewer than 5 classes)
     * @param bestTop1 the highest top-1 over the validations (what the reference prints as its result)
     * @param bestEpoch the epoch (1-based) of bestTop1
     * @param trainLoss mean cross-entropy over the last epoch's steps
     * @param trainTop1 top-1 on the training features after the last epoch
     */
    public record Result(double top1, double top5, double bestTop1, int bestEpoch, double trainLoss, double trainTop1) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "top-1 %.2f%%, top-5 %.2f%%", 100 * top1, 100 * top5);
        }
    }

    /**
     * Trains on trainF [N, D] with labels in [0, classes) and validates on valF [M, D]. Progress lines
     * (about ten) go to {@code progress} when it is not null.
     */
    public static Result train(Tensor trainF, int[] trainL, Tensor valF, int[] valL, int classes, Options o, PrintStream progress) {
        check(trainF, trainL, "train", classes);
        check(valF, valL, "val", classes);
        if (trainF.size(1) != valF.size(1)) {
            throw new IllegalArgumentException("linear probe: train features have " + trainF.size(1) + " dimensions, val " + valF.size(1));
        }
        if (classes < 2) throw new IllegalArgumentException("linear probe: needs at least 2 classes, got " + classes);
        int n = trainF.size(0), dim = trainF.size(1);
        try (TensorScope run = TensorScope.open()) {
            Tensor train = trainF.to(Device.CPU).contiguous(), val = valF.to(Device.CPU).contiguous();
            if (o.standardize()) {
                Tensor[] ms = meanStd(train);
                train = train.sub(ms[0]).div(ms[1]);
                val = val.sub(ms[0]).div(ms[1]);
            }
            Generator g = new Generator(o.seed());
            Linear classifier = new Linear(dim, classes, true, g);
            classifier.weight().data().copyFrom(Tensor.randn(g, classes, dim).mul(0.01f));
            classifier.bias().data().fill(0f);
            ParamGroup group = new ParamGroup(classifier.namedParameters(), o.scaledLr(), o.weightDecay());
            Sgd sgd = new Sgd((float) o.momentum(), false, group);
            Schedule lr = Schedule.warmupCosine(o.scaledLr(), 0, o.epochs(), 1, 0, 0);
            Random order = new Random(o.seed());
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            double best = -1, lastLoss = Double.NaN;
            int bestEpoch = 0;
            double[] last = null;
            int report = Math.max(1, o.epochs() / 10);
            for (int epoch = 0; epoch < o.epochs(); epoch++) {
                group.setLr(lr.at(epoch));
                shuffle(perm, order);
                double lossSum = 0;
                for (int s = 0; s < n; s += o.batchSize()) {
                    int b = Math.min(o.batchSize(), n - s);
                    int[] rows = java.util.Arrays.copyOfRange(perm, s, s + b), labels = new int[b];
                    for (int i = 0; i < b; i++) labels[i] = trainL[rows[i]];
                    try (TensorScope step = TensorScope.open()) {
                        Variable x = Variable.constant(train.indexSelect(0, Tensor.fromIndices(rows)));
                        Variable logits = classifier.forward(x);
                        Variable loss = logits.logSoftmax().gather(1, Tensor.fromIndices(labels, b, 1)).mean().neg();
                        loss.backward();
                        sgd.step();
                        lossSum += loss.item() * b;
                    }
                    sgd.zeroGrad(); // the gradients were closed with the step's scope
                }
                lastLoss = lossSum / n;
                boolean lastEpoch = epoch == o.epochs() - 1;
                if (lastEpoch || (o.valEvery() > 0 && epoch % o.valEvery() == 0)) {
                    double[] acc = accuracy(classifier, val, valL, classes);
                    if (acc[0] > best) {
                        best = acc[0];
                        bestEpoch = epoch + 1;
                    }
                    if (lastEpoch) last = acc;
                    if (progress != null && (lastEpoch || epoch % report == 0)) {
                        progress.printf(Locale.ROOT, "linear probe epoch %d/%d: lr %.3g, train loss %.4f, val top-1 %.2f%%, top-5 %.2f%%%n", epoch + 1,
                                o.epochs(), lr.at(epoch), lastLoss, 100 * acc[0], 100 * acc[1]);
                    }
                }
            }
            double trainTop1 = accuracy(classifier, train, trainL, classes)[0];
            return new Result(last[0], last[1], best, bestEpoch, lastLoss, trainTop1);
        }
    }

    /** {top-1, top-5} of the classifier on features [M, D], in blocks of rows. */
    private static double[] accuracy(Linear classifier, Tensor features, int[] labels, int classes) {
        int m = features.size(0), top = Math.min(5, classes), c1 = 0, c5 = 0;
        int block = Math.max(1, (1 << 22) / Math.max(classes, features.size(1)));
        try (GradMode.Scope ignored = GradMode.disabled()) {
            for (int s = 0; s < m; s += block) {
                int b = Math.min(block, m - s);
                float[] logits;
                try (TensorScope scope = TensorScope.open()) {
                    logits = classifier.forward(Variable.constant(features.narrow(0, s, b))).data().toFloatArray();
                }
                for (int r = 0; r < b; r++) {
                    int label = labels[s + r], off = r * classes;
                    float mine = logits[off + label];
                    // rank of the true class: how many classes score higher (ties count against it, lower index first)
                    int above = 0;
                    for (int c = 0; c < classes; c++) {
                        float v = logits[off + c];
                        if (v > mine || (v == mine && c < label)) above++;
                    }
                    if (above == 0) c1++;
                    if (above < top) c5++;
                }
            }
        }
        return new double[] {(double) c1 / m, (double) c5 / m};
    }

    private static void shuffle(int[] a, Random r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Column means and standard deviations (population; 1 where a column is constant) of x [N, D], in double precision. */
    private static Tensor[] meanStd(Tensor x) {
        int n = x.size(0), d = x.size(1);
        float[] v = x.toFloatArray();
        double[] sum = new double[d], sq = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double e = v[i * d + j];
                sum[j] += e;
                sq[j] += e * e;
            }
        }
        float[] mean = new float[d], std = new float[d];
        for (int j = 0; j < d; j++) {
            double mu = sum[j] / n, var = Math.max(0, sq[j] / n - mu * mu);
            mean[j] = (float) mu;
            std[j] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        return new Tensor[] {Tensor.fromArray(mean, 1, d), Tensor.fromArray(std, 1, d)};
    }

    private static void check(Tensor f, int[] labels, String what, int classes) {
        if (f.rank() != 2) throw new IllegalArgumentException("linear probe: " + what + " features must be [N, D], got " + f.shape());
        if (labels.length != f.size(0) || labels.length == 0) {
            throw new IllegalArgumentException("linear probe: " + labels.length + " " + what + " labels for " + f.size(0) + " features");
        }
        for (int l : labels) {
            if (l < 0 || l >= classes) throw new IllegalArgumentException("linear probe: " + what + " label " + l + " is outside [0, " + classes + ")");
        }
        float[] v = f.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException("linear probe: " + what + " feature " + i / f.size(1) + " has a non-finite value (" + v[i] + ")");
            }
        }
    }
}
