package dev.dinoj.dino.eval;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KnnClassifierTest {
    /** Features = class centroid + noise; the centroids are random directions in 16 dimensions. */
    private static Tensor clustered(int[] labels, float noise, Generator g, Tensor centroids) {
        Tensor f = Tensor.randn(g, labels.length, 16).mul(noise);
        return f.add(centroids.indexSelect(0, Tensor.fromIndices(labels)));
    }

    @Test
    void separableClassesAreFoundAndRandomFeaturesScoreChance() {
        Generator g = new Generator(1);
        Random r = new Random(2);
        int classes = 6;
        int[] train = new int[300], test = new int[120];
        for (int i = 0; i < train.length; i++) train[i] = r.nextInt(classes);
        for (int i = 0; i < test.length; i++) test[i] = r.nextInt(classes);
        Tensor centroids = Tensor.randn(g, classes, 16);
        KnnClassifier knn = KnnClassifier.reference();
        KnnClassifier.Result good = knn.evaluate(clustered(train, 0.1f, g, centroids), train, clustered(test, 0.1f, g, centroids), test, classes);
        assertThat(good.top1).isGreaterThan(0.97);
        assertThat(good.top5).isEqualTo(1.0);
        KnnClassifier.Result noise = knn.evaluate(Tensor.randn(g, 300, 16), train, Tensor.randn(g, 120, 16), test, classes);
        assertThat(noise.top1).isLessThan(0.35);
    }

    @Test
    void weightedVoteOfTheNearestNeighbours() {
        // one query, three neighbours: two close ones of class 1 outvote a closer one of class 0 at k = 3
        Tensor train = Tensor.fromArray(new float[] {1f, 0.05f, 1f, 0.2f, 1f, 0.21f, -1f, 0f}, 4, 2);
        Tensor query = Tensor.fromArray(new float[] {1f, 0f}, 1, 2);
        int[] labels = {0, 1, 1, 2};
        assertThat(new KnnClassifier(3, 1f).evaluate(train, labels, query, new int[] {1}, 3).top1).isEqualTo(1.0);
        assertThat(new KnnClassifier(1, 1f).evaluate(train, labels, query, new int[] {0}, 3).top1).isEqualTo(1.0);
        assertThatThrownBy(() -> new KnnClassifier(0, 1f)).hasMessageContaining("k must be positive");
        assertThatThrownBy(() -> KnnClassifier.reference().evaluate(train, new int[] {0}, query, new int[] {0}, 3)).hasMessageContaining("labels");
    }

    /** A naive reference: every similarity in double, neighbours by a full stable sort, votes over the first k. */
    private static double[] naive(int k, double t, float[][] bank, int[] bankLabels, float[][] queries, int[] labels, int classes) {
        int c1 = 0, c5 = 0;
        for (int q = 0; q < queries.length; q++) {
            double[] sim = new double[bank.length];
            for (int j = 0; j < bank.length; j++) sim[j] = cosine(queries[q], bank[j]);
            Integer[] order = new Integer[bank.length];
            for (int j = 0; j < order.length; j++) order[j] = j;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(sim[b], sim[a]));
            double[] votes = new double[classes];
            for (int j = 0; j < Math.min(k, bank.length); j++) votes[bankLabels[order[j]]] += Math.exp(sim[order[j]] / t);
            Integer[] ranked = new Integer[classes];
            for (int c = 0; c < classes; c++) ranked[c] = c;
            java.util.Arrays.sort(ranked, (a, b) -> Double.compare(votes[b], votes[a]));
            if (ranked[0] == labels[q]) c1++;
            for (int c = 0; c < Math.min(5, classes); c++) if (ranked[c] == labels[q]) c5++;
        }
        return new double[] {(double) c1 / queries.length, (double) c5 / queries.length};
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static float[][] rows(Tensor t) {
        float[][] r = new float[t.size(0)][];
        for (int i = 0; i < r.length; i++) r[i] = t.select(0, i).toFloatArray();
        return r;
    }

    @Test
    void severalKInOnePassEqualSeparateEvaluationsAndANaiveReference() {
        // 300 queries: more than one block of 256; 197 neighbours, so k = 200 means the whole bank
        Generator g = new Generator(5);
        Random r = new Random(6);
        int classes = 7, n = 197, m = 300;
        int[] bankLabels = new int[n], labels = new int[m];
        for (int i = 0; i < n; i++) bankLabels[i] = r.nextInt(classes);
        for (int i = 0; i < m; i++) labels[i] = r.nextInt(classes);
        Tensor centroids = Tensor.randn(g, classes, 16);
        Tensor bank = clustered(bankLabels, 1.2f, g, centroids), queries = clustered(labels, 1.2f, g, centroids); // overlapping classes
        int[] ks = {200, 10, 1, 20, 100};
        java.util.Map<Integer, KnnClassifier.Result> all = KnnClassifier.evaluate(ks, 0.07f, bank, bankLabels, queries, labels, classes);
        assertThat(all.keySet()).containsExactly(200, 10, 1, 20, 100);
        float[][] b = rows(bank), q = rows(queries);
        for (int k : ks) {
            KnnClassifier.Result one = new KnnClassifier(k, 0.07f).evaluate(bank, bankLabels, queries, labels, classes);
            assertThat(all.get(k).top1).as("k=%d", k).isEqualTo(one.top1);
            assertThat(all.get(k).top5).as("k=%d", k).isEqualTo(one.top5);
            double[] ref = naive(k, 0.07, b, bankLabels, q, labels, classes);
            // float vs double similarities may swap a near-tie: at most one query of 300 differs
            assertThat(all.get(k).top1).as("k=%d vs naive", k).isCloseTo(ref[0], org.assertj.core.data.Offset.offset(1.01 / m));
            assertThat(all.get(k).top5).as("k=%d vs naive", k).isCloseTo(ref[1], org.assertj.core.data.Offset.offset(1.01 / m));
        }
        // not all k agree on these overlapping classes, so the test tells the k apart
        assertThat(all.values().stream().map(x -> x.top1).distinct().count()).isGreaterThan(1);
        assertThat(all.get(20).top1).isBetween(0.3, 0.99);
        assertThatThrownBy(() -> KnnClassifier.evaluate(new int[0], 0.07f, bank, bankLabels, queries, labels, classes)).hasMessageContaining("no k");
        assertThatThrownBy(() -> KnnClassifier.evaluate(new int[] {5}, 0.07f, bank, bankLabels, queries, labels, 3))
                .hasMessageContaining("bank label");
    }

    @Test
    void severalKOnSeparableFeatures() {
        Generator g = new Generator(11);
        Random r = new Random(12);
        int classes = 10;
        int[] train = new int[500], test = new int[263];
        for (int i = 0; i < train.length; i++) train[i] = r.nextInt(classes);
        for (int i = 0; i < test.length; i++) test[i] = r.nextInt(classes);
        Tensor centroids = Tensor.randn(g, classes, 16);
        java.util.Map<Integer, KnnClassifier.Result> byK = KnnClassifier.evaluate(KnnClassifier.REFERENCE_KS, 0.07f,
                clustered(train, 0.1f, g, centroids), train, clustered(test, 0.1f, g, centroids), test, classes);
        assertThat(byK.keySet()).containsExactly(10, 20, 100, 200);
        for (KnnClassifier.Result res : byK.values()) {
            assertThat(res.top1()).isGreaterThan(0.97);
            assertThat(res.top5()).isEqualTo(1.0);
        }
    }
}
