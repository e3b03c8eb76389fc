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
}
