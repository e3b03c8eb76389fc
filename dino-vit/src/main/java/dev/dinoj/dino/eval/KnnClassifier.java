package dev.dinoj.dino.eval;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
import dev.dinoj.tensor.cpu.Parallel;

import java.util.LinkedHashMap;
import java.util.Map;

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
        return new KnnClassifier(REFERENCE_K, REFERENCE_TEMPERATURE);
    }

    /** Top-1 and top-5 accuracy in [0, 1]. */
    public static final class Result {
        public final double top1, top5;

        Result(double top1, double top5) {
            this.top1 = top1;
            this.top5 = top5;
        }

        public double top1() {
            return top1;
        }

        public double top5() {
            return top5;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "top-1 %.2f%%, top-5 %.2f%%", 100 * top1, 100 * top5);
        }
    }

    /** The k the reference's eval_knn reports (its --nb_knn default); k = 20 is its headline. */
    public static final int[] REFERENCE_KS = {10, 20, 100, 200};
    /** The reference's headline k and vote temperature. */
    public static final int REFERENCE_K = 20;
    public static final float REFERENCE_TEMPERATURE = 0.07f;

    /** Queries whose similarities to the whole bank are held at once: memory is QUERY_BLOCK x N floats. */
    static final int QUERY_BLOCK = 256;

    /**
     * @param trainFeatures [N, D], trainLabels N labels in [0, classes)
     * @param testFeatures [M, D], testLabels M labels
     */
    public Result evaluate(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels, int classes) {
        return evaluate(new int[] {k}, temperature, trainFeatures, trainLabels, testFeatures, testLabels, classes).get(k);
    }

    /**
     * Accuracy at several k from one similarity computation and one selection of the max(ks) nearest
     * neighbours per query; each k's result equals a separate evaluation at that k (the k nearest are a
     * prefix of the max(ks) nearest, ties broken by lower bank index, and votes are summed in the same
     * order). Similarities are computed for blocks of {@value #QUERY_BLOCK} queries at a time, so memory
     * is O(block x N), not O(M x N). k larger than the bank means the whole bank.
     *
     * @return results by k, in the order of {@code ks} (duplicates collapse)
     */
    public static Map<Integer, Result> evaluate(int[] ks, float temperature, Tensor trainFeatures, int[] trainLabels, Tensor testFeatures,
            int[] testLabels, int classes) {
        if (ks.length == 0) throw new IllegalArgumentException("k-NN: no k given");
        for (int k : ks) if (k <= 0) throw new IllegalArgumentException("k-NN: k must be positive, got " + k);
        if (!(temperature > 0)) throw new IllegalArgumentException("k-NN: temperature must be positive, got " + temperature);
        if (trainFeatures.rank() != 2 || testFeatures.rank() != 2 || trainFeatures.size(1) != testFeatures.size(1)) {
            throw new IllegalArgumentException("k-NN: features must be [N, D] and [M, D] with one D, got " + trainFeatures.shape()
                    + " and " + testFeatures.shape());
        }
        if (trainLabels.length != trainFeatures.size(0) || testLabels.length != testFeatures.size(0)) {
            throw new IllegalArgumentException("k-NN: " + trainLabels.length + " / " + testLabels.length + " labels for "
                    + trainFeatures.size(0) + " / " + testFeatures.size(0) + " features");
        }
        if (trainLabels.length == 0 || testLabels.length == 0) throw new IllegalArgumentException("k-NN: empty bank or query set");
        for (int l : trainLabels) {
            if (l < 0 || l >= classes) throw new IllegalArgumentException("k-NN: bank label " + l + " is outside [0, " + classes + ")");
        }
        int n = trainFeatures.size(0), m = testFeatures.size(0);
        int[] sorted = java.util.Arrays.stream(ks).distinct().sorted().toArray();
        int kmax = Math.min(sorted[sorted.length - 1], n), top = Math.min(5, classes);
        int[][] correct1 = new int[sorted.length][m], correct5 = new int[sorted.length][m];
        try (TensorScope scope = TensorScope.open()) {
            Tensor train = l2normalize(trainFeatures), trainT = train.t();
            for (int q0 = 0; q0 < m; q0 += QUERY_BLOCK) {
                int rows = Math.min(QUERY_BLOCK, m - q0), first = q0;
                float[] sim;
                try (TensorScope block = TensorScope.open()) {
                    sim = l2normalize(testFeatures.narrow(0, q0, rows)).matmul(trainT).toFloatArray();
                }
                Parallel.forRange(rows, 1, n, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        int q = first + r;
                        int[] nearest = topK(sim, r * n, n, kmax);
                        double[] votes = new double[classes];
                        int next = 0;
                        for (int j = 0; j < kmax; j++) {
                            votes[trainLabels[nearest[j]]] += Math.exp(sim[r * n + nearest[j]] / temperature);
                            // every k whose neighbours are now all counted (k beyond the bank: at the last one)
                            while (next < sorted.length && (Math.min(sorted[next], n) == j + 1)) {
                                int[] ranked = topK(votes, top);
                                if (ranked[0] == testLabels[q]) correct1[next][q] = 1;
                                for (int c : ranked) if (c == testLabels[q]) correct5[next][q] = 1;
                                next++;
                            }
                        }
                    }
                });
            }
        }
        Map<Integer, Result> out = new LinkedHashMap<>();
        for (int k : ks) {
            int i = java.util.Arrays.binarySearch(sorted, k);
            out.put(k, new Result((double) sum(correct1[i]) / m, (double) sum(correct5[i]) / m));
        }
        return out;
    }

    private static int sum(int[] a) {
        int s = 0;
        for (int v : a) s += v;
        return s;
    }

    static Tensor l2normalize(Tensor x) {
        return x.normalize(1, 1e-12f);
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
