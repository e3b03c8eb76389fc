package dev.dinoj.benchmarks;

import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.cpu.Gemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * CPU SGEMM through Tensor.matmul, on all threads. Shapes "MxKxN": square sizes, the two products
 * of a ViT-tiny block on a batch of 64 images of 65 tokens (qkv: 4096x192x576, fc2: 4096x768x192), and
 * the first two im2col products of the conv stem on 128 crops of 32 px (32768x27x24, 8192x216x48: B
 * is narrow). Layout "nn" is A x B; "tn" reads A transposed (the weight gradient X^T dY) and "nt" B
 * transposed (the input gradient dY W^T): {@code -p layout=nn,tn,nt}. The fork enables the Vector API;
 * add -jvmArgsAppend -Ddinoj.gemm=portable to measure the portable kernel.
 *
 * <p>{@code matmul} is what a user's {@code a.matmul(b)} costs, a new output tensor each call included;
 * {@code sgemm} is the kernel alone, C = A * B into the same output array each call: the figure to set
 * beside BLAS sgemm (benchmarks/peer/gemm_openblas.py times numpy's matmul into a preallocated output).
 * The two differ by the allocation of C (a 9 MB array at 4096 x 576, zeroed by the JVM).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class GemmBenchmark {
    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "4096x192x576", "4096x768x192", "32768x27x24", "8192x216x48"})
    public String shape;

    @Param({"nn"})
    public String layout;

    private Tensor a, b;
    private double gflop;
    private int m, k, n, ars, acs, brs, bcs;
    private float[] aData, bData, cData;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        int m = Integer.parseInt(p[0]), k = Integer.parseInt(p[1]), n = Integer.parseInt(p[2]);
        Generator g = new Generator(1);
        if (!layout.matches("[nt][nt]")) throw new IllegalArgumentException("layout must be nn, tn, nt or tt, got " + layout);
        // stored so that the product reads the operand through a transposed view, as the backward does
        boolean ta = layout.charAt(0) == 't', tb = layout.charAt(1) == 't';
        Tensor aStored = ta ? Tensor.randn(g, k, m) : Tensor.randn(g, m, k), bStored = tb ? Tensor.randn(g, n, k) : Tensor.randn(g, k, n);
        a = ta ? aStored.t() : aStored;
        b = tb ? bStored.t() : bStored;
        gflop = 2.0 * m * n * k / 1e9;
        this.m = m;
        this.k = k;
        this.n = n;
        // the same layouts for the kernel alone: the stored arrays, a transposed operand read with swapped strides
        aData = aStored.toFloatArray();
        bData = bStored.toFloatArray();
        ars = ta ? 1 : k;
        acs = ta ? m : 1;
        brs = tb ? 1 : n;
        bcs = tb ? k : 1;
        cData = new float[m * n];
        System.out.println("\n# GEMM kernel: " + Gemm.kernelName());
    }

    @Benchmark
    public Tensor matmul(Flops t) {
        t.gflop += gflop;
        return a.matmul(b);
    }

    @Benchmark
    public float[] sgemm(Flops t) {
        t.gflop += gflop;
        Gemm.multiply(m, n, k, aData, 0, ars, acs, bData, 0, brs, bcs, cData, 0, n, false, true);
        return cData;
    }
}
