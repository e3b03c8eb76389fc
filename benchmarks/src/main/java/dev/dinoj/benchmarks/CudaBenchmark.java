package dev.dinoj.benchmarks;

import dev.dinoj.cuda.CudaKernels;
import dev.dinoj.cuda.MultiTensorTable;
import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.dinoj.benchmarks.CudaSync.REPS;

/**
 * What the per-family CUDA kernel benchmarks share: the ViT-S/16 DINO shapes (batch 64, 2 global +
 * 10 local crops, 197 tokens of width 384, head out_dim 65536), the JMH settings, and the device
 * buffers they own. Rates are GB/s ({@code :gbyte}, judged against {@link CudaCopyBenchmark}'s
 * device-to-device copy) or GFLOP/s ({@code :gflop}). Needs a GPU (setup fails with the reason
 * otherwise). Command: {@code java -jar benchmarks/target/benchmarks.jar 'Cuda.*Benchmark'}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx16g"})
@OperationsPerInvocation(REPS)
public abstract class CudaBenchmark {
    static final int BATCH = 64, CROPS = 12, OUT_DIM = 65536, WIDTH = 384, TOKENS = 197, MLP = 4 * WIDTH;

    protected Device d;
    protected CudaKernels k;
    private final List<Tensor> owned = new ArrayList<>();
    private final List<MultiTensorTable> tables = new ArrayList<>();

    /** Opens the GPU; each family's setup calls it first. */
    protected void open() {
        d = CudaSync.device();
        k = CudaSync.kernels(d);
    }

    protected Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    protected MultiTensorTable table(List<Tensor> list) {
        MultiTensorTable tb = k.table(list);
        tables.add(tb);
        return tb;
    }

    @TearDown
    public void tearDown() {
        tables.forEach(MultiTensorTable::close);
        owned.forEach(Tensor::close);
    }

    /** GB moved by that many floats. */
    static double gb(double floats) {
        return 4 * floats / 1e9;
    }
}
