package dev.dinoj.dino.eval;

import dev.dinoj.tensor.Tensor;

/**
 * Weighted k-nearest-neighbour classification on L2-normalised features, as the reference's
 * eval_knn: cosine similarity to every training feature, the k most similar vote for their class
 * with weight exp(similarity / T); top-1 and top-5 accuracy.
 */
public final class KnnClassifier {
    private final int k;
    private final float temperature;

    public KnnClassifier(int k, float temperature) {
        if (k <= 0) throw new IllegalArgumentException("k-NN: k must be positive, got " + k);
        if (!(temperature > 0)) throw new IllegalArgumentException("k-NN: temperature must be positive, got " + temperature);
        this.k = k;
        this.temperature = temperature;
    }

    /** The reference's setting: k = 20, T = 0.07. */
    public static KnnClassifier reference() {
        return new KnnClassifier(20, 0.07f);
    }

    /** Top-1 and top-5 accuracy in [0, 1]. */
    public static final class Result {
        public final double top1, top5;

        Result(double top1, double top5) {
            this.top1 = top1;
            this.top5 = top5;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "top-1 %.2f%%, top-5 %.2f%%", 100 * top1, 100 * top5);
        }
    }

    /**
     * @param trainFeatures [N, D], trainLabels N labels in [0, classes)
     * @param testFeatures [M, D], testLabels M labels
     */
    public Result evaluate(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels, int classes) {
        if (trainFeatures.rank() != 2 || testFeatures.rank() != 2 || trainFeatures.size(1) != testFeatures.size(1)) {
            throw new IllegalArgumentException("k-NN: features must be [N, D] and [M, D] with one D, got " + trainFeatures.shape()
                    + " and " + testFeatures.shape());
        }
        if (trainLabels.length != trainFeatures.size(0) || testLabels.length != testFeatures.size(0)) {
            throw new IllegalArgumentException("k-NN: " + trainLabels.length + " / " + testLabels.length + " labels for "
                    + trainFeatures.size(0) + " / " + testFeatures.size(0) + " features");
        }
        Tensor train = l2normalize(trainFeatures), test = l2normalize(testFeatures);
        int n = train.size(0), m = test.size(0), kk = Math.min(k, n);
        float[] sim = test.matmul(train.t()).toFloatArray();
        int correct1 = 0, correct5 = 0;
        for (int q = 0; q < m; q++) {
            int[] nearest = topK(sim, q * n, n, kk);
            double[] votes = new double[classes];
            for (int j : nearest) votes[trainLabels[j]] += Math.exp(sim[q * n + j] / temperature);
            int[] ranked = topK(votes, Math.min(5, classes));
            if (ranked[0] == testLabels[q]) correct1++;
            for (int c : ranked) {
                if (c == testLabels[q]) {
                    correct5++;
                    break;
                }
            }
        }
        return new Result((double) correct1 / m, (double) correct5 / m);
    }

    static Tensor l2normalize(Tensor x) {
        return x.div(x.norm(new int[] {1}, true).clampMin(1e-12f));
    }

    /** Indices of the kk largest of a[off .. off+n), largest first (ties: lower index first). */
    private static int[] topK(float[] a, int off, int n, int kk) {
        int[] idx = new int[kk];
        float[] val = new float[kk];
        int filled = 0;
        for (int j = 0; j < n; j++) {
            float v = a[off + j];
            if (filled == kk && v <= val[kk - 1]) continue;
            int pos = filled < kk ? filled++ : kk - 1;
            while (pos > 0 && val[pos - 1] < v) {
                val[pos] = val[pos - 1];
                idx[pos] = idx[pos - 1];
                pos--;
            }
            val[pos] = v;
            idx[pos] = j;
        }
        return idx;
    }

    private static int[] topK(double[] a, int kk) {
        float[] f = new float[a.length];
        // votes can exceed float range only for absurd temperatures; rank on log scale to be safe
        for (int i = 0; i < a.length; i++) f[i] = a[i] > 0 ? (float) Math.log(a[i]) : Float.NEGATIVE_INFINITY;
        return topK(f, 0, a.length, kk);
    }
}
