package dev.dinoj.benchmarks;

import dev.dinoj.autograd.Variable;
import dev.dinoj.dino.CodingRate;
import dev.dinoj.dino.DinoLoss;
import dev.dinoj.dino.KoLeoLoss;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.TensorScope;
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
 * The ops the DINOv2 / SimDINO objectives add to a step, each at the shapes a run uses (calls per
 * second): Sinkhorn-Knopp targets of a teacher batch [2B, K] (3 iterations, K up to the reference's
 * 65536 prototypes), KoLeo forward and backward (the in-batch nearest neighbour: a B x B similarity
 * product), the coding rate forward and backward (SimDINO's [b, d] features: Gram, Cholesky, solves),
 * and the mask-token replacement of DINOv2's student (a where over [B, N, D] tokens) forward and backward.
 * Each op has its own state, so each runs only over its own sizes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class DinoFamilyOpsBenchmark {
    @State(Scope.Benchmark)
    public static class Teacher {
        @Param({"256", "4096", "65536"})
        public int prototypes;
        Tensor logits;

        @Setup
        public void setup() {
            logits = Tensor.randn(new Generator(1), 128, prototypes);
        }
    }

    @State(Scope.Benchmark)
    public static class Features {
        @Param({"64", "256"})
        public int batch;
        @Param({"256"})
        public int width;
        Tensor z;

        @Setup
        public void setup() {
            z = Tensor.randn(new Generator(2), batch, width);
        }
    }

    @State(Scope.Benchmark)
    public static class Tokens {
        @Param({"64"})
        public int batch;
        @Param({"196"})
        public int patches;
        @Param({"384"})
        public int width;
        Tensor tokens, masks, maskToken;

        @Setup
        public void setup() {
            Generator g = new Generator(3);
            tokens = Tensor.randn(g, batch, patches, width);
            float[] m = new float[batch * patches];
            java.util.SplittableRandom r = new java.util.SplittableRandom(4);
            for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() < 0.3 ? 1f : 0f;
            masks = Tensor.fromArray(m, batch, patches);
            maskToken = Tensor.randn(g, 1, width);
        }
    }

    @Benchmark
    public Tensor sinkhornKnopp(Teacher t) {
        try (TensorScope s = TensorScope.open()) {
            return s.keep(DinoLoss.sinkhornKnopp(t.logits, 0.04f, 3));
        }
    }

    @Benchmark
    public Tensor koleoForwardBackward(Features f) {
        try (TensorScope s = TensorScope.open()) {
            Variable x = Variable.leaf(f.z.copy());
            KoLeoLoss.of(x).backward();
            return s.keep(x.grad());
        }
    }

    @Benchmark
    public Tensor codingRateForwardBackward(Features f) {
        try (TensorScope s = TensorScope.open()) {
            Variable x = Variable.leaf(f.z.copy());
            CodingRate.of(x.normalize(1, 1e-6f), (float) Math.sqrt(0.5)).backward();
            return s.keep(x.grad());
        }
    }

    @Benchmark
    public Tensor maskTokenForwardBackward(Tokens t) {
        try (TensorScope s = TensorScope.open()) {
            Variable x = Variable.leaf(t.tokens.copy());
            Variable token = Variable.leaf(t.maskToken.copy());
            int b = t.batch, n = t.patches, d = t.width;
            Variable.where(t.masks.unsqueeze(2).expand(b, n, d).contiguous(), token.reshape(1, 1, d).expand(b, n, d), x).sum().backward();
            return s.keep(token.grad());
        }
    }
}
