package dev.dinoj.dino.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Block-wise masking of a patch grid (BEiT's, as DINOv2 uses it for the iBOT objective): rectangles of
 * random area (at least {@code minBlock} patches) and aspect ratio (log-uniform in [0.3, 1/0.3]) are
 * masked one after another until the requested number of patches is covered (or ten tries in a row
 * add nothing). For a batch, DINOv2's collate: a {@code probability} share of the images is masked,
 * the i-th of them with a ratio drawn uniformly from the i-th of equal slices of [ratioMin, ratioMax]
 * (so the batch spans the whole range), the rest unmasked, and the masks shuffled over the batch.
 */
public final class BlockMasking {
    private static final double MIN_ASPECT = 0.3;

    private final int height, width, minBlock, maxBlock;
    private final double ratioMin, ratioMax, probability;

    /**
     * @param height patch rows; @param width patch columns
     * @param ratioMin smallest masked share of a masked image (DINOv2: 0.1); @param ratioMax largest (0.5)
     * @param probability share of the images masked at all (DINOv2: 0.5)
     */
    public BlockMasking(int height, int width, double ratioMin, double ratioMax, double probability) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("masking: the patch grid must be positive, got " + height + " x " + width);
        if (!(ratioMin >= 0 && ratioMin <= ratioMax && ratioMax <= 1)) {
            throw new IllegalArgumentException("--mask-ratio must be lo,hi with 0 <= lo <= hi <= 1, got " + ratioMin + "," + ratioMax);
        }
        if (!(probability >= 0 && probability <= 1)) throw new IllegalArgumentException("--mask-probability must be in [0, 1], got " + probability);
        this.height = height;
        this.width = width;
        this.minBlock = 4;
        this.maxBlock = Math.max(1, height * width / 2); // DINOv2: max_num_patches = 0.5 * patches
        this.ratioMin = ratioMin;
        this.ratioMax = ratioMax;
        this.probability = probability;
    }

    /** One mask over the grid, row-major, with about {@code count} patches set (fewer when blocks stop fitting). */
    public boolean[] mask(int count, SplittableRandom r) {
        boolean[] mask = new boolean[height * width];
        int done = 0;
        while (done < count) {
            int added = addBlock(mask, Math.min(count - done, maxBlock), r);
            if (added == 0) break;
            done += added;
        }
        return mask;
    }

    /** Up to ten tries at one block of at most {@code limit} new patches; returns how many it masked. */
    private int addBlock(boolean[] mask, int limit, SplittableRandom r) {
        double logMin = Math.log(MIN_ASPECT), logMax = Math.log(1 / MIN_ASPECT);
        for (int attempt = 0; attempt < 10; attempt++) {
            double area = minBlock + (limit - minBlock) * r.nextDouble(); // limit < minBlock: an area below it, as random.uniform allows
            double aspect = Math.exp(logMin + (logMax - logMin) * r.nextDouble());
            int h = (int) Math.round(Math.sqrt(area * aspect)), w = (int) Math.round(Math.sqrt(area / aspect));
            if (w >= width || h >= height) continue;
            int top = r.nextInt(height - h + 1), left = r.nextInt(width - w + 1);
            int already = 0;
            for (int i = top; i < top + h; i++) for (int j = left; j < left + w; j++) if (mask[i * width + j]) already++;
            int fresh = h * w - already;
            if (fresh > 0 && fresh <= limit) {
                for (int i = top; i < top + h; i++) for (int j = left; j < left + w; j++) mask[i * width + j] = true;
                return fresh;
            }
        }
        return 0;
    }

    /** Masks of a batch of {@code batch} images, [batch][patches], as DINOv2's collate draws them. */
    public List<boolean[]> batch(int batch, SplittableRandom r) {
        int n = height * width, masked = (int) (batch * probability);
        List<boolean[]> masks = new ArrayList<>(batch);
        for (int i = 0; i < masked; i++) {
            double lo = ratioMin + (ratioMax - ratioMin) * i / masked, hi = ratioMin + (ratioMax - ratioMin) * (i + 1) / masked;
            masks.add(mask((int) (n * (lo + (hi - lo) * r.nextDouble())), r));
        }
        for (int i = masked; i < batch; i++) masks.add(new boolean[n]);
        for (int i = batch - 1; i > 0; i--) { // Fisher-Yates, as random.shuffle
            int j = r.nextInt(i + 1);
            boolean[] t = masks.get(i);
            masks.set(i, masks.get(j));
            masks.set(j, t);
        }
        return masks;
    }
}
