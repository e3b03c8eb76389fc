package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's tensor example, kept compiling and producing the shapes it claims. */
class ReadmeExampleTest {
    @Test
    void readmeExampleRuns() {
        Generator gen = new Generator(42);
        Tensor x = Tensor.randn(gen, 32, 65, 192);
        Tensor w = Tensor.randn(gen, 576, 192).mul(0.02f);
        Tensor qkv = x.matmul(w.t());
        Tensor q = qkv.narrow(-1, 0, 192).view(32, 65, 3, 64).permute(0, 2, 1, 3);
        Tensor k = qkv.narrow(-1, 192, 192).view(32, 65, 3, 64).permute(0, 2, 1, 3);
        Tensor attn = q.matmul(k.transpose(-2, -1)).mul(0.125f).softmax();
        Tensor y = x.layerNorm(Tensor.ones(192), Tensor.zeros(192), 1e-6f).gelu();
        Tensor rowMax = attn.max(-1, true);
        assertThat(qkv.dims()).containsExactly(32, 65, 576);
        assertThat(q.dims()).containsExactly(32, 3, 65, 64);
        assertThat(attn.dims()).containsExactly(32, 3, 65, 65);
        assertThat(attn.sum(-1, false).sub(1f).abs().max().item()).isLessThan(1e-5f);
        assertThat(rowMax.dims()).containsExactly(32, 3, 65, 1);
        assertThat(y.mean(new int[] {0, 1}, false).toString()).startsWith("Tensor(shape=[192], dtype=float32, device=cpu)");
    }
}
