package dev.dinoj.nn;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    @TempDir
    Path dir;

    private TransformerBlock block(long seed) {
        return new TransformerBlock(8, 2, 4f, true, 0f, 0f, 0f, 1e-6f, new Generator(seed));
    }

    @Test
    void saveThenLoadIsBitExact() throws IOException {
        TransformerBlock a = block(1), b = block(2);
        Path p = dir.resolve("block.safetensors");
        Checkpoint.save(p, a, Map.of("note", "test"));
        Map<String, String> meta = Checkpoint.load(p, b, true);
        assertThat(meta).containsEntry("note", "test");
        a.stateDict().forEach((k, v) -> {
            int[] x = bits(v.toFloatArray()), y = bits(b.stateDict().get(k).toFloatArray());
            assertThat(y).as(k).containsExactly(x);
        });
    }

    private static int[] bits(float[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Float.floatToRawIntBits(v[i]);
        return o;
    }

    @Test
    void missingKeyWrongShapeAndTruncatedFilesFailNamingTheProblem() throws IOException {
        TransformerBlock a = block(1);
        Map<String, Tensor> state = new LinkedHashMap<>(a.stateDict());
        state.remove("attn.proj.bias");
        Path missing = dir.resolve("missing.safetensors");
        SafeTensors.write(missing, state, Map.of());
        assertThatThrownBy(() -> Checkpoint.load(missing, block(3), true))
                .hasMessageContaining("missing.safetensors").hasMessageContaining("missing keys: attn.proj.bias");

        state = new LinkedHashMap<>(a.stateDict());
        state.put("mlp.fc1.weight", Tensor.zeros(32, 7));
        Path shape = dir.resolve("shape.safetensors");
        SafeTensors.write(shape, state, Map.of());
        assertThatThrownBy(() -> Checkpoint.load(shape, block(3), true))
                .hasMessageContaining("mlp.fc1.weight: checkpoint [32, 7], model [32, 8]");

        Path good = dir.resolve("good.safetensors");
        Checkpoint.save(good, a, Map.of());
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        TransformerBlock target = block(4);
        float[] before = target.stateDict().get("norm1.bias").toFloatArray();
        assertThatThrownBy(() -> Checkpoint.load(truncated, target, true)).isInstanceOf(IOException.class).hasMessageContaining("truncated");
        assertThat(target.stateDict().get("norm1.bias").toFloatArray()).containsExactly(before);
    }

    @Test
    void sectionsSplitCompositeCheckpoints() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        all.putAll(Checkpoint.prefixed("student", Map.of("w", Tensor.ones(1))));
        all.putAll(Checkpoint.prefixed("teacher.", Map.of("w", Tensor.zeros(1))));
        assertThat(all).containsKeys("student.w", "teacher.w");
        assertThat(Checkpoint.section(all, "teacher").get("w").item()).isZero();
    }
}
