package dev.dinoj.dino;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Loads a ViT or a ResNet backbone ({@link #loadAny}) for evaluation from either a dinoj training checkpoint (its teacher backbone)
 * or a backbone-only safetensors file under the reference names (e.g. converted from the PyTorch
 * DINO weights; "module." and "backbone." prefixes are stripped as the reference's evaluation does).
 * The architecture is inferred from tensor shapes: width from pos_embed, depth from the block count,
 * patch size from patch_embed.proj.weight (or, for a {@link ConvStem}, found by its
 * patch_embed.stem.0.conv.weight, 2 to the number of stem stages, batch norm in it by a running_mean, and its
 * depth by the stem.0.extra.{j} layers),
 * the image size from the position grid, the MLP ratio from fc1, DINOv2's register tokens, LayerScale and mask token from
 * register_tokens, blocks.0.ls1.gamma and mask_token; the head count comes from the file's num_heads metadata, else from --heads or --arch.
 */
public final class BackboneLoader {
    private BackboneLoader() {}

    /**
     * @param heads the head count if the caller knows it (0 if not)
     * @param arch a preset name whose head count to use (null if not given)
     */
    public static VisionTransformer load(Path file, int heads, String arch) throws IOException {
        Backbone b = loadAny(file, heads, arch);
        if (!(b instanceof VisionTransformer)) throw new IOException(file + " holds a " + ((ResNet) b).arch().name().toLowerCase(java.util.Locale.ROOT)
                + " backbone; this needs a ViT");
        return (VisionTransformer) b;
    }

    /**
     * A ViT (as {@link #load}) or a ResNet (torchvision's names: conv1, layer1.0.conv1, ...; the depth from the blocks of
     * layer3, bottlenecks from conv3, the small-image stem from conv1's 3x3 kernel, the resolution from the metadata's
     * image_size or the training config, else 32 px for the small-image stem and 224 for the other).
     */
    public static Backbone loadAny(Path file, int heads, String arch) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        Map<String, String> meta = c.metadata();
        if ("dinoj-dino-checkpoint/1".equals(meta.get("format"))) {
            // a distilled run's result is its student; every other run's, its momentum teacher
            String prefix = "student".equals(meta.get("result_backbone")) ? "student.backbone." : "teacher.backbone.";
            c.tensors().forEach((k, v) -> {
                if (k.startsWith(prefix)) weights.put(k.substring(prefix.length()), v);
            });
        } else {
            c.tensors().forEach((k, v) -> weights.put(k.replaceFirst("^module\\.", "").replaceFirst("^backbone\\.", ""), v));
        }
        if (weights.containsKey("layer1.0.conv1.weight") && weights.containsKey("conv1.weight")) return resnet(file, weights, meta);
        Tensor pos = weights.get("pos_embed"), proj = weights.get("patch_embed.proj.weight");
        if (pos == null || proj == null) {
            throw new IOException(file + " does not hold a ViT backbone: pos_embed or patch_embed.proj.weight is missing (found "
                    + sample(weights) + ")");
        }
        if (pos.rank() != 3 || pos.size(0) != 1 || pos.size(1) < 2) throw new IOException(file + ": pos_embed has shape " + pos.shape() + ", not [1, 1 + patches, width]");
        VitConfig.Stem stem = VitConfig.Stem.PATCH;
        int patch, stemDepth = 1;
        if (weights.containsKey("patch_embed.stem.0.conv.weight")) {
            int layers = 0;
            while (weights.containsKey("patch_embed.stem." + layers + ".conv.weight")) layers++;
            patch = 1 << layers;
            stem = weights.containsKey("patch_embed.stem.0.norm.running_mean") ? VitConfig.Stem.CONV : VitConfig.Stem.CONV_LN;
            while (weights.containsKey("patch_embed.stem.0.extra." + (stemDepth - 1) + ".conv.weight")) stemDepth++;
        } else {
            if (proj.rank() != 4 || proj.size(1) != 3 || proj.size(2) != proj.size(3) || proj.size(0) != pos.size(2)) {
                throw new IOException(file + ": patch_embed.proj.weight has shape " + proj.shape() + ", not [width " + pos.size(2) + ", 3, patch, patch]");
            }
            patch = proj.size(2);
        }
        int width = pos.size(2), n = pos.size(1) - 1;
        int side = (int) Math.round(Math.sqrt(n));
        if (side * side != n) throw new IOException(file + ": pos_embed has " + n + " patch positions, not a square grid");
        int depth = 0;
        while (weights.containsKey("blocks." + depth + ".norm1.weight")) depth++;
        if (depth == 0) throw new IOException(file + ": no transformer blocks (blocks.0.norm1.weight) found");
        Tensor fc1 = weights.get("blocks.0.mlp.fc1.weight");
        float mlpRatio = fc1 == null ? 4f : (float) fc1.size(0) / width;
        int h = resolveHeads(file, meta, heads, arch, width);
        requireFinite(file, weights);
        VitConfig config = new VitConfig(width, depth, h, patch, side * patch, mlpRatio, 0f, stem, stemDepth);
        // DINOv2's tokens and LayerScale, by their names; their values come with the weights below
        Tensor registers = weights.get("register_tokens");
        if (registers != null) {
            if (registers.rank() != 3 || registers.size(0) != 1 || registers.size(2) != width) {
                throw new IOException(file + ": register_tokens has shape " + registers.shape() + ", not [1, registers, width " + width + "]");
            }
            config = config.withRegisters(registers.size(1));
        }
        if (weights.containsKey("blocks.0.ls1.gamma")) config = config.withLayerScale(1e-5f);
        if (weights.containsKey("mask_token")) config = config.withMaskToken(true);
        return withWeights(file, new VisionTransformer(config, new Generator(0)), weights);
    }

    /** The model with the file's weights (every one, none missing), in evaluation mode; a mismatch names the file. */
    private static <B extends Backbone> B withWeights(Path file, B model, Map<String, Tensor> weights) throws IOException {
        // torch counts batch-norm batches in int64 (read as int32); dinoj keeps the count in a float buffer
        Map<String, Tensor> converted = new LinkedHashMap<>(weights);
        converted.replaceAll((k, v) -> k.endsWith("num_batches_tracked") && v.dtype() == dev.dinoj.tensor.DType.INT32
                ? Tensor.fromArray(toFloats(v.toIntArray()), v.dims()) : v);
        try {
            model.loadStateDict(converted, true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        model.eval();
        return model;
    }

    private static ResNet resnet(Path file, Map<String, Tensor> all, Map<String, String> meta) throws IOException {
        Map<String, Tensor> weights = new LinkedHashMap<>(all);
        weights.keySet().removeIf(k -> k.startsWith("fc.")); // torchvision's classifier: not part of the backbone
        int layer3 = 0;
        while (weights.containsKey("layer3." + layer3 + ".conv1.weight")) layer3++;
        boolean bottleneck = weights.containsKey("layer1.0.conv3.weight");
        ResNet.Arch arch = bottleneck ? ResNet.Arch.RESNET50 : layer3 == 2 ? ResNet.Arch.RESNET18 : layer3 == 6 ? ResNet.Arch.RESNET34 : null;
        if (arch == null || (bottleneck && layer3 != 6)) {
            throw new IOException(file + ": a ResNet with " + layer3 + " blocks in layer3" + (bottleneck ? " (bottlenecks)" : "")
                    + " is none of resnet18, resnet34, resnet50");
        }
        Tensor stem = weights.get("conv1.weight");
        if (stem.rank() != 4 || (stem.size(2) != 3 && stem.size(2) != 7)) {
            throw new IOException(file + ": conv1.weight has shape " + stem.shape() + ", not [64, channels, 7, 7] or [64, channels, 3, 3]");
        }
        boolean small = stem.size(2) == 3;
        int size = small ? 32 : 224;
        try {
            if (meta.containsKey("image_size")) size = Integer.parseInt(meta.get("image_size").trim());
            else if (meta.containsKey("config")) size = dev.dinoj.dino.train.TrainConfig.fromJson(meta.get("config")).globalSize;
        } catch (RuntimeException e) {
            throw new IOException(file + ": metadata image_size '" + meta.get("image_size") + "' is not a whole number");
        }
        if (size <= 0) throw new IOException(file + ": metadata image_size " + size + " is not a positive size");
        requireFinite(file, weights);
        return withWeights(file, new ResNet(arch, stem.size(1), small, size, new Generator(0)), weights);
    }

    private static float[] toFloats(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i];
        return f;
    }

    private static void requireFinite(Path file, Map<String, Tensor> weights) throws IOException {
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            for (float v : e.getValue().toFloatArray()) {
                if (!Float.isFinite(v)) throw new IOException(file + ": tensor " + e.getKey() + " holds " + v + " values; the weights are unusable");
            }
        }
    }

    private static int resolveHeads(Path file, Map<String, String> meta, int heads, String arch, int width) throws IOException {
        int recorded = recordedHeads(file, meta);
        if (heads > 0) {
            if (recorded > 0 && recorded != heads) {
                throw new IOException(file + ": --heads " + heads + " contradicts the file, whose metadata says " + recorded
                        + " heads (leave --heads out)");
            }
            return heads;
        }
        if (recorded > 0) {
            if (arch != null && VitConfig.preset(arch, 16, 224).heads != recorded) {
                throw new IOException(file + ": --arch " + arch + " has " + VitConfig.preset(arch, 16, 224).heads + " heads but the file's metadata says "
                        + recorded + " (leave --arch out)");
            }
            return recorded;
        }
        if (arch != null) {
            VitConfig p = VitConfig.preset(arch, 16, 224);
            if (p.embedDim != width) {
                throw new IOException(file + ": --arch " + arch + " has width " + p.embedDim + " but the weights have width " + width);
            }
            return p.heads;
        }
        throw new IOException(file + ": the number of attention heads cannot be inferred from the weights (width " + width
                + "); pass --heads N or --arch vit_tiny|vit_small|vit_base, or add num_heads to the file's metadata");
    }

    /** The head count the file's metadata records (num_heads, or a training config), or 0. */
    private static int recordedHeads(Path file, Map<String, String> meta) throws IOException {
        if (meta.containsKey("num_heads")) {
            try {
                int h = Integer.parseInt(meta.get("num_heads").trim());
                if (h <= 0) throw new IOException(file + ": metadata num_heads " + h + " is not a positive head count");
                return h;
            } catch (NumberFormatException e) {
                throw new IOException(file + ": metadata num_heads '" + meta.get("num_heads") + "' is not a number");
            }
        }
        if (meta.containsKey("config")) {
            try {
                return dev.dinoj.dino.train.TrainConfig.fromJson(meta.get("config")).vit().heads;
            } catch (RuntimeException ignored) {
                // an unreadable config: as if there were none
            }
        }
        return 0;
    }

    private static String sample(Map<String, Tensor> w) {
        TreeSet<String> keys = new TreeSet<>(w.keySet());
        String s = String.join(", ", keys.stream().limit(5).toArray(String[]::new));
        return keys.size() > 5 ? s + ", ..." : (s.isEmpty() ? "no tensors" : s);
    }
}
