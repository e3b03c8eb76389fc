package dev.dinoj.dino.cli;

import dev.dinoj.dino.BackboneLoader;
import dev.dinoj.dino.VisionTransformer;
import dev.dinoj.tensor.cpu.Parallel;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The options shared by the evaluation commands: which weights, and how to read them. */
final class ModelOptions {
    @Option(names = "--checkpoint", required = true,
            description = "a dinoj training checkpoint (its teacher backbone is used) or a backbone-only safetensors file with the reference names")
    Path checkpoint;
    @Option(names = "--arch", description = "vit_tiny, vit_small or vit_base: gives the head count when the file does not")
    String arch;
    @Option(names = "--heads", description = "attention heads, when the file's metadata does not say")
    int heads;
    @Option(names = "--threads", description = "compute threads (default: all processors)")
    Integer threads;

    VisionTransformer load() throws IOException {
        if (threads != null) Parallel.setThreads(threads);
        return BackboneLoader.load(checkpoint, heads, arch);
    }
}
