package dev.dinoj.nn;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModuleTest {
    private final Generator gen = new Generator(1);

    private TransformerBlock block() {
        return new TransformerBlock(8, 2, 4f, true, 0f, 0f, 0.1f, 1e-6f, gen);
    }

    @Test
    void namesNestWithDotsInRegistrationOrder() {
        TransformerBlock b = block();
        assertThat(b.namedParameters().keySet()).containsExactly(
                "norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias");
        assertThat(b.parameterCount()).isEqualTo(4 * 8 + (8 * 24 + 24) + (8 * 8 + 8) + (8 * 32 + 32) + (32 * 8 + 8));
    }

    @Test
    void trainAndEvalPropagateToChildren() {
        TransformerBlock b = block();
        b.eval();
        assertThat(b.children().get("drop_path").isTraining()).isFalse();
        assertThat(b.attention().children().get("attn_drop").isTraining()).isFalse();
        b.train(true);
        assertThat(b.children().get("mlp").children().get("drop").isTraining()).isTrue();
    }

    @Test
    void stateDictRoundTripsIntoAFreshModule() {
        TransformerBlock a = block(), b = block();
        assertThat(b.stateDict().get("attn.qkv.weight").toFloatArray()).isNotEqualTo(a.stateDict().get("attn.qkv.weight").toFloatArray());
        Module.LoadResult r = b.loadStateDict(a.stateDict(), true);
        assertThat(r.missingKeys()).isEmpty();
        a.stateDict().forEach((k, v) -> assertThat(b.stateDict().get(k).toFloatArray()).as(k).containsExactly(v.toFloatArray()));
    }

    @Test
    void strictLoadNamesMissingUnexpectedAndMismatchedKeysAndChangesNothing() {
        TransformerBlock a = block(), b = block();
        float[] before = b.stateDict().get("norm1.weight").toFloatArray();
        Map<String, Tensor> state = new LinkedHashMap<>(a.stateDict());
        state.remove("mlp.fc2.bias");
        state.put("head.weight", Tensor.zeros(2));
        state.put("norm1.weight", Tensor.zeros(9));
        assertThatThrownBy(() -> b.loadStateDict(state, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing keys: mlp.fc2.bias")
                .hasMessageContaining("unexpected keys: head.weight")
                .hasMessageContaining("norm1.weight: checkpoint [9], model [8]");
        assertThat(b.stateDict().get("norm1.weight").toFloatArray()).containsExactly(before);
        // non-strict still refuses shape mismatches, but reports missing/unexpected keys
        state.put("norm1.weight", Tensor.zeros(8));
        Module.LoadResult r = b.loadStateDict(state, false);
        assertThat(r.missingKeys()).containsExactly("mlp.fc2.bias");
        assertThat(r.unexpectedKeys()).containsExactly("head.weight");
        assertThat(b.stateDict().get("norm1.weight").toFloatArray()).containsOnly(0f);
    }

    @Test
    void duplicateAndDottedNamesAreRejected() {
        assertThatThrownBy(() -> new Module() {
            {
                registerParameter("w", Tensor.zeros(1));
                registerParameter("w", Tensor.zeros(1));
            }
        }).hasMessageContaining("already registered");
        assertThatThrownBy(() -> new Module() {
            {
                registerParameter("a.b", Tensor.zeros(1));
            }
        }).hasMessageContaining("without dots");
    }
}
