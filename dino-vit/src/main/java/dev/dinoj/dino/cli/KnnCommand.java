package dev.dinoj.dino.cli;

import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.data.ImageFolder;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.dino.eval.FeatureExtractor;
import dev.dinoj.dino.eval.KnnClassifier;
import dev.dinoj.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "knn", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"k-NN classification accuracy (top-1, top-5) of a backbone's features.",
            "cls features are L2-normalised; the k most cosine-similar neighbours vote with weight exp(sim / T), as",
            "the reference's eval_knn. Without --train/--val it evaluates on the built-in synthetic shapes."})
final class KnnCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Option(names = "--train", description = "labelled image folder (class sub-folders) used as the neighbour bank")
    Path train;
    @Option(names = "--val", description = "labelled image folder to classify")
    Path val;
    @Option(names = "--synthetic-train", description = "synthetic bank size when no folders are given")
    int syntheticTrain = 2048;
    @Option(names = "--synthetic-val", description = "synthetic query count when no folders are given")
    int syntheticVal = 600;
    @Option(names = "--synthetic-size", description = "synthetic image size")
    int syntheticSize = 40;
    @Option(names = "--seed", description = "seed of the synthetic bank (queries use a different stream)")
    long seed = 0;
    @Option(names = "-k", description = "neighbours")
    int k = 20;
    @Option(names = "--temperature", description = "vote temperature T")
    float temperature = 0.07f;
    @Option(names = "--batch-size", description = "images per forward pass")
    int batchSize = 128;
    @Option(names = "--workers", description = "image decoding threads")
    int workers = 2;

    @Override
    public Integer call() throws Exception {
        if ((train == null) != (val == null)) throw new IllegalArgumentException("give both --train and --val, or neither (synthetic data)");
        VisionTransformer vit = model.load();
        ImageDataset bank, queries;
        if (train != null) {
            bank = labelled(train);
            queries = labelled(val);
            if (!bank.classes().equals(queries.classes())) {
                throw new IllegalArgumentException("--train classes " + bank.classes() + " differ from --val classes " + queries.classes());
            }
        } else {
            bank = new SyntheticShapes(syntheticTrain, syntheticSize, seed);
            queries = new SyntheticShapes(syntheticVal, syntheticSize, seed + 1_000_003L);
        }
        Tensor bf = FeatureExtractor.extract(vit, bank, batchSize, workers), qf = FeatureExtractor.extract(vit, queries, batchSize, workers);
        KnnClassifier.Result r = new KnnClassifier(k, temperature).evaluate(bf, bank.labels(), qf, queries.labels(), bank.classes().size());
        System.out.printf("k-NN (k=%d, T=%s) on %d queries against %d neighbours: %s%n", k, temperature, queries.size(), bank.size(), r);
        return 0;
    }

    private static ImageDataset labelled(Path dir) throws IOException {
        ImageFolder f = new ImageFolder(dir);
        if (!f.isLabelled()) throw new IOException(dir + " has no class sub-folders: k-NN needs labelled images");
        return f;
    }
}
