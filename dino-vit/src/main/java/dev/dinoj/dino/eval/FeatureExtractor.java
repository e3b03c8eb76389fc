package dev.dinoj.dino.eval;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.data.MultiCropAugmentation;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Features of every image of a dataset, in dataset order, with the reference's evaluation transform
 * (resize the shorter side to size / 0.875, centre crop, normalise): the backbone's features (a ViT's cls
 * token after the final norm, a ResNet's pooled features) at the model's resolution, in eval mode and without a graph, or the transformed pixels
 * themselves (the raw-pixel baseline). Images are decoded by a pool of worker threads.
 */
public final class FeatureExtractor {
    private FeatureExtractor() {}

    /** [N, D] features, on the CPU (the model runs on the device of its parameters). */
    public static Tensor extract(Backbone model, ImageDataset data, int batchSize, int workers) throws IOException {
        return run(model, data, batchSize, workers, images -> model.forward(Variable.constant(images)).data());
    }

    /**
     * The linear probe's features, as the reference's eval_linear: the cls tokens (after the final norm)
     * of the last {@code nLastBlocks} blocks, concatenated earliest first, then, with
     * {@code avgpoolPatchTokens}, the mean of the last block's normalised patch tokens:
     * [N, D * (nLastBlocks + (avgpool ? 1 : 0))] on the CPU. (The reference interleaves cls and pooled
     * values, which only works for n = 1; a linear classifier does not care about the order.)
     */
    public static Tensor lastBlocks(VisionTransformer model, ImageDataset data, int nLastBlocks, boolean avgpoolPatchTokens, int batchSize,
            int workers) throws IOException {
        int depth = model.config().depth;
        if (nLastBlocks < 1 || nLastBlocks > depth) {
            throw new IllegalArgumentException("features: n last blocks must be in [1, " + depth + "] (the model's depth), got " + nLastBlocks);
        }
        return run(model, data, batchSize, workers, images -> {
            List<Variable> layers = model.intermediateLayers(Variable.constant(images), nLastBlocks);
            List<Tensor> parts = new ArrayList<>();
            for (Variable l : layers) parts.add(l.data().select(1, 0));
            if (avgpoolPatchTokens) {
                Tensor last = layers.get(layers.size() - 1).data();
                parts.add(last.narrow(1, model.firstPatchToken(), last.size(1) - model.firstPatchToken()).mean(1, false));
            }
            return Tensor.cat(1, parts);
        });
    }

    /**
     * [N, 3 * size * size] on the CPU: each image exactly as {@link MultiCropAugmentation#evalTransform}
     * gives it (normalised, channel-major), flattened; the same transform the model features see.
     */
    public static Tensor pixels(ImageDataset data, int size, int batchSize, int workers) throws IOException {
        if (size <= 0) throw new IllegalArgumentException("pixel features: size must be positive, got " + size);
        if (batchSize <= 0) throw new IllegalArgumentException("pixel features: batch size must be positive, got " + batchSize);
        int n = data.size(), per = 3 * size * size;
        if ((long) n * per > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("pixel features: " + n + " images of 3 x " + size + " x " + size + " do not fit in one array ("
                    + (long) n * per + " values); use a smaller --size or fewer images");
        }
        float[] all = new float[n * per];
        ExecutorService pool = decoders(workers);
        try {
            for (int start = 0; start < n; start += batchSize) {
                int b = Math.min(batchSize, n - start);
                System.arraycopy(decode(pool, data, start, b, size), 0, all, start * per, b * per);
            }
        } finally {
            pool.shutdownNow();
        }
        return Tensor.fromArray(all, n, per);
    }

    /**
     * Runs {@code features} on each batch of evaluation-transformed images [B, 3, size, size] (on the
     * model's device, at the model's resolution) and concatenates the results on the CPU.
     */
    static Tensor run(Backbone model, ImageDataset data, int batchSize, int workers,
            java.util.function.Function<Tensor, Tensor> features) throws IOException {
        if (batchSize <= 0) throw new IllegalArgumentException("features: batch size must be positive, got " + batchSize);
        int size = model.imageSize(), n = data.size();
        Device device = model.device();
        boolean wasTraining = model.isTraining();
        model.eval();
        ExecutorService pool = decoders(workers);
        try (GradMode.Scope ignored = GradMode.disabled()) {
            List<Tensor> parts = new ArrayList<>();
            for (int start = 0; start < n; start += batchSize) {
                int b = Math.min(batchSize, n - start);
                float[] flat = decode(pool, data, start, b, size);
                // each batch's intermediates are released at once (device memory); the features come back to the CPU
                try (TensorScope batchScope = TensorScope.open()) {
                    Tensor images = Tensor.fromArray(flat, b, 3, size, size).to(device);
                    parts.add(batchScope.keep(features.apply(images).to(Device.CPU)));
                }
            }
            return Tensor.cat(0, parts);
        } finally {
            pool.shutdownNow();
            model.train(wasTraining);
        }
    }

    private static ExecutorService decoders(int workers) {
        return Executors.newFixedThreadPool(Math.max(1, workers), r -> {
            Thread t = new Thread(r, "dinoj-eval-data");
            t.setDaemon(true);
            return t;
        });
    }

    /** Images start .. start+b-1 through the evaluation transform, decoded in parallel: [b * 3 * size * size]. */
    private static float[] decode(ExecutorService pool, ImageDataset data, int start, int b, int size) throws IOException {
        List<CompletableFuture<float[]>> imgs = new ArrayList<>(b);
        for (int k = 0; k < b; k++) {
            int i = start + k;
            imgs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return MultiCropAugmentation.evalTransform(data.image(i), size);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, pool));
        }
        int per = 3 * size * size;
        float[] flat = new float[b * per];
        for (int k = 0; k < b; k++) {
            try {
                System.arraycopy(imgs.get(k).join(), 0, flat, k * per, per);
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof java.io.UncheckedIOException) throw ((java.io.UncheckedIOException) e.getCause()).getCause();
                throw e;
            }
        }
        return flat;
    }
}
