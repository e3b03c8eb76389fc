package dev.dinoj.dino.train;

import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.data.Datasets;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.data.SyntheticShapes;
import dev.dinoj.dino.eval.EffectiveRank;
import dev.dinoj.dino.eval.FeatureExtractor;
import dev.dinoj.dino.eval.KnnClassifier;
import dev.dinoj.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * k-NN evaluation during training, the reference's protocol (eval_knn.py): the labelled bank's and
 * the queries' features computed once per evaluation, in batches, with the evaluation transform;
 * weighted vote with T = 0.07 at k = 10, 20, 100 and 200 (k = 20 is the headline). The same protocol on
 * the raw pixels of the same images gives the baseline a feature extractor has to beat. The effective
 * rank of the query features goes with each evaluation.
 */
final class TrainingEvaluation {
    static final int[] KS = KnnClassifier.REFERENCE_KS;
    static final int HEADLINE_K = KnnClassifier.REFERENCE_K;
    static final float TEMPERATURE = KnnClassifier.REFERENCE_TEMPERATURE;
    private static final int BATCH = 128;

    private final ImageDataset bank, queries;
    private final int workers;
    private final String description;

    /** One evaluation: k-NN per k, and the effective rank of the query features (NaN for pixels). */
    record Result(Map<Integer, KnnClassifier.Result> knn, double effectiveRank) {
        KnnClassifier.Result headline() {
            return knn.get(HEADLINE_K);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "top-1 %.2f%% (k=%d), top-5 %.2f%%", 100 * headline().top1,
                    HEADLINE_K, 100 * headline().top5));
            StringBuilder others = new StringBuilder();
            for (Map.Entry<Integer, KnnClassifier.Result> e : knn.entrySet()) {
                if (e.getKey() == HEADLINE_K) continue;
                others.append(others.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "k=%d %.2f%%", e.getKey(), 100 * e.getValue().top1));
            }
            if (others.length() > 0) s.append(" [").append(others).append(']');
            if (!Double.isNaN(effectiveRank)) s.append(String.format(Locale.ROOT, "; feature effective rank %.1f", effectiveRank));
            return s.toString();
        }

        Map<String, Object> record(String type, int epoch, long iteration) {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("type", type);
            rec.put("epoch", epoch);
            rec.put("iteration", iteration);
            rec.put("k", HEADLINE_K);
            rec.put("top1", headline().top1);
            rec.put("top5", headline().top5);
            Map<String, Object> all = new LinkedHashMap<>();
            for (Map.Entry<Integer, KnnClassifier.Result> e : knn.entrySet()) {
                Map<String, Double> byK = new LinkedHashMap<>(); // Map.of's order changes from one JVM to the next
                byK.put("top1", e.getValue().top1);
                byK.put("top5", e.getValue().top5);
                all.put(Integer.toString(e.getKey()), byK);
            }
            rec.put("by_k", all);
            if (!Double.isNaN(effectiveRank)) rec.put("effective_rank", effectiveRank);
            return rec;
        }
    }

    private TrainingEvaluation(ImageDataset bank, ImageDataset queries, int workers, String description) {
        if (!bank.isLabelled() || !queries.isLabelled()) {
            throw new IllegalArgumentException("k-NN evaluation needs labelled images: " + (bank.isLabelled() ? "--eval-val" : "--eval-train")
                    + " has no classes (put the images in one sub-folder per class, or give IDX/CIFAR files)");
        }
        if (!bank.classes().equals(queries.classes())) {
            throw new IllegalArgumentException("--eval-train classes " + bank.classes() + " differ from --eval-val classes " + queries.classes());
        }
        this.bank = bank;
        this.queries = queries;
        this.workers = workers;
        this.description = description;
    }

    /** The evaluation --eval-train/--eval-val ask for, or null without them (opened before the training images are read). */
    static TrainingEvaluation fromFlags(TrainConfig c) throws IOException {
        if (c.evalTrain == null) return null;
        Datasets.LabelledPair pair = Datasets.openLabelledPair(Path.of(c.evalTrain), Path.of(c.evalVal), "--eval-train", "--eval-val");
        return new TrainingEvaluation(pair.train(), pair.val(), c.workers, String.format(Locale.ROOT, "%d queries (%s) against %d labelled images (%s)",
                pair.val().size(), c.evalVal, pair.train().size(), c.evalTrain));
    }

    /**
     * The evaluation a configuration asks for: {@code flags} (from {@link #fromFlags}) when given; else
     * held-out synthetic shapes when training on them; else none (null).
     */
    static TrainingEvaluation create(TrainConfig c, ImageDataset train, TrainingEvaluation flags) {
        if (flags != null) return flags;
        if (!c.data.equals("synthetic") || c.evalImages <= 0) return null;
        return new TrainingEvaluation(train, new SyntheticShapes(c.evalImages, c.syntheticSize, c.seed + 1_000_003L), c.workers,
                String.format(Locale.ROOT, "%d held-out synthetic images against the %d training images", c.evalImages, train.size()));
    }

    String description() {
        return description;
    }

    Result evaluate(Backbone backbone) throws IOException {
        Tensor bankF = FeatureExtractor.extract(backbone, bank, BATCH, workers);
        Tensor queryF = FeatureExtractor.extract(backbone, queries, BATCH, workers);
        Result r = knn(bankF, queryF, EffectiveRank.of(queryF));
        bankF.close();
        queryF.close();
        return r;
    }

    /** The same k-NN on the raw pixels of the same images, through the same transform at {@code size} px. */
    Result pixelBaseline(int size) throws IOException {
        Tensor bankP = FeatureExtractor.pixels(bank, size, BATCH, workers), queryP = FeatureExtractor.pixels(queries, size, BATCH, workers);
        Result r = knn(bankP, queryP, Double.NaN);
        bankP.close();
        queryP.close();
        return r;
    }

    private Result knn(Tensor bankF, Tensor queryF, double effectiveRank) {
        Map<Integer, KnnClassifier.Result> byK = KnnClassifier.evaluate(KS, TEMPERATURE, bankF, bank.labels(), queryF, queries.labels(),
                bank.classes().size());
        return new Result(byK, effectiveRank);
    }
}
