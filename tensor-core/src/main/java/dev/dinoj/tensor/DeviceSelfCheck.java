package dev.dinoj.tensor;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The start-up check {@link Device#best()} (and so {@code --device auto}) runs before trusting a GPU:
 * a small matmul, a row softmax and an attention (the fused kernels where the device has them) on the
 * device, against the CPU. A device that opens but computes wrongly (a broken driver, a kernel that
 * does not match the CPU) is then not picked silently.
 */
public final class DeviceSelfCheck {
    /** What the check runs on the device under test. */
    public interface Ops {
        Tensor matmul(Tensor a, Tensor b);

        Tensor softmax(Tensor x);

        /** softmax(q k^T * scale) v for [BH, N, d] inputs. */
        Tensor attention(Tensor q, Tensor k, Tensor v, float scale);
    }

    private static final Map<Device, String> RESULTS = new ConcurrentHashMap<>();

    private DeviceSelfCheck() {}

    /** null when {@code device} agrees with the CPU, else what disagreed; run once per device. */
    public static String run(Device device) {
        String r = RESULTS.computeIfAbsent(device, d -> {
            try (TensorScope scope = TensorScope.open()) { // the device copies go back to its allocator at once
                return Objects.requireNonNullElse(check(on(d)), "");
            }
        });
        return r.isEmpty() ? null : r;
    }

    /** The operations of {@code device}: inputs moved there, results brought back to the CPU. */
    public static Ops on(Device device) {
        return new Ops() {
            @Override
            public Tensor matmul(Tensor a, Tensor b) {
                return a.to(device).matmul(b.to(device)).to(Device.CPU);
            }

            @Override
            public Tensor softmax(Tensor x) {
                return x.to(device).softmax().to(Device.CPU);
            }

            @Override
            public Tensor attention(Tensor q, Tensor k, Tensor v, float scale) {
                Attention.Args a = new Attention.Args(q.to(device), k.to(device), v.to(device), scale);
                return device.backend().attention().forward(a).output().to(Device.CPU);
            }
        };
    }

    /** null when {@code ops} agree with the CPU on every check, else which one did not and by how much. */
    public static String check(Ops ops) {
        Generator g = new Generator(20261201);
        try {
            Tensor a = Tensor.randn(g, 37, 53), b = Tensor.randn(g, 53, 29);
            // loose enough for TF32 GEMMs (10-bit mantissa: ~5e-4 here), far tighter than any wrong result
            String r = compare("matmul [37, 53] x [53, 29]", ops.matmul(a, b), a.matmul(b), 5e-3);
            if (r != null) return r;
            Tensor x = Tensor.randn(g, 7, 300).mul(3f);
            r = compare("softmax of [7, 300]", ops.softmax(x), x.softmax(), 1e-5);
            if (r != null) return r;
            Tensor q = Tensor.randn(g, 6, 17, 32), k = Tensor.randn(g, 6, 17, 32), v = Tensor.randn(g, 6, 17, 32);
            float scale = (float) (1 / Math.sqrt(32));
            Tensor want = ReferenceAttention.INSTANCE.forward(new Attention.Args(q, k, v, scale)).output(); // the CPU's attention
            return compare("attention [6, 17, 32]", ops.attention(q, k, v, scale), want, 5e-3);
        } catch (RuntimeException e) {
            return "it failed: " + e.getMessage();
        }
    }

    // The largest |got - want| relative to 1 + |want|, if it exceeds tol (NaN counts as exceeding).
    private static String compare(String what, Tensor got, Tensor want, double tol) {
        if (!got.shape().equals(want.shape())) return what + ": shape " + got.shape() + " instead of " + want.shape();
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < w.length; i++) {
            double err = Math.abs(g[i] - w[i]) / (1 + Math.abs(w[i]));
            if (!(err <= worst)) {
                worst = err;
                at = i;
                if (Double.isNaN(err)) break;
            }
        }
        if (at < 0 || worst <= tol) return null;
        return String.format(Locale.ROOT, "%s: element %d is %s instead of %s", what, at, g[at], w[at]);
    }
}
