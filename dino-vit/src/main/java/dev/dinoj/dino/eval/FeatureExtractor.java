package dev.dinoj.dino.eval;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
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
 * cls-token features (after the final norm) of every image of a dataset, in dataset order, with the
 * reference's evaluation transform at the model's resolution, in eval mode and without a graph.
 */
public final class FeatureExtractor {
    private FeatureExtractor() {}

    /** [N, D] features, on the CPU (the model runs on the device of its parameters). */
    public static Tensor extract(VisionTransformer model, ImageDataset data, int batchSize, int workers) throws IOException {
        int size = model.config().imageSize, n = data.size();
        Device device = model.device();
        boolean wasTraining = model.isTraining();
        model.eval();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, workers), r -> {
            Thread t = new Thread(r, "dinoj-eval-data");
            t.setDaemon(true);
            return t;
        });
        try (GradMode.Scope ignored = GradMode.disabled()) {
            List<Tensor> parts = new ArrayList<>();
            for (int start = 0; start < n; start += batchSize) {
                int b = Math.min(batchSize, n - start);
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
                // each batch's intermediates are released at once (device memory); the features come back to the CPU
                try (TensorScope batchScope = TensorScope.open()) {
                    Tensor images = Tensor.fromArray(flat, b, 3, size, size).to(device);
                    parts.add(batchScope.keep(model.forward(Variable.constant(images)).data().to(Device.CPU)));
                }
            }
            return Tensor.cat(0, parts);
        } finally {
            pool.shutdownNow();
            model.train(wasTraining);
        }
    }
}
