package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Checkpoint;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ResNets against torchvision's layout (names, shapes, parameter counts without the classifier), their
 * forward against a direct double-precision evaluation of the equations from the state dict, the blocks'
 * gradients against finite differences, and a safetensors round trip.
 */
class ResNetTest {
    private final Generator gen = new Generator(21);

    @Test
    void namesShapesAndCountsAreTorchvisions() {
        ResNet r18 = new ResNet(ResNet.Arch.RESNET18, 3, false, 224, gen);
        // torchvision's resnet18 has 11,689,512 parameters, 513,000 of them in fc (512 x 1000 + 1000)
        assertThat(r18.parameterCount()).isEqualTo(11_689_512L - 513_000L);
        Map<String, Tensor> s18 = r18.stateDict();
        assertThat(s18).containsKeys("conv1.weight", "bn1.running_var", "layer1.1.conv2.weight", "layer2.0.downsample.0.weight",
                "layer2.0.downsample.1.num_batches_tracked", "layer4.1.bn2.bias").doesNotContainKeys("layer1.0.downsample.0.weight", "fc.weight");
        assertThat(s18.get("conv1.weight").dims()).containsExactly(64, 3, 7, 7);
        assertThat(s18.get("layer2.0.downsample.0.weight").dims()).containsExactly(128, 64, 1, 1);
        assertThat(r18.embedDim()).isEqualTo(512);
        // resnet50: 25,557,032 with fc (2048 x 1000 + 1000)
        ResNet r50 = new ResNet(ResNet.Arch.RESNET50, 3, false, 224, gen);
        assertThat(r50.parameterCount()).isEqualTo(25_557_032L - 2_049_000L);
        Map<String, Tensor> s50 = r50.stateDict();
        assertThat(s50.get("layer1.0.downsample.0.weight").dims()).containsExactly(256, 64, 1, 1);
        assertThat(s50.get("layer4.2.conv3.weight").dims()).containsExactly(2048, 512, 1, 1);
        assertThat(s50.get("layer3.5.conv2.weight").dims()).containsExactly(256, 256, 3, 3);
        assertThat(r50.embedDim()).isEqualTo(2048);
        // torchvision's order within a block: the branch, then the downsample
        assertThat(s50.keySet().stream().filter(k -> k.startsWith("layer2.0.")).findFirst()).hasValue("layer2.0.conv1.weight");
        // the small-image stem: 3x3, stride 1
        ResNet small = new ResNet(ResNet.Arch.RESNET18, 3, true, 32, gen);
        assertThat(small.stateDict().get("conv1.weight").dims()).containsExactly(64, 3, 3, 3);
        assertThat(small.parameterCount()).isEqualTo(r18.parameterCount() - 64 * 3 * (49 - 9));
        assertThatThrownBy(() -> ResNet.Arch.parse("resnet101")).hasMessageContaining("resnet18, resnet34, resnet50");
    }

    @Test
    void forwardIsTheEquationsInDouble() {
        // batch norm is well-conditioned only over several values per channel at the last stage (over 2 it outputs +-1 whatever
        // the input, over 3 of 1x1 a float rounding moves ResNet-50's output by 1%): 2 images of 2x2 there
        Object[][] cases = {{ResNet.Arch.RESNET18, true, 12, 2}, {ResNet.Arch.RESNET18, false, 48, 2}, {ResNet.Arch.RESNET50, false, 48, 2}};
        for (Object[] c : cases) {
            ResNet.Arch arch = (ResNet.Arch) c[0];
            boolean small = (Boolean) c[1];
            int side = (Integer) c[2];
            ResNet net = new ResNet(arch, 3, small, side, gen);
            int batch = (Integer) c[3];
            Tensor x = Tensor.randn(gen, batch, 3, side, side);
            for (boolean training : new boolean[] {true, false}) {
                net.train(training);
                Map<String, Tensor> state = net.stateDict(); // before the forward moves the running statistics
                double[] ref = ResNetReference.forward(state, arch == ResNet.Arch.RESNET50, arch == ResNet.Arch.RESNET50 ? new int[] {3, 4, 6, 3}
                        : new int[] {2, 2, 2, 2}, small, x, training);
                float[] got = net.forward(Variable.constant(x)).data().toFloatArray();
                assertThat(got).hasSize(batch * net.embedDim());
                double d = 0, r = 0;
                for (int i = 0; i < got.length; i++) {
                    d += (got[i] - ref[i]) * (got[i] - ref[i]);
                    r += ref[i] * ref[i];
                }
                assertThat(Math.sqrt(d / r)).as("%s small %s training %s", arch, small, training).isLessThan(1e-4);
            }
        }
    }

    /**
     * The network's gradients (input, stem, a downsample, batch-norm scales, the last convolution) against central differences
     * of the double-precision equations: L = sum(w * features), steps of 1e-6 (of 1e-4, a few of the many ReLUs downstream of a stem weight cross their kink) measured exactly
     * as the float values moved.
     */
    @Test
    void gradientsAreTheDerivativesOfTheEquations() {
        ResNet net = new ResNet(ResNet.Arch.RESNET18, 3, true, 32, gen);
        int[] dims = {2, 3, 12, 12};
        Tensor x = Tensor.randn(gen, dims);
        Tensor w = Tensor.randn(gen, 2, 512);
        Variable leaf = Variable.leaf(x.copy());
        net.zeroGrad();
        net.forward(leaf).mul(Variable.constant(w)).sum().backward();
        Map<String, Tensor> state = net.stateDict();
        double[] wv = toDouble(w.toFloatArray());
        java.util.function.BiFunction<Map<String, Tensor>, float[], Double> loss = (st, in) -> {
            double[] f = ResNetReference.forward(st, false, new int[] {2, 2, 2, 2}, true, toDouble(in), dims, true);
            double l = 0;
            for (int i = 0; i < f.length; i++) l += wv[i] * f[i];
            return l;
        };
        java.util.SplittableRandom pick = new java.util.SplittableRandom(3);
        float[] xs = x.toFloatArray();
        assertGradient("input", leaf.grad().toFloatArray(), xs, pick, v -> loss.apply(state, v));
        for (String name : new String[] {"conv1.weight", "layer2.0.downsample.0.weight", "layer3.0.bn1.weight", "layer4.1.conv2.weight"}) {
            Tensor p = state.get(name);
            float[] grad = net.namedParameters().get(name).grad().toFloatArray();
            assertGradient(name, grad, p.toFloatArray(), pick, v -> {
                Map<String, Tensor> moved = new java.util.LinkedHashMap<>(state);
                moved.put(name, Tensor.fromArray(v, p.dims()));
                return loss.apply(moved, xs);
            });
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Relative L2 error of 3 sampled gradient elements against central differences of f at values. */
    private static void assertGradient(String name, float[] grad, float[] values, java.util.SplittableRandom pick,
                                       java.util.function.Function<float[], Double> f) {
        double d = 0, r = 0;
        for (int s = 0; s < 3; s++) {
            int i = pick.nextInt(values.length);
            float[] up = values.clone(), down = values.clone();
            up[i] = values[i] + 1e-6f;
            down[i] = values[i] - 1e-6f;
            double fd = (f.apply(up) - f.apply(down)) / ((double) up[i] - down[i]);
            d += (grad[i] - fd) * (grad[i] - fd);
            r += fd * fd;
        }
        assertThat(Math.sqrt(d / r)).as(name).isLessThan(1e-3);
    }

    @Test
    void blocksHaveADownsampleExactlyWhereTheShapeChanges() {
        assertThat(new BasicBlock(3, 3, 1, gen).stateDict().keySet()).noneMatch(k -> k.startsWith("downsample"));
        assertThat(new BasicBlock(3, 3, 2, gen).stateDict()).containsKey("downsample.0.weight");
        assertThat(new BasicBlock(3, 4, 1, gen).stateDict()).containsKey("downsample.1.running_mean");
        Bottleneck b = new Bottleneck(8, 2, 1, gen); // 8 in, 2 x 4 out: the identity
        assertThat(b.stateDict().keySet()).noneMatch(k -> k.startsWith("downsample"));
        assertThat(b.forwardTokens(Variable.constant(Tensor.randn(gen, 2, 9, 8)), 3, 3).dims()).containsExactly(2, 9, 8);
        assertThat(new Bottleneck(8, 2, 2, gen).outputSide(5)).isEqualTo(3);
    }

    @Test
    void roundTripsThroughSafetensors(@TempDir Path dir) throws Exception {
        ResNet a = new ResNet(ResNet.Arch.RESNET18, 3, true, 32, gen);
        Tensor x = Tensor.randn(gen, 2, 3, 8, 8);
        a.forward(Variable.constant(x)); // running statistics move
        a.eval();
        Checkpoint.save(dir.resolve("r.safetensors"), a, Map.of());
        ResNet b = new ResNet(ResNet.Arch.RESNET18, 3, true, 32, new Generator(99));
        Checkpoint.load(dir.resolve("r.safetensors"), b, true);
        b.eval();
        assertThat(b.forward(Variable.constant(x)).data().toFloatArray()).containsExactly(a.forward(Variable.constant(x)).data().toFloatArray());
    }

    /** torchvision's state dict as a converted file holds it: the classifier (fc) and integer batch counters, no metadata. */
    @Test
    void torchvisionWeightsLoadWithTheirClassifierAndIntegerCounters(@TempDir Path dir) throws Exception {
        ResNet a = new ResNet(ResNet.Arch.RESNET18, 3, false, 224, gen);
        a.eval();
        Map<String, Tensor> tv = new java.util.LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> tv.put(k, k.endsWith("num_batches_tracked") ? Tensor.fromIndices(new int[] {7}) : v));
        tv.put("fc.weight", Tensor.randn(gen, 1000, 512));
        tv.put("fc.bias", Tensor.zeros(1000));
        Path f = dir.resolve("resnet18.safetensors");
        dev.dinoj.tensor.io.SafeTensors.write(f, tv, Map.of());
        Backbone b = BackboneLoader.loadAny(f, 0, null);
        assertThat(b).isInstanceOf(ResNet.class);
        assertThat(((ResNet) b).arch()).isEqualTo(ResNet.Arch.RESNET18);
        assertThat(((ResNet) b).smallImages()).isFalse();
        assertThat(b.imageSize()).isEqualTo(224);
        Tensor x = Tensor.randn(gen, 2, 3, 32, 32);
        assertThat(b.forward(Variable.constant(x)).data().toFloatArray()).containsExactly(a.forward(Variable.constant(x)).data().toFloatArray());
        // a ResNet-101 is named as such
        Map<String, Tensor> deeper = new java.util.LinkedHashMap<>(tv);
        for (int i = 2; i < 23; i++) deeper.put("layer3." + i + ".conv1.weight", Tensor.zeros(1));
        dev.dinoj.tensor.io.SafeTensors.write(dir.resolve("deeper.safetensors"), deeper, Map.of());
        assertThatThrownBy(() -> BackboneLoader.loadAny(dir.resolve("deeper.safetensors"), 0, null)).hasMessageContaining("none of resnet18, resnet34, resnet50");
    }
}
