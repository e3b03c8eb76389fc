package dev.dinoj.dino;

import dev.dinoj.autograd.GradMode;
import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.ModuleGradCheck;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelTest {
    private final Generator g = new Generator(8);

    @Test
    void parameterNamesAreTheReferencesNames() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(24, 2, 3, 4, 16, 4f, 0.1f), g);
        // PyTorch's order: a module's own parameters, then its children's
        assertThat(vit.namedParameters().keySet()).startsWith("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                "blocks.0.norm1.weight", "blocks.0.norm1.bias", "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
                "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias", "blocks.0.norm2.weight", "blocks.0.norm2.bias",
                "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias");
        assertThat(vit.namedParameters()).containsKeys("blocks.1.mlp.fc2.bias", "norm.weight", "norm.bias");
        assertThat(vit.namedParameters().get("pos_embed").dims()).containsExactly(1, 17, 24);
        assertThat(vit.namedParameters().get("patch_embed.proj.weight").dims()).containsExactly(24, 3, 4, 4);
        DinoHead head = new DinoHead(24, 100, 32, 8, true, g);
        assertThat(head.namedParameters().keySet()).containsExactly("mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias",
                "mlp.4.weight", "mlp.4.bias", "last_layer.weight_g", "last_layer.weight_v");
        assertThat(head.namedParameters().get("last_layer.weight_g").requiresGrad()).isFalse();
        assertThat(head.namedParameters().get("last_layer.weight_g").data().toFloatArray()).containsOnly(1f);
    }

    @Test
    void presetsMatchTheReference() {
        VitConfig tiny = VitConfig.preset("vit_tiny", 16, 224), small = VitConfig.preset("vit_small", 8, 224), base = VitConfig.preset("vit_base", 16, 224);
        assertThat(new int[] {tiny.embedDim, tiny.depth, tiny.heads}).containsExactly(192, 12, 3);
        assertThat(new int[] {small.embedDim, small.depth, small.heads, small.gridSize()}).containsExactly(384, 12, 6, 28);
        assertThat(new int[] {base.embedDim, base.depth, base.heads}).containsExactly(768, 12, 12);
        assertThatThrownBy(() -> VitConfig.preset("vit_huge", 16, 224)).hasMessageContaining("unknown architecture 'vit_huge'");
        assertThatThrownBy(() -> new VitConfig(100, 2, 3, 4, 16, 4f, 0f)).hasMessageContaining("not divisible by 3 heads");
    }

    @Test
    void positionEmbeddingIsKeptAtItsOwnSizeAndInterpolatedBicubicallyOtherwise() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(12, 1, 3, 4, 32, 4f, 0f), g);
        Tensor pos = vit.namedParameters().get("pos_embed").data();
        assertThat(vit.interpolatePosEncoding(8, 8).data().toFloatArray()).containsExactly(pos.toFloatArray());
        Tensor small = vit.interpolatePosEncoding(4, 4).data();
        assertThat(small.dims()).containsExactly(1, 17, 12);
        assertThat(small.narrow(1, 0, 1).toFloatArray()).containsExactly(pos.narrow(1, 0, 1).toFloatArray()); // cls untouched
        // independent path: tensor-core's bicubic kernel with the reference's scale factors (grid + 0.1) / sqrt N
        Tensor grid = pos.narrow(1, 1, 64).reshape(1, 8, 8, 12).permute(0, 3, 1, 2);
        double sf = 4.1 / 8;
        Tensor expected = grid.resizeBicubic(4, 4, false, sf, sf).permute(0, 2, 3, 1).reshape(1, 16, 12);
        assertThat(small.narrow(1, 1, 16).sub(expected).abs().max().item()).isLessThan(1e-5f);
        Tensor wide = vit.interpolatePosEncoding(4, 6).data();
        assertThat(wide.dims()).containsExactly(1, 25, 12);
    }

    @Test
    void positionEmbeddingGradientFlowsThroughTheInterpolation() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(6, 1, 2, 2, 8, 2f, 0f), g);
        new ModuleGradCheck(1e-2, 2e-2, 40).check(vit, x -> vit.interpolatePosEncoding(2, 2).mul(x), Tensor.randn(g, 1, 5, 6));
    }

    @Test
    void backboneTakesAnyImageSizeAndReturnsClsFeatures() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(12, 2, 3, 4, 16, 4f, 0f), g);
        try (GradMode.Scope s = GradMode.disabled()) {
            assertThat(vit.forward(Variable.constant(Tensor.randn(g, 2, 3, 16, 16))).dims()).containsExactly(2, 12);
            assertThat(vit.forward(Variable.constant(Tensor.randn(g, 3, 3, 8, 8))).dims()).containsExactly(3, 12);
            assertThat(vit.lastSelfAttention(Variable.constant(Tensor.randn(g, 1, 3, 16, 16))).dims()).containsExactly(1, 3, 17, 17);
        }
        assertThatThrownBy(() -> vit.forward(Variable.constant(Tensor.zeros(1, 1, 16, 16)))).hasMessageContaining("[B, 3, H, W]");
    }

    @Test
    void multiCropModelGroupsResolutionsAndKeepsCropMajorOrder() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(12, 1, 3, 4, 16, 4f, 0f), g);
        DinoModel model = new DinoModel(vit, new DinoHead(12, 10, 16, 8, true, g));
        model.eval();
        List<Tensor> crops = List.of(Tensor.randn(g, 2, 3, 16, 16), Tensor.randn(g, 2, 3, 16, 16), Tensor.randn(g, 2, 3, 8, 8));
        try (GradMode.Scope s = GradMode.disabled()) {
            Tensor all = model.forward(crops).data();
            assertThat(all.dims()).containsExactly(6, 10);
            Tensor third = model.head().forward(vit.forward(Variable.constant(crops.get(2)))).data();
            assertThat(all.narrow(0, 4, 2).sub(third).abs().max().item()).isLessThan(1e-5f);
        }
    }

    @Test
    void teacherFollowsTheStudentByEmaAndNeverGetsGradients() {
        VisionTransformer s = new VisionTransformer(new VitConfig(12, 1, 3, 4, 16, 4f, 0f), g);
        VisionTransformer t = new VisionTransformer(new VitConfig(12, 1, 3, 4, 16, 4f, 0f), new Generator(99));
        MomentumTeacher ema = new MomentumTeacher(s, t);
        assertThat(t.stateDict().get("cls_token").toFloatArray()).containsExactly(s.stateDict().get("cls_token").toFloatArray());
        assertThat(t.parameters()).allMatch(p -> !p.requiresGrad());
        float[] before = t.stateDict().get("norm.weight").toFloatArray();
        s.namedParameters().get("norm.weight").data().addInPlace(1f);
        ema.update(0.9);
        float[] after = t.stateDict().get("norm.weight").toFloatArray(), student = s.stateDict().get("norm.weight").toFloatArray();
        for (int i = 0; i < after.length; i++) assertThat(after[i]).isCloseTo(0.9f * before[i] + 0.1f * student[i], org.assertj.core.data.Offset.offset(1e-6f));
        // a backward pass through the teacher's output leaves it without gradients
        Variable out = t.forward(Variable.leaf(Tensor.randn(g, 1, 3, 16, 16)));
        out.sum().backward();
        assertThat(t.parameters()).allMatch(p -> p.grad() == null);
        assertThatThrownBy(() -> ema.update(1.5)).hasMessageContaining("[0, 1]");
    }

    @Test
    void wholeStudentGradientsPassACheckThroughTheDinoLoss() {
        VisionTransformer vit = new VisionTransformer(new VitConfig(8, 2, 2, 4, 8, 2f, 0f), g);
        DinoModel model = new DinoModel(vit, new DinoHead(8, 12, 10, 6, false, g));
        Tensor teacher = Tensor.randn(g, 4, 12);
        Tensor local = Tensor.randn(g, 2, 3, 4, 4);
        DinoLoss loss = new DinoLoss(12, 3, 0.1f, dev.dinoj.nn.Schedule.constant(0.04, 1), 0.9f);
        // O(1) weights: with the reference's 0.02-std init, the residual stream and the head's bottleneck are so
        // small that a finite-difference step of 0.01 is not small compared to them
        for (Variable p : model.parameters()) p.data().copyFrom(Tensor.randn(g, p.dims()).mul(0.4f).add(p.rank() == 1 ? 0.1f : 0f));
        // the input variable is the pair of global crops; the local crop is a constant
        new ModuleGradCheck(1e-2, 3e-2, 12).check(model, x -> {
            Variable globals = x;
            Variable feats = Variable.cat(0, vit.forward(globals), vit.forward(Variable.constant(local)));
            return loss.forward(model.head().forward(feats), teacher, 0);
        }, Tensor.randn(g, 4, 3, 8, 8));
    }
}
