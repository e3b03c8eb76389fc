package dev.dinoj.dino.cli;

import dev.dinoj.dino.train.DinoTrainer;
import dev.dinoj.dino.train.TrainConfig;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.cpu.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"DINO pre-training on an image folder or the built-in synthetic shapes.",
            "Defaults are the small CPU configuration; reference values are noted where they differ."})
final class TrainCommand implements Callable<Integer> {
    /** Settings that only change how a run executes, not what it computes: a resumed run may change them. */
    private static final Set<String> RUN_TIME = Set.of("workers", "knnEvery");

    @Mixin
    TrainConfig config = new TrainConfig();

    @Option(names = "--threads", description = "compute threads (default: all processors)")
    Integer threads;
    @Option(names = "--device", description = "cpu, cuda, cuda:N, or auto (the GPU when one passes its self-check, else the CPU)")
    String device = "auto";
    @Option(names = {"--out", "-o", "--output"}, description = "folder for checkpoints, metrics and charts")
    Path output = Path.of("runs", "dino");
    @Option(names = "--resume", description = "continue the run in --out from its last checkpoint, with its saved settings; "
            + "--epochs N (more than the epochs trained) sets its length, the cosine schedules following the new length; other settings cannot change")
    boolean resume;

    @Option(names = "--overwrite", description = "start a new run in --out even if it holds one (its checkpoints, metrics and chart are deleted first)")
    boolean overwrite;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (threads != null) Parallel.setThreads(threads);
        if (overwrite && resume) throw new IllegalArgumentException("--overwrite starts a new run and --resume continues one: give one of them");
        if (!resume) {
            refuseOptionsTheMethodIgnores();
            java.util.Set<String> given = new java.util.HashSet<>();
            for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) given.addAll(java.util.Arrays.asList(o.names()));
            config.withMethodDefaults(given);
        }
        Device dev = Device.parse(device);
        DinoTrainer opened;
        try {
            opened = resume ? DinoTrainer.resume(output, System.out, dev, this::resumedSettings)
                    : overwrite ? DinoTrainer.replacing(config, output, System.out, dev) : new DinoTrainer(config, output, System.out, dev);
        } catch (DinoTrainer.RunFinished done) { // a finished run whose final outputs were missing: they are written again
            System.out.println(done.getMessage());
            return 0;
        }
        try (DinoTrainer trainer = opened) {
            DinoTrainer.Result r = trainer.run();
            System.out.printf(Locale.ROOT, "finished %d epochs; final loss %.4f%n", r.epochs, r.finalLoss);
            if (r.knnFinal != null) {
                System.out.println("k-NN top-1 (k=20) of the result backbone: " + pct(r.knnFinal) + (r.knnAtInit != null ? "; at random initialisation: "
                        + pct(r.knnAtInit) : "") + (r.knnPixels != null ? "; raw pixels: " + pct(r.knnPixels) : ""));
            }
            System.out.println("wrote " + output.resolve(DinoTrainer.CHECKPOINT) + ", " + output.resolve(DinoTrainer.TEACHER_BACKBONE) + ", "
                    + output.resolve(DinoTrainer.METRICS) + ", " + output.resolve(DinoTrainer.CHART));
        }
        return 0;
    }

    /**
     * An option of another method (--teacher-temp with --method simdino) or of a ViT given with a ResNet (--patch with --arch resnet18)
     * is an error naming it, not a setting silently unused.
     */
    private void refuseOptionsTheMethodIgnores() {
        TrainConfig.Method m = config.method();
        List<String> given = new ArrayList<>();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            for (String name : o.names()) {
                if (m.ignoredOptions().contains(name)) given.add(name);
            }
        }
        List<String> vitOnly = new ArrayList<>();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            for (String name : o.names()) {
                if (config.resnet() && TrainConfig.VIT_OPTIONS.contains(name)) vitOnly.add(name);
            }
        }
        if (!vitOnly.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", vitOnly) + (vitOnly.size() == 1 ? " has" : " have") + " no effect with --arch "
                    + config.arch + " (a ResNet; they set up a ViT): remove " + (vitOnly.size() == 1 ? "it" : "them"));
        }
        if (!given.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", given) + (given.size() == 1 ? " has" : " have") + " no effect with --method "
                    + config.method + (m == TrainConfig.Method.SIMDINO ? " (it has no prototypes, centre or temperatures)" : " (they belong to another --method)")
                    + ": remove " + (given.size() == 1 ? "it" : "them"));
        }
    }

    /**
     * The saved settings of a resumed run with the options given now applied: --epochs (to extend it)
     * and the run-time ones; any other option given with a value that differs from the saved one is
     * refused by name (the run would silently ignore it, or no longer be the run it was).
     */
    TrainConfig resumedSettings(TrainConfig saved) {
        List<String> refused = new ArrayList<>();
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            if (!(o.userObject() instanceof Field)) continue;
            Field f = (Field) o.userObject();
            if (f.getDeclaringClass() != TrainConfig.class) continue;
            try {
                Object now = f.get(config), before = f.get(saved);
                if (f.getName().equals("epochs") || RUN_TIME.contains(f.getName())) {
                    f.set(saved, now);
                } else if (!Objects.deepEquals(now, before)) {
                    refused.add(o.longestName() + " (the run has " + show(before) + ")");
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("--resume continues " + output + " with its saved settings; these options differ from them: "
                    + String.join(", ", refused) + ". Start a new run with a new --out to change them (--epochs extends a run)");
        }
        return saved;
    }

    private static String show(Object v) {
        return v instanceof double[] ? java.util.Arrays.toString((double[]) v) : String.valueOf(v);
    }

    private static String pct(dev.dinoj.dino.eval.KnnClassifier.Result r) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * r.top1);
    }
}
