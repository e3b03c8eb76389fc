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
    private final Backbone backbone;
    private final Module head;
    /** DINOv2's iBOT head over patch tokens (null without one; the DINO head serves both when DINOv2's heads are tied). */
    private final Module ibotHead;
    /** The online network's predictor of the methods that have one (null otherwise). */
    private final Module predictor;

    public DinoModel(Backbone backbone, Module head) {
        this(backbone, head, null);
    }

    /** With DINOv2's separate iBOT patch head (name: ibot_head). */
    public DinoModel(Backbone backbone, Module head, Module ibotHead) {
        this(backbone, head, ibotHead, null);
    }

    /** With a predictor after the head (BYOL, SimSiam, MoCo v3: the online network's alone; name: predictor). */
    public DinoModel(Backbone backbone, Module head, Module ibotHead, Module predictor) {
        this.backbone = registerModule("backbone", backbone);
        this.head = registerModule("head", head);
        this.ibotHead = ibotHead == null ? null : registerModule("ibot_head", ibotHead);
        this.predictor = predictor == null ? null : registerModule("predictor", predictor);
    }

    /** The predictor (null without one). */
    public Module predictor() {
        return predictor;
    }

    /** The head of the iBOT patch term: the separate one, else the DINO head. */
    public Module patchHead() {
        return ibotHead != null ? ibotHead : head;
    }

    /** DINOv2's forward: cls features and head logits of every crop, and the patch head's logits at the chosen patches (null if none). */
    public record MaskedOutput(Variable features, Variable logits, Variable patchLogits) {}

    /**
     * DINOv2's forward. The two global crops (the first two, [B, 3, H, W] each) go through the backbone
     * together, their patch tokens replaced by the mask token where {@code masks} [2B, N] is non-zero
     * (null: unmasked, the teacher's view); the patch head maps their patch tokens at {@code patchIndex}
     * (flat indices into [2B * N]; null or empty: none). The other crops give cls tokens only.
     */
    public MaskedOutput forwardMasked(List<Tensor> crops, Tensor masks, Tensor patchIndex) {
        if (crops.size() < 2) throw new IllegalArgumentException("DinoModel: DINOv2 needs the 2 global crops first, got " + crops.size() + " crops");
        VisionTransformer backbone = vit();
        Variable tokens = backbone.tokens(Variable.constant(Tensor.cat(0, crops.subList(0, 2))), masks); // [2B, T, D], after the final norm
        Variable patchLogits = null;
        if (patchIndex != null && patchIndex.size(0) > 0) {
            int first = backbone.firstPatchToken(), n = tokens.size(1) - first, d = tokens.size(2);
            patchLogits = patchHead().forward(tokens.narrow(1, first, n).reshape(tokens.size(0) * n, d).indexSelect(0, patchIndex));
        }
        List<Variable> features = new ArrayList<>();
        features.add(tokens.select(1, 0));
        if (crops.size() > 2) features.addAll(backboneFeatures(crops.subList(2, crops.size())));
        Variable all = features.size() == 1 ? features.get(0) : Variable.cat(0, features);
        return new MaskedOutput(all, head.forward(all), patchLogits);
    }

    public Backbone backbone() {
        return backbone;
    }

    /** The backbone as the ViT that patch-token methods need; an IllegalStateException names it when it is another network. */
    public VisionTransformer vit() {
        if (!(backbone instanceof VisionTransformer)) {
            throw new IllegalStateException("DinoModel: masked patch tokens need a ViT backbone, not " + backbone.getClass().getSimpleName());
        }
        return (VisionTransformer) backbone;
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
        Variable all = features(crops);
        return new Output(all, head.forward(all));
    }

    /** The backbone's cls features [crops * B, D] of the crops, without the head. */
    public Variable features(List<Tensor> crops) {
        if (crops.isEmpty()) throw new IllegalArgumentException("DinoModel: no crops given");
        List<Variable> features = backboneFeatures(crops);
        return features.size() == 1 ? features.get(0) : Variable.cat(0, features);
    }

    /** The backbone's cls features of consecutive same-sized crops, batched together, in crop order. */
    private List<Variable> backboneFeatures(List<Tensor> crops) {
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
        return features;
    }
}
