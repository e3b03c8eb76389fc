package dev.dinoj.dino.cli;

import dev.dinoj.dino.Backbone;
import dev.dinoj.dino.BackboneLoader;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.cpu.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;

/** The options shared by the evaluation commands: which weights, and how to read them. */
final class ModelOptions {
    // not required by picocli because knn and linear do without it for --pixels; load() asks for it
    @Option(names = "--checkpoint",
            description = "a dinoj training checkpoint (its teacher backbone is used) or a backbone-only safetensors file with the reference names "
                    + "(required, except by knn and linear with --pixels)")
    Path checkpoint;
    @Option(names = "--arch", description = "vit_tiny, vit_small or vit_base: gives the head count when the file does not")
    String arch;
    @Option(names = "--heads", description = "attention heads, when the file's metadata does not say")
    int heads;
    @Option(names = "--threads", description = "compute threads (default: all processors)")
    Integer threads;
    @Option(names = "--device", description = "cpu, cuda, cuda:N, or auto (the GPU when one passes its self-check, else the CPU); the model runs there")
    String device = "auto";
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Applies --threads; call once, before any computation (also when no model is loaded). */
    void applyThreads() {
        if (threads != null) Parallel.setThreads(threads);
    }

    /** The device --device names. */
    Device device() {
        return Device.parse(device);
    }

    /** The backbone (a ViT or a ResNet) on --device; a usage error (exit code 2) when --checkpoint is missing. */
    Backbone load() throws IOException {
        return load(device());
    }

    /** The backbone, moved to {@code device}. */
    Backbone load(Device device) throws IOException {
        if (checkpoint == null) throw new CommandLine.ParameterException(command.commandLine(), "Missing required option: '--checkpoint=<checkpoint>'");
        applyThreads();
        Backbone b = BackboneLoader.loadAny(checkpoint, heads, arch);
        if (!device.isCpu()) b.to(device);
        return b;
    }

    /** The backbone as a ViT, for what needs its tokens (attention maps); a ResNet is refused by name. */
    VisionTransformer loadVit(String why) throws IOException {
        Backbone b = load();
        if (!(b instanceof VisionTransformer)) throw new IllegalArgumentException(why + " need a ViT backbone; --checkpoint " + checkpoint + " holds a " + b);
        return (VisionTransformer) b;
    }
}
