package dev.dinoj.dino.train;

import dev.dinoj.dino.data.BlockMasking;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The patch masks of one step's 2B global crops: [2B, N] (1 = masked), the masked patches' flat indices, and
 * 1 / (masked patches of its image) per index, the weight that averages each image's masked patches.
 */
record StepMasks(Tensor masks, Tensor index, Tensor weights) {
    /** The masks of iteration {@code it}: drawn from the seed and the iteration alone, so a resumed run draws the same ones. */
    static StepMasks draw(BlockMasking masking, int b, long seed, int it, Device device) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + it + 0x632BE59BD9B4E019L);
        List<boolean[]> drawn = masking.batch(2 * b, r);
        int n = drawn.get(0).length;
        float[] m = new float[2 * b * n];
        List<Integer> index = new ArrayList<>();
        List<Float> weight = new ArrayList<>();
        for (int i = 0; i < 2 * b; i++) {
            int count = 0;
            for (boolean x : drawn.get(i)) if (x) count++;
            for (int p = 0; p < n; p++) {
                if (!drawn.get(i)[p]) continue;
                m[i * n + p] = 1f;
                index.add(i * n + p);
                weight.add(1f / count);
            }
        }
        int[] idx = index.stream().mapToInt(Integer::intValue).toArray();
        float[] w = new float[weight.size()];
        for (int i = 0; i < w.length; i++) w[i] = weight.get(i);
        return new StepMasks(Tensor.fromArray(m, Shape.of(2 * b, n), device), Tensor.fromIndices(idx, idx.length).to(device),
                Tensor.fromArray(w, Shape.of(w.length), device));
    }
}
