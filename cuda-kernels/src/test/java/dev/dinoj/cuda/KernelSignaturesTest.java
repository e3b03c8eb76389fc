package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dinoj.cuda.KernelSignature.Param;
import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.RandomDistribution;
import dev.dinoj.tensor.ReduceOp;
import dev.dinoj.tensor.UnaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CPU-only check of the GPU path's interface: every extern "C" __global__ declaration in
 * native/src against its KernelCatalog entry (names, parameter count and types), and the enums whose
 * ordinals the launches pass against their C++ counterparts.
 */
class KernelSignaturesTest {
    private static final Path SOURCES = Path.of(System.getProperty("user.dir")).resolve("../native/src").normalize();
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\(\\w+\\) )?(\\w+)\\(([^)]*)\\)");
    private static final Pattern ENUM = Pattern.compile("enum class (\\w+) \\{([^}]*)\\}");

    private static String sources() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            StringBuilder all = new StringBuilder();
            for (Path p : files.filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh")).sorted().collect(Collectors.toList())) {
                all.append(Files.readString(p)).append('\n');
            }
            return all.toString();
        }
    }

    /** The parameter kind of one C declaration such as {@code const float* Q} or {@code long long n}. */
    static Param kind(String declaration) {
        String d = declaration.trim().replaceAll("\\s+", " ");
        if (d.contains("*")) return Param.PTR;
        String type = d.substring(0, d.lastIndexOf(' ')).replace("const ", "").trim();
        switch (type) {
            case "int": return Param.I32;
            case "long long": case "unsigned long long": return Param.I64;
            case "float": return Param.F32;
            case "double": return Param.F64;
            case "Shape8": return Param.SHAPE8;
            case "Strides8": return Param.STRIDES8;
            default: throw new AssertionError("parameter '" + d + "': no Java argument kind for C type '" + type + "'");
        }
    }

    static Map<String, List<Param>> declared(String source) {
        Map<String, List<Param>> kernels = new LinkedHashMap<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) {
            List<Param> params = new ArrayList<>();
            for (String p : m.group(2).split(",")) params.add(kind(p));
            assertThat(kernels.put(m.group(1), params)).as("kernel %s declared twice", m.group(1)).isNull();
        }
        return kernels;
    }

    @Test
    void everyKernelIsDeclaredInJavaWithItsParameterTypes() throws IOException {
        Map<String, List<Param>> cuda = declared(sources());
        assertThat(cuda).as("kernels found in %s", SOURCES).hasSizeGreaterThan(30);
        Map<String, List<Param>> java = new LinkedHashMap<>();
        for (KernelSignature k : KernelCatalog.all()) java.put(k.name, k.params);
        assertThat(java.keySet()).as("KernelCatalog entries vs kernels in native/src").containsExactlyInAnyOrderElementsOf(cuda.keySet());
        for (Map.Entry<String, List<Param>> k : cuda.entrySet()) {
            assertThat(KernelSignature.spell(java.get(k.getKey())))
                    .as("parameters of %s (KernelCatalog vs native/src)", k.getKey()).isEqualTo(KernelSignature.spell(k.getValue()));
        }
    }

    @Test
    void theEnumsLaunchesPassByOrdinalMatchTheirCppCounterparts() throws IOException {
        Map<String, List<String>> cpp = new LinkedHashMap<>();
        Matcher m = ENUM.matcher(sources());
        while (m.find()) cpp.put(m.group(1), Arrays.stream(m.group(2).split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toList()));
        for (Class<? extends Enum<?>> e : List.of(UnaryOp.class, BinaryOp.class, ReduceOp.class, DType.class, RandomDistribution.class)) {
            List<String> names = Arrays.stream(e.getEnumConstants()).map(Enum::name).collect(Collectors.toList());
            assertThat(cpp.get(e.getSimpleName())).as("enum class %s in native/src, in the order of the Java enum", e.getSimpleName()).isEqualTo(names);
        }
    }

    @Test
    void aChangedDeclarationIsCaught() {
        // what the first test does when a .cu parameter list changes: an int turned into a float
        Map<String, List<Param>> changed = declared("extern \"C\" __global__ void softmax_fwd(const float* x, float* out, float cols, float invT, int logOut)");
        assertThat(KernelSignature.spell(changed.get("softmax_fwd"))).isNotEqualTo(KernelSignature.spell(KernelCatalog.SOFTMAX_FWD.params));
        assertThatThrownBy(() -> kind("size_t n")).hasMessageContaining("size_t");
    }

    @Test
    void aLaunchWithTheWrongArgumentTypesIsRefusedBeforeTheDriver() {
        try (KernelArgs args = new KernelArgs()) {
            args.reset().ptr(1L).ptr(2L).i32(3).i32(4).f32(1f); // softmax_fwd takes (ptr, ptr, int, float, int)
            assertThatThrownBy(() -> KernelCatalog.SOFTMAX_FWD.check(args.types()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("softmax_fwd takes (pointer, pointer, int, float, int)")
                    .hasMessageContaining("passed (pointer, pointer, int, int, float)");
            args.reset().ptr(1L).ptr(2L).i32(3).f32(1f).i32(0);
            KernelCatalog.SOFTMAX_FWD.check(args.types());
        }
        assertThatThrownBy(() -> KernelCatalog.attnFwd(48)).hasMessageContaining("48");
        assertThat(KernelCatalog.attnFwd(64).name).isEqualTo("attn_fwd_d64");
    }
}
