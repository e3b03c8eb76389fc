package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResizeTest {
    private final Random r = new Random(41);

    @Test
    void bicubicResizeMatchesTheCubicConvolutionFormula() {
        Tensor x = Reference.random(r, 2, 3, 7, 5);
        assertClose(x.resizeBicubic(11, 4), bicubicReference(x, 11, 4, 7 / 11.0, 5 / 4.0, false), 1e-5);
        assertClose(x.resizeBicubic(11, 4, true, 0, 0), bicubicReference(x, 11, 4, 6 / 10.0, 4 / 3.0, true), 1e-5);
        // DINO's position-embedding call: scale_factor given, the map uses 1/scale_factor
        double sf = (2 + 0.1) / 4.0;
        Tensor pos = Reference.random(r, 1, 192, 4, 4);
        assertClose(pos.resizeBicubic(2, 2, false, sf, sf), bicubicReference(pos, 2, 2, 1 / sf, 1 / sf, false), 1e-5);
        // same size with the in/out scale is the identity
        assertClose(x.resizeBicubic(7, 5), values(x), 1e-6);
        assertThatThrownBy(() -> Tensor.zeros(3, 4, 4).resizeBicubic(2, 2)).hasMessageContaining("[N, C, H, W]");
    }

    private static double cubic(double d) {
        double a = -0.75, x = Math.abs(d);
        if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        return 0;
    }

    private static double[] bicubicReference(Tensor x, int oh, int ow, double sh, double sw, boolean align) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        double[] xv = values(x), out = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double sy = align ? sh * i : sh * (i + 0.5) - 0.5, sx = align ? sw * j : sw * (j + 0.5) - 0.5;
                    int fy = (int) Math.floor(sy), fx = (int) Math.floor(sx);
                    double acc = 0;
                    for (int u = -1; u <= 2; u++) {
                        for (int v = -1; v <= 2; v++) {
                            int yy = Math.min(h - 1, Math.max(0, fy + u)), xx = Math.min(w - 1, Math.max(0, fx + v));
                            acc += cubic(sy - (fy + u)) * cubic(sx - (fx + v)) * xv[p * h * w + yy * w + xx];
                        }
                    }
                    out[p * oh * ow + i * ow + j] = acc;
                }
            }
        }
        return out;
    }
}
