package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ViewsTest {
    private final Random r = new Random(21);

    @Test
    void creationOps() {
        assertThat(Tensor.zeros(2, 3).toFloatArray()).containsOnly(0f).hasSize(6);
        assertThat(Tensor.ones(4).toFloatArray()).containsExactly(1, 1, 1, 1);
        assertThat(Tensor.full(2.5f, 2).toFloatArray()).containsExactly(2.5f, 2.5f);
        assertThat(Tensor.arange(4).toFloatArray()).containsExactly(0, 1, 2, 3);
        assertThat(Tensor.arange(1, 2, 0.25).toFloatArray()).containsExactly(1, 1.25f, 1.5f, 1.75f);
        assertThat(Tensor.arange(3, 0, -1).toFloatArray()).containsExactly(3, 2, 1);
        Tensor m = Tensor.fromArray(new float[][] {{1, 2}, {3, 4}, {5, 6}});
        assertThat(m.dims()).containsExactly(3, 2);
        assertThat(m.get(2, 1)).isEqualTo(6f);
        assertThat(Tensor.scalar(3f).rank()).isZero();
        assertThat(Tensor.scalar(3f).item()).isEqualTo(3f);
        assertThatThrownBy(() -> Tensor.fromArray(new float[5], 2, 3)).hasMessageContaining("5 values do not fill shape [2, 3]");
        assertThatThrownBy(() -> Tensor.fromArray(new float[][] {{1, 2}, {3}})).hasMessageContaining("row 1 has 1 values");
    }

    @Test
    void viewAndReshapeShareOrCopyAsNeeded() {
        Tensor x = Tensor.arange(24).view(2, 3, 4);
        Tensor v = x.view(6, -1);
        assertThat(v.dims()).containsExactly(6, 4);
        assertThat(v.storage()).isSameAs(x.storage());
        Tensor t = x.transpose(1, 2); // [2, 4, 3], not contiguous
        assertThat(t.isContiguous()).isFalse();
        assertThatThrownBy(() -> t.view(24)).hasMessageContaining("view").hasMessageContaining("reshape");
        Tensor flat = t.reshape(-1);
        assertThat(flat.storage()).isNotSameAs(x.storage());
        assertThat(toInts(flat)).startsWith(0, 4, 8, 1, 5, 9, 2);
        // a view of a non-contiguous tensor that keeps the layout is allowed (split a dim)
        Tensor split = t.view(2, 2, 2, 3);
        assertThat(split.storage()).isSameAs(x.storage());
        assertThat(values(split)).containsExactly(values(t));
        assertThatThrownBy(() -> x.view(5, -1)).hasMessageContaining("invalid for a tensor of shape [2, 3, 4]");
        assertThatThrownBy(() -> x.view(-1, -1)).hasMessageContaining("only one dimension can be -1");
        assertThat(x.flatten(1, 2).dims()).containsExactly(2, 12);
    }

    private static int[] toInts(Tensor t) {
        float[] f = t.toFloatArray();
        int[] o = new int[f.length];
        for (int i = 0; i < f.length; i++) o[i] = (int) f[i];
        return o;
    }

    @Test
    void permuteTransposeNarrowSliceSelect() {
        Tensor x = Tensor.arange(60).view(3, 4, 5);
        Tensor p = x.permute(2, 0, 1);
        assertThat(p.dims()).containsExactly(5, 3, 4);
        assertThat(p.get(4, 2, 1)).isEqualTo(x.get(2, 1, 4));
        assertThat(x.transpose(0, 2).get(1, 3, 2)).isEqualTo(x.get(2, 3, 1));
        Tensor n = x.narrow(1, 1, 2);
        assertThat(n.dims()).containsExactly(3, 2, 5);
        assertThat(n.get(2, 1, 3)).isEqualTo(x.get(2, 2, 3));
        Tensor s = x.slice(2, 1, -1, 2); // columns 1 and 3
        assertThat(s.dims()).containsExactly(3, 4, 2);
        assertThat(s.get(1, 2, 1)).isEqualTo(x.get(1, 2, 3));
        Tensor sel = x.select(0, -1);
        assertThat(sel.dims()).containsExactly(4, 5);
        assertThat(sel.get(3, 4)).isEqualTo(59f);
        assertThat(x.movedim(0, 2).dims()).containsExactly(4, 5, 3);
        assertThatThrownBy(() -> x.narrow(1, 3, 2)).hasMessageContaining("out of bounds for dimension 1 of size 4");
        assertThatThrownBy(() -> x.permute(0, 0, 1)).hasMessageContaining("repeated");
        assertThatThrownBy(() -> x.select(3, 0)).hasMessageContaining("dimension 3 is out of range for shape [3, 4, 5]");
    }

    @Test
    void expandSqueezeUnsqueeze() {
        Tensor x = Tensor.arange(3).view(3, 1);
        Tensor e = x.expand(2, 3, 4);
        assertThat(e.dims()).containsExactly(2, 3, 4);
        assertThat(e.strides()).containsExactly(0, 1, 0);
        assertThat(e.get(1, 2, 3)).isEqualTo(2f);
        assertThat(e.contiguous().sum().item()).isEqualTo(2 * 4 * 3f);
        assertThat(x.expand(3, 2).get(2, 1)).isEqualTo(2f);
        assertThatThrownBy(() -> x.expand(2, 2)).hasMessageContaining("cannot be expanded");
        Tensor u = x.unsqueeze(0).unsqueeze(-1);
        assertThat(u.dims()).containsExactly(1, 3, 1, 1);
        assertThat(u.squeeze().dims()).containsExactly(3);
        assertThat(u.squeeze(0).dims()).containsExactly(3, 1, 1);
        assertThat(u.squeeze(1).dims()).containsExactly(1, 3, 1, 1);
    }

    @Test
    void catStackSplitChunk() {
        Tensor a = Reference.random(r, 2, 3), b = Reference.random(r, 2, 5);
        Tensor c = Tensor.cat(1, a, b.t().contiguous().t()); // second part strided
        assertThat(c.dims()).containsExactly(2, 8);
        assertThat(values(c.narrow(1, 0, 3))).containsExactly(values(a));
        assertThat(values(c.narrow(1, 3, 5))).containsExactly(values(b));
        assertThatThrownBy(() -> Tensor.cat(0, a, b)).hasMessageContaining("cat").hasMessageContaining("[2, 5]");
        Tensor s = Tensor.stack(0, a, a.mul(2));
        assertThat(s.dims()).containsExactly(2, 2, 3);
        assertThat(s.get(1, 1, 2)).isEqualTo(a.get(1, 2) * 2);
        assertThatThrownBy(() -> Tensor.stack(0, a, b)).hasMessageContaining("stack");
        List<Tensor> parts = c.split(3, 1);
        assertThat(parts).hasSize(3);
        assertThat(parts.get(2).dims()).containsExactly(2, 2);
        assertThat(c.split(new int[] {1, 7}, 1).get(1).dims()).containsExactly(2, 7);
        assertThatThrownBy(() -> c.split(new int[] {1, 6}, 1)).hasMessageContaining("do not add up");
        List<Tensor> ch = Tensor.arange(10).chunk(3, 0);
        assertThat(ch).extracting(t -> t.size(0)).containsExactly(4, 4, 2);
    }

    @Test
    void indexSelectGatherAndScatterAdd() {
        Tensor x = Tensor.arange(12).view(3, 4);
        Tensor rows = x.indexSelect(0, Tensor.fromIndices(new int[] {2, 0, 2}));
        assertThat(rows.toFloatArray()).containsExactly(8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
        Tensor cols = x.t().indexSelect(1, Tensor.fromIndices(new int[] {1})); // strided input
        assertThat(cols.toFloatArray()).containsExactly(4, 5, 6, 7);
        assertThat(Tensor.fromIndices(new int[] {5, 6, 7}).indexSelect(0, Tensor.fromIndices(new int[] {2, 2, 0})).toIntArray())
                .containsExactly(7, 7, 5); // int tensors take the element-copy path
        assertThatThrownBy(() -> x.indexSelect(0, Tensor.fromIndices(new int[] {3})))
                .hasMessageContaining("index 3").hasMessageContaining("size 3");
        Tensor idx = Tensor.fromIndices(new int[] {3, 0, 1, 1, 2, 2}, 3, 2);
        Tensor g = x.gather(1, idx);
        assertThat(g.toFloatArray()).containsExactly(3, 0, 5, 5, 10, 10);
        Tensor acc = Tensor.zeros(3, 4).scatterAddInPlace(1, idx, Tensor.ones(3, 2));
        assertThat(acc.toFloatArray()).containsExactly(1, 0, 0, 1, 0, 2, 0, 0, 0, 0, 2, 0);
        assertThatThrownBy(() -> x.gather(1, Tensor.fromIndices(new int[] {4}, 1, 1))).hasMessageContaining("index 4");
        assertThatThrownBy(() -> x.gather(1, Tensor.fromIndices(new int[] {0}, 1))).hasMessageContaining("rank");
        Tensor am = Tensor.fromArray(new float[] {1, 5, 5, 2, -1, 0}, 2, 3).argmax(1, false);
        assertThat(am.dtype()).isEqualTo(DType.INT32);
        assertThat(am.toIntArray()).containsExactly(1, 0); // first of tied maxima
    }

    @Test
    void indexAddSumsRepeatedIndicesAndMatchesScatterAdd() {
        // [2, 5, 3] from [2, 4, 3] along dim 1, index 3 twice: the gradient of indexSelect
        Tensor src = Tensor.arange(24).view(2, 4, 3);
        Tensor index = Tensor.fromIndices(new int[] {3, 0, 3, 1});
        Tensor added = Tensor.zeros(2, 5, 3).indexAddInPlace(1, index, src);
        assertThat(added.toFloatArray()).containsExactly(
                3, 4, 5, 9, 10, 11, 0, 0, 0, 0 + 6, 1 + 7, 2 + 8, 0, 0, 0,
                15, 16, 17, 21, 22, 23, 0, 0, 0, 12 + 18, 13 + 19, 14 + 20, 0, 0, 0);
        Tensor expanded = index.view(1, 4, 1).expand(2, 4, 3).contiguous();
        assertThat(added.toFloatArray()).containsExactly(Tensor.zeros(2, 5, 3).scatterAddInPlace(1, expanded, src).toFloatArray());
        // a strided destination takes the composed path and gives the same
        Tensor strided = Tensor.zeros(3, 5, 2).permute(2, 1, 0);
        strided.indexAddInPlace(1, index, src);
        assertThat(strided.toFloatArray()).containsExactly(added.toFloatArray());
        assertThat(Tensor.zeros(2, 5, 3).indexAddInPlace(1, index, src.permute(0, 2, 1).contiguous().permute(0, 2, 1)).toFloatArray())
                .containsExactly(added.toFloatArray());
        assertThatThrownBy(() -> Tensor.zeros(2, 3, 3).indexAddInPlace(1, index, src)).hasMessageContaining("index 3").hasMessageContaining("size 3");
        assertThatThrownBy(() -> Tensor.zeros(2, 5, 3).indexAddInPlace(1, index, Tensor.zeros(2, 3, 3)))
                .hasMessageContaining("src shape").hasMessageContaining("[2, 4, 3]");
    }

    @Test
    void deviceTransferAndTypeConversion() {
        Tensor x = Tensor.arange(5).mul(1.5f);
        assertThat(x.to(Device.CPU).toFloatArray()).containsExactly(x.toFloatArray());
        assertThat(x.toType(DType.INT32).toIntArray()).containsExactly(0, 1, 3, 4, 6);
        assertThat(Device.parse("cpu")).isEqualTo(Device.CPU);
        assertThatThrownBy(() -> Device.parse("tpu")).hasMessageContaining("bad device 'tpu'");
    }

    @Test
    void toStringShowsShapeDtypeDeviceAndSummarisedValues() {
        String s = Tensor.arange(10).toString();
        assertThat(s).contains("shape=[10]", "float32", "cpu", "0.0000", "...", "9.0000").doesNotContain("5.0000");
        String m = Tensor.arange(6).view(2, 3).toString();
        assertThat(m).contains("[[0.0000, 1.0000, 2.0000],", "[3.0000, 4.0000, 5.0000]]");
        assertThat(Tensor.fromIndices(new int[] {1, 2}).toString()).contains("int32", "[1, 2]");
    }
}
