package dev.dinoj.dino.cli;

import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.data.Datasets;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.dino.eval.FeatureExtractor;
import dev.dinoj.dino.eval.KnnClassifier;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "knn", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"k-NN classification accuracy (top-1, top-5) of a backbone's features, or of",
            "the raw pixels (--pixels). Features are L2-normalised; the k most cosine-similar",
            "neighbours vote with weight exp(sim / T), as the reference's eval_knn, which",
            "reports k = 10, 20, 100 and 200 (headline: k = 20, T = 0.07). Without",
            "--train/--val it evaluates on the built-in synthetic shapes."})
final class KnnCommand implements Callable<Integer> {
    static final int HEADLINE_K = KnnClassifier.REFERENCE_K;

    @Mixin
    ModelOptions model;
    @Option(names = "--train", description = "labelled dataset used as the neighbour bank: class sub-folders of images, IDX or CIFAR files, "
            + "or a folder with train/ and val/ (its train split is used)")
    Path train;
    @Option(names = "--val", description = "labelled dataset to classify (the same kinds; a folder with both splits gives its val split)")
    Path val;
    @Option(names = "--synthetic-train", description = "synthetic bank size when no folders are given")
    int syntheticTrain = 2048;
    @Option(names = "--synthetic-val", description = "synthetic query count when no folders are given")
    int syntheticVal = 600;
    @Option(names = "--synthetic-size", description = "synthetic image size")
    int syntheticSize = 40;
    @Option(names = "--seed", description = "seed of the synthetic bank (queries use a different stream)")
    long seed = 0;
    @Option(names = "-k", description = "neighbours (default: report k = 10, 20, 100 and 200 from one pass)")
    Integer k;
    @Option(names = "--temperature", description = "vote temperature T")
    float temperature = KnnClassifier.REFERENCE_TEMPERATURE;
    @Option(names = "--pixels", description = "classify the raw pixels (the same evaluation transform, flattened) instead of model features; "
            + "needs no --checkpoint")
    boolean pixels;
    @Option(names = "--size", description = "image size for --pixels (default: the model's with --checkpoint, else 32)")
    Integer size;
    @Option(names = "--batch-size", description = "images per forward pass")
    int batchSize = 128;
    @Option(names = "--workers", description = "image decoding threads")
    int workers = 2;

    @Override
    public Integer call() throws Exception {
        if ((train == null) != (val == null)) throw new IllegalArgumentException("give both --train and --val, or neither (synthetic data)");
        if (size != null && !pixels) throw new IllegalArgumentException("--size applies to --pixels only (model features use the model's image size)");
        if (k != null && k <= 0) throw new IllegalArgumentException("-k must be positive, got " + k);
        OptionChecks.positive("--batch-size", batchSize);
        OptionChecks.positive("--workers", workers);
        if (train == null) {
            OptionChecks.positive("--synthetic-train", syntheticTrain);
            OptionChecks.positive("--synthetic-val", syntheticVal);
            OptionChecks.positive("--synthetic-size", syntheticSize);
        }
        if (!(temperature > 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("--temperature must be positive, got " + temperature);
        Device dev = pixels ? Device.CPU : model.device();
        Backbone vit = pixels ? null : model.load(dev); // first: a missing --checkpoint is reported before any data is read
        ImageDataset bank, queries;
        if (train != null) {
            Datasets.LabelledPair pair = Datasets.openLabelledPair(train, val, "--train", "--val");
            bank = pair.train();
            queries = pair.val();
        } else {
            bank = new SyntheticShapes(syntheticTrain, syntheticSize, seed);
            queries = new SyntheticShapes(syntheticVal, syntheticSize, seed + 1_000_003L);
        }
        Tensor bf, qf;
        String what;
        if (pixels) {
            model.applyThreads();
            int px = size != null ? size : model.checkpoint != null ? model.load(Device.CPU).imageSize() : 32;
            bf = FeatureExtractor.pixels(bank, px, batchSize, workers);
            qf = FeatureExtractor.pixels(queries, px, batchSize, workers);
            what = "raw pixels at " + px + " x " + px + " (evaluation transform)";
        } else {
            bf = FeatureExtractor.extract(vit, bank, batchSize, workers);
            qf = FeatureExtractor.extract(vit, queries, batchSize, workers);
            what = "cls features of " + model.checkpoint.getFileName() + " on " + dev;
        }
        int[] ks = k != null ? new int[] {k} : KnnClassifier.REFERENCE_KS;
        Map<Integer, KnnClassifier.Result> byK = KnnClassifier.evaluate(ks, temperature, bf, bank.labels(), qf, queries.labels(), bank.classes().size());
        if (k != null) {
            System.out.printf(Locale.ROOT, "k-NN (k=%d, T=%s) of %s on %d queries against %d neighbours: %s%n", k, temperature, what, queries.size(),
                    bank.size(), byK.get(k));
        } else {
            System.out.printf(Locale.ROOT, "k-NN (T=%s) of %s on %d queries against %d neighbours:%n", temperature, what, queries.size(), bank.size());
            for (Map.Entry<Integer, KnnClassifier.Result> e : byK.entrySet()) {
                System.out.printf(Locale.ROOT, "  k=%-4d %s%s%n", e.getKey(), e.getValue(), e.getKey() == HEADLINE_K ? "   <- headline (the reference's k=20)" : "");
            }
        }
        return 0;
    }
}
