package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Module;
import dev.dinoj.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Backbone + projection head (DINO's, or SimDINO's) over multi-crop input (the reference's MultiCropWrapper): consecutive crops of
 * one resolution are concatenated and go through the backbone together, then all cls features go
 * through the head at once. Output rows are crop-major: crop 0's batch, then crop 1's, ...
 */
public final class DinoModel extends Module {
    private final VisionTransformer backbone;
    private final Module head;

    public DinoModel(VisionTransformer backbone, Module head) {
        this.backbone = registerModule("backbone", backbone);
        this.head = registerModule("head", head);
    }

    public VisionTransformer backbone() {
        return backbone;
    }

    public Module head() {
        return head;
    }

    /** The backbone's cls features [crops * B, D] and the head's output [crops * B, out_dim] of one forward. */
    public record Output(Variable features, Variable logits) {}

    /** crops: each [B, 3, h_i, w_i]; returns [crops * B, out_dim]. */
    public Variable forward(List<Tensor> crops) {
        return forwardWithFeatures(crops).logits();
    }

    /** As {@link #forward}, keeping the backbone features (for a regulariser on them). */
    public Output forwardWithFeatures(List<Tensor> crops) {
        if (crops.isEmpty()) throw new IllegalArgumentException("DinoModel: no crops given");
        List<Variable> features = new ArrayList<>();
        int start = 0;
        while (start < crops.size()) {
            int end = start + 1;
            while (end < crops.size() && crops.get(end).size(-1) == crops.get(start).size(-1)
                    && crops.get(end).size(-2) == crops.get(start).size(-2)) {
                end++;
            }
            Tensor batch = end - start == 1 ? crops.get(start) : Tensor.cat(0, crops.subList(start, end));
            features.add(backbone.forward(Variable.constant(batch)));
            start = end;
        }
        Variable all = features.size() == 1 ? features.get(0) : Variable.cat(0, features);
        return new Output(all, head.forward(all));
    }
}
