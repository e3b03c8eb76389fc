package dev.dinoj.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.annotation.ByPtrPtr;
import org.junit.jupiter.api.Test;

/**
 * The launch parameter block, on plain JavaCPP memory (no GPU or driver needed): the table handed to
 * cuLaunchKernel is a void** whose element i is the address of argument i.
 */
class KernelArgsTest {
    private static final String CUDART = "org.bytedeco.cuda.global.cudart";
    private static final String PREFIX = "(Lorg/bytedeco/cuda/cudart/CUfunc_st;IIIIIIILorg/bytedeco/cuda/cudart/CUstream_st;";
    private static final String TABLE_OVERLOAD = PREFIX + "Lorg/bytedeco/javacpp/PointerPointer;Lorg/bytedeco/javacpp/PointerPointer;)I";
    private static final String BY_PTR_PTR_OVERLOAD = PREFIX + "Lorg/bytedeco/javacpp/Pointer;Lorg/bytedeco/javacpp/Pointer;)I";

    @Test
    void elementIOfTheTableIsTheAddressOfArgumentI() {
        try (KernelArgs a = new KernelArgs()) {
            a.reset().i32(-7).ptr(0x7f12_3456_7890L).f32(2.5f).shape(new int[] {3, 5, 7}).strides(new int[] {35, 7, 1}).i64(-5_000_000_000L)
                    .f64(0.125).i32(42);
            PointerPointer<?> table = a.pointers();
            assertThat(a.count()).isEqualTo(8);
            long[] at = new long[a.count()];
            for (int i = 0; i < at.length; i++) at[i] = table.get(i).address();
            assertThat(Arrays.stream(at).distinct().count()).as("distinct slots").isEqualTo(at.length);
            for (long p : at) assertThat(p % 8).as("8-byte aligned").isZero();
            assertThat(new IntPointer(slot(at[0])).get()).isEqualTo(-7);
            assertThat(new LongPointer(slot(at[1])).get()).isEqualTo(0x7f12_3456_7890L);
            assertThat(new FloatPointer(slot(at[2])).get()).isEqualTo(2.5f);
            int[] shape = new int[9];
            new IntPointer(slot(at[3])).get(shape);
            assertThat(shape).as("struct Shape8 { ndim; size[8] }").containsExactly(3, 3, 5, 7, 1, 1, 1, 1, 1);
            int[] strides = new int[8];
            new IntPointer(slot(at[4])).get(strides);
            assertThat(strides).as("struct Strides8 { s[8] }").containsExactly(35, 7, 1, 0, 0, 0, 0, 0);
            assertThat(new LongPointer(slot(at[5])).get()).isEqualTo(-5_000_000_000L);
            assertThat(new DoublePointer(slot(at[6])).get()).isEqualTo(0.125);
            assertThat(new IntPointer(slot(at[7])).get()).isEqualTo(42);

            a.reset().i32(9);
            assertThat(a.count()).isEqualTo(1);
            assertThat(table.get(0).address()).as("reset reuses the first slot").isEqualTo(at[0]);
            assertThat(new IntPointer(slot(table.get(0).address())).get()).isEqualTo(9);
        }
    }

    /** A pointer at a raw host address (the slots live in KernelArgs' native buffer). */
    private static Pointer slot(long address) {
        return new RawPointer(address);
    }

    private static final class RawPointer extends Pointer {
        RawPointer(long raw) {
            this.address = raw;
        }
    }

    @Test
    void shapesAndStrideListsLongerThanEightAreRefusedNotTruncated() {
        try (KernelArgs a = new KernelArgs()) {
            int[] nine = {1, 2, 3, 4, 5, 6, 7, 8, 9};
            assertThatThrownBy(() -> a.reset().strides(nine)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("strides").hasMessageContaining("9 dimensions").hasMessageContaining("at most 8");
            assertThatThrownBy(() -> a.reset().shape(nine)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("shape").hasMessageContaining("at most 8");
            a.reset().shape(Arrays.copyOf(nine, 8)).strides(Arrays.copyOf(nine, 8));
            assertThat(a.count()).isEqualTo(2);
        }
    }

    @Test
    void tooManyArgumentsAreRefused() {
        try (KernelArgs a = new KernelArgs()) {
            a.reset();
            for (int i = 0; i < 64; i++) a.i32(i);
            assertThatThrownBy(() -> a.i32(64)).isInstanceOf(IllegalStateException.class).hasMessageContaining("too many");
        }
    }

    @Test
    void launchMessagesNameTheKernelAndItsShape() {
        assertThat(CudaContext.launchName("attn_fwd_d64", 98304, 1, 128, 1, 37888)).isEqualTo("attn_fwd_d64<<<(98304, 1), (128, 1), 37888 B>>>");
    }

    /**
     * What the compiled launches bind: the (PointerPointer, PointerPointer) overload passes the table
     * as the void**; the (Pointer, Pointer) one is {@code @ByPtrPtr} and would pass the address of a
     * copy of the table's pointer. Read from the class files, without loading the CUDA libraries.
     */
    @Test
    void contextLaunchesBindTheOverloadThatPassesTheTableItself() throws Exception {
        Class<?> cudart = Class.forName(CUDART, false, getClass().getClassLoader());
        Method table = cudart.getMethod("cuLaunchKernel", parameters(cudart, PointerPointer.class));
        Method byPtrPtr = cudart.getMethod("cuLaunchKernel", parameters(cudart, Pointer.class));
        assertThat(hasByPtrPtr(table.getParameterAnnotations()[9])).as("kernelParams of the PointerPointer overload").isFalse();
        assertThat(hasByPtrPtr(byPtrPtr.getParameterAnnotations()[9])).as("kernelParams of the Pointer overload").isTrue();

        assertThat(KernelArgs.class.getDeclaredMethod("pointers").getReturnType()).isEqualTo(PointerPointer.class);
        String context = classFileText(CudaContext.class);
        assertThat(context).as("CudaContext calls cuLaunchKernel(..., PointerPointer, PointerPointer)").contains(TABLE_OVERLOAD);
        assertThat(context).as("CudaContext never calls the @ByPtrPtr overload").doesNotContain(BY_PTR_PTR_OVERLOAD);
    }

    private static Class<?>[] parameters(Class<?> cudart, Class<?> table) throws ClassNotFoundException {
        ClassLoader l = cudart.getClassLoader();
        Class<?> func = Class.forName("org.bytedeco.cuda.cudart.CUfunc_st", false, l);
        Class<?> stream = Class.forName("org.bytedeco.cuda.cudart.CUstream_st", false, l);
        return new Class<?>[] {func, int.class, int.class, int.class, int.class, int.class, int.class, int.class, stream, table, table};
    }

    private static boolean hasByPtrPtr(Annotation[] annotations) {
        return Arrays.stream(annotations).anyMatch(a -> a.annotationType() == ByPtrPtr.class);
    }

    /** The class file as ISO-8859-1 text: its method descriptors appear verbatim in the constant pool. */
    private static String classFileText(Class<?> c) throws IOException {
        try (InputStream in = c.getResourceAsStream(c.getSimpleName() + ".class")) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
