package dev.dinoj.dino.cli;

import com.google.gson.GsonBuilder;
import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.dino.data.Datasets;
import dev.dinoj.dino.data.ImageDataset;
import dev.dinoj.dino.eval.FeatureExtractor;
import dev.dinoj.dino.eval.LinearProbe;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "linear", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"Linear-probe accuracy (top-1, top-5) of a frozen backbone, as the reference's",
            "eval_linear, or of the raw pixels (--pixels). Features: the cls tokens (after",
            "the final norm) of the last --n-last-blocks blocks, concatenated, optionally",
            "with the average-pooled patch tokens of the last block. A linear layer (weights",
            "N(0, 0.01), zero bias) learns them with cross-entropy and SGD (momentum 0.9,",
            "lr = --lr x batch / 256, cosine to 0 over --epochs), on features standardised with",
            "the training set's statistics (MAE's probe), for each --lr; the best on --val is",
            "reported (DINOv2's protocol). Pixels and features get the same protocol.",
            "Features are computed once (cached), with the evaluation transform: the",
            "reference's training augmentation (RandomResizedCrop + flip) is not applied."})
final class LinearCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;
    @Option(names = "--train", required = true, description = "labelled training dataset: class sub-folders of images, IDX or CIFAR files, "
            + "or a folder with train/ and val/ (its train split is used)")
    Path train;
    @Option(names = "--val", required = true, description = "labelled validation dataset (the same kinds; a folder with both splits gives its val split)")
    Path val;
    @Option(names = "--n-last-blocks", description = "concatenate the cls tokens of this many last blocks (reference: 4 for ViT-S, 1 for ViT-B; "
            + "more than the depth means all blocks, as in the reference)")
    int nLastBlocks = 4;
    @Option(names = "--avgpool-patchtokens", description = "also concatenate the mean of the last block's patch tokens (reference: off for ViT-S, on for ViT-B)")
    boolean avgpool;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--epochs", description = "training epochs (reference: 100)")
    int epochs = 100;
    @Option(names = "--lr", split = ",", description = "base learning rate(s) for a batch of 256; several are swept and the best on --val is reported, "
            + "as DINOv2's linear evaluation does (DINO's eval_linear: 0.001 only)")
    double[] lrs = {0.001, 0.01, 0.1, 1.0};
    @Option(names = "--batch-size", description = "training batch (the reference: 128 per GPU x 8 GPUs = 1024)")
    int batchSize = 256;
    @Option(names = "--weight-decay", description = "L2 weight decay (reference: 0)")
    double weightDecay = 0;
    @Option(names = "--val-freq", description = "validate every N epochs and at the last; the reference (val_freq 1) reports the best of these")
    int valFreq = 1;
    @Option(names = "--standardize", arity = "1", description = "z-score each feature with the training set's mean and deviation, as MAE's linear "
            + "probe (a BatchNorm without affine before the classifier); DINO's eval_linear has none. Without it, features of small spread "
            + "(an early-training ViT's) underfit at every swept lr")
    boolean standardize = true;
    @Option(names = "--seed", description = "classifier initialisation and batch order")
    long seed = 0;
    @Option(names = "--pixels", description = "probe the raw pixels (the evaluation transform, flattened) instead of model features; needs no --checkpoint")
    boolean pixels;
    @Option(names = "--size", description = "image size for --pixels (default: the model's with --checkpoint, else 32)")
    Integer size;
    @Option(names = "--extract-batch-size", description = "images per forward pass of the backbone")
    int extractBatchSize = 128;
    @Option(names = "--workers", description = "image decoding threads")
    int workers = 2;
    @Option(names = "--json", description = "also write the settings and the result to this JSON file (atomically)")
    Path json;

    /** Whether the command line set --n-last-blocks (its default means "the reference's" for a ViT, nothing for a ResNet). */
    private boolean nLastBlocksGiven() {
        return spec != null && spec.commandLine().getParseResult().hasMatchedOption("--n-last-blocks");
    }

    @Override
    public Integer call() throws Exception {
        if (size != null && !pixels) throw new IllegalArgumentException("--size applies to --pixels only (model features use the model's image size)");
        if (nLastBlocks < 1) throw new IllegalArgumentException("--n-last-blocks must be at least 1, got " + nLastBlocks);
        OptionChecks.positive("--extract-batch-size", extractBatchSize);
        OptionChecks.positive("--workers", workers);
        if (valFreq < 0) throw new IllegalArgumentException("--val-freq must be >= 0 (0: the last epoch only), got " + valFreq);
        if (pixels && avgpool) throw new IllegalArgumentException("--avgpool-patchtokens needs model features, not --pixels");
        if (lrs.length == 0) throw new IllegalArgumentException("--lr needs at least one learning rate");
        List<LinearProbe.Options> sweepOptions = new ArrayList<>(); // built (and so checked) before any model or data is loaded
        for (double l : lrs) sweepOptions.add(new LinearProbe.Options(epochs, batchSize, l, 0.9, weightDecay, valFreq, standardize, seed));
        if (json != null && json.toAbsolutePath().getParent() != null && !java.nio.file.Files.isDirectory(json.toAbsolutePath().getParent())) {
            throw new java.nio.file.NoSuchFileException(json.toAbsolutePath().getParent().toString(), null, "--json: folder not found");
        }
        Device dev = pixels ? Device.CPU : model.device();
        Backbone net = pixels ? null : model.load(dev); // first: a missing --checkpoint is reported before any data is read
        Datasets.LabelledPair pair = Datasets.openLabelledPair(train, val, "--train", "--val");
        ImageDataset trainSet = pair.train(), valSet = pair.val();
        long t0 = System.nanoTime();
        Tensor tf, vf;
        String what;
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("command", "linear");
        if (pixels) {
            model.applyThreads();
            int px = size != null ? size : model.checkpoint != null ? model.load(Device.CPU).imageSize() : 32;
            tf = FeatureExtractor.pixels(trainSet, px, extractBatchSize, workers);
            vf = FeatureExtractor.pixels(valSet, px, extractBatchSize, workers);
            what = "raw pixels at " + px + " x " + px + " (evaluation transform)";
            record.put("features", "pixels");
            record.put("size", px);
        } else if (!(net instanceof VisionTransformer)) {
            // a ResNet: its pooled features (no blocks' cls tokens, no patch tokens)
            if (avgpool || nLastBlocksGiven()) {
                throw new IllegalArgumentException("--n-last-blocks and --avgpool-patchtokens read a ViT's tokens; --checkpoint " + model.checkpoint
                        + " holds a " + net + ": remove them");
            }
            tf = FeatureExtractor.extract(net, trainSet, extractBatchSize, workers);
            vf = FeatureExtractor.extract(net, valSet, extractBatchSize, workers);
            what = "pooled features of " + model.checkpoint.getFileName() + " (" + net + ", on " + dev + ")";
            record.put("features", "backbone");
            record.put("checkpoint", model.checkpoint.toString());
            record.put("size", net.imageSize());
        } else {
            VisionTransformer vit = (VisionTransformer) net;
            int depth = vit.config().depth, n = Math.min(nLastBlocks, depth);
            if (n < nLastBlocks) System.out.printf("--n-last-blocks %d is more than the model's %d blocks: using all %d%n", nLastBlocks, depth, n);
            tf = FeatureExtractor.lastBlocks(vit, trainSet, n, avgpool, extractBatchSize, workers);
            vf = FeatureExtractor.lastBlocks(vit, valSet, n, avgpool, extractBatchSize, workers);
            what = "cls tokens of the last " + n + " block(s)" + (avgpool ? " + average-pooled patch tokens" : "") + " of "
                    + model.checkpoint.getFileName() + " (on " + dev + ")";
            record.put("features", "backbone");
            record.put("checkpoint", model.checkpoint.toString());
            record.put("n_last_blocks", n);
            record.put("avgpool_patchtokens", avgpool);
            record.put("size", vit.config().imageSize);
        }
        double extractSeconds = (System.nanoTime() - t0) / 1e9;
        int classes = trainSet.classes().size();
        System.out.printf(Locale.ROOT, "linear probe on %s: %d dimensions; %d train / %d val images, %d classes (features in %.1f s)%n", what, tf.size(1),
                tf.size(0), vf.size(0), classes, extractSeconds);
        System.out.printf(Locale.ROOT, "features cached, no augmentation (the reference's RandomResizedCrop + flip on the training images are not applied)%s%n",
                standardize ? "; features standardised with the training set's statistics (MAE's probe; not in DINO's)" : "");
        LinearProbe.Result r = null;
        LinearProbe.Options o = null;
        double trainSeconds = 0;
        List<Map<String, Object>> sweep = new ArrayList<>();
        for (LinearProbe.Options candidateOptions : sweepOptions) {
            double candidate = candidateOptions.lr();
            System.out.printf(Locale.ROOT, "SGD momentum 0.9, lr %s x %d / 256 = %s with a cosine to 0 over %d epochs, weight decay %s, batch %d, seed %d%n",
                    candidate, batchSize, candidateOptions.scaledLr(), epochs, weightDecay, batchSize, seed);
            long t1 = System.nanoTime();
            LinearProbe.Result ri = LinearProbe.train(tf, trainSet.labels(), vf, valSet.labels(), classes, candidateOptions, lrs.length == 1 ? System.out : null);
            double secs = (System.nanoTime() - t1) / 1e9;
            trainSeconds += secs;
            System.out.printf(Locale.ROOT, "  lr %s: %s after the last epoch; best top-1 %.2f%% at epoch %d; train top-1 %.2f%% (%.1f s)%n", candidate, ri,
                    100 * ri.bestTop1(), ri.bestEpoch(), 100 * ri.trainTop1(), secs);
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("lr", candidate);
            one.put("top1", ri.top1());
            one.put("best_top1", ri.bestTop1());
            one.put("train_top1", ri.trainTop1());
            sweep.add(one);
            if (r == null || ri.bestTop1() > r.bestTop1()) {
                r = ri;
                o = candidateOptions;
            }
        }
        double lr = o.lr();
        String every = valFreq == 1 ? "every epoch" : valFreq == 0 ? "at the last epoch only" : "every " + valFreq + " epochs";
        System.out.printf(Locale.ROOT, "linear probe (lr %s%s): %s after the last epoch; best top-1 %.2f%% at epoch %d (validated %s; the reference reports "
                + "the best); train top-1 %.2f%%%n", lr, lrs.length > 1 ? ", the best of " + lrs.length : "", r, 100 * r.bestTop1(), r.bestEpoch(), every,
                100 * r.trainTop1());
        if (json != null) {
            record.put("train", train.toString());
            record.put("val", val.toString());
            record.put("train_images", tf.size(0));
            record.put("val_images", vf.size(0));
            record.put("classes", classes);
            record.put("dim", tf.size(1));
            record.put("augmentation", false);
            record.put("epochs", epochs);
            record.put("lr", lr);
            record.put("scaled_lr", o.scaledLr());
            record.put("batch_size", batchSize);
            record.put("momentum", o.momentum());
            record.put("weight_decay", weightDecay);
            record.put("val_freq", valFreq);
            record.put("lr_sweep", sweep);
            record.put("standardize", standardize);
            record.put("seed", seed);
            record.put("top1", r.top1());
            record.put("top5", r.top5());
            record.put("best_top1", r.bestTop1());
            record.put("best_epoch", r.bestEpoch());
            record.put("train_top1", r.trainTop1());
            record.put("train_loss", r.trainLoss());
            record.put("extract_seconds", extractSeconds);
            record.put("train_seconds", trainSeconds);
            String text = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(record) + "\n";
            AtomicFiles.write(json, text.getBytes(StandardCharsets.UTF_8));
            System.out.println("wrote " + json);
        }
        return 0;
    }
}
