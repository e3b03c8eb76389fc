package dev.dinoj.dino;

import dev.dinoj.autograd.DoubleArray;
import dev.dinoj.autograd.DoubleGradCheck;
import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * The coding rate and SimDINO's loss against direct double-precision implementations of the paper's
 * formulas (the log-determinant by Gaussian elimination of the d x d matrix, where the op uses Cholesky
 * of the smaller Gram matrix), value and gradient.
 */
class SimDinoLossTest {
    private final Generator gen = new Generator(11);

    /** R_eps(Z) = 1/2 logdet(I_d + d / (b eps^2) Z^T Z) of the b x d rows z[off ..], always through the d x d matrix. */
    private static double codingRate(double[] z, int off, int b, int d, double eps) {
        double c = d / (b * eps * eps);
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int r = 0; r < b; r++) s += z[off + r * d + i] * z[off + r * d + j];
                m[i * d + j] = (i == j ? 1 : 0) + c * s;
            }
        }
        return 0.5 * new DoubleArray(m, d, d).logAbsDet().values()[0];
    }

    /**
     * The paper's loss in double: mean over pairs (t, v != t) of the batch mean of 1/2 ||s_v - t_t||^2, minus gamma R averaged
     * over the 2 global views, R of the student's features or (average) of the mean of the student's and the teacher's.
     */
    private static double referenceLoss(double[] s, double[] t, int crops, int b, int d, double eps, double gamma, boolean average) {
        double distance = 0;
        for (int iq = 0; iq < 2; iq++) {
            for (int v = 0; v < crops; v++) {
                if (v == iq) continue;
                double mean = 0;
                for (int i = 0; i < b; i++) {
                    double sq = 0;
                    for (int k = 0; k < d; k++) {
                        double diff = s[(v * b + i) * d + k] - t[(iq * b + i) * d + k];
                        sq += diff * diff;
                    }
                    mean += 0.5 * sq / b;
                }
                distance += mean;
            }
        }
        distance /= 2 * crops - 2;
        double[] z = s.clone();
        if (average) for (int i = 0; i < 2 * b * d; i++) z[i] = (s[i] + t[i]) / 2;
        double rate = (codingRate(z, 0, b, d, eps) + codingRate(z, b * d, b, d, eps)) / 2;
        return distance - gamma * rate;
    }

    private Tensor unitRows(int rows, int d) {
        Tensor x = Tensor.randn(gen, rows, d);
        return x.div(x.norm(new int[] {1}, true));
    }

    @Test
    void codingRateEqualsTheLogdetOfTheOtherGramMatrix() {
        // b < d (the b x b Gram matrix is used) and b > d (the d x d one), against the d x d form in double
        for (int[] s : new int[][] {{5, 12}, {12, 5}, {1, 3}, {7, 7}}) {
            int b = s[0], d = s[1];
            Tensor z = unitRows(b, d);
            DoubleGradCheck.defaults().check(v -> CodingRate.of(v[0], 0.5f), x -> DoubleArray.scalar(codingRate(x[0].values(), 0, b, d, 0.5)), z);
        }
        // collapsed features code in fewer nats than spread ones
        Tensor same = unitRows(1, 8).expand(16, 8).contiguous();
        assertThat(CodingRate.of(Variable.constant(same), 0.7f).item()).isLessThan(CodingRate.of(Variable.constant(unitRows(16, 8)), 0.7f).item());
        assertThatThrownBy(() -> CodingRate.of(Variable.constant(Tensor.zeros(3)), 0.5f)).hasMessageContaining("[b >= 1, d >= 1]");
        assertThatThrownBy(() -> CodingRate.of(Variable.constant(Tensor.zeros(3, 2)), 0f)).hasMessageContaining("eps");
    }

    @Test
    void lossAndGradientEqualThePapersFormulaInDouble() {
        int crops = 4, b = 3, d = 6;
        double eps = SimDinoLoss.DEFAULT_EPS;
        Tensor student = unitRows(crops * b, d), teacher = unitRows(2 * b, d);
        double[] t = DoubleArray.of(teacher).values();
        for (SimDinoLoss.RateOf of : SimDinoLoss.RateOf.values()) {
            for (double gammaOption : new double[] {Double.NaN, 0.3}) {
                SimDinoLoss loss = new SimDinoLoss(crops, eps, gammaOption, of);
                double gamma = loss.gamma(d, b);
                DoubleGradCheck.defaults().check(v -> loss.forward(v[0], teacher, 0),
                        x -> DoubleArray.scalar(referenceLoss(x[0].values(), t, crops, b, d, eps, gamma, of == SimDinoLoss.RateOf.AVERAGE)), student);
            }
        }
        // the two codings differ where the teacher differs from the student
        assertThat(new SimDinoLoss(crops, eps, 1).forward(Variable.constant(student), teacher, 0).item())
                .isNotCloseTo(new SimDinoLoss(crops, eps, 1, SimDinoLoss.RateOf.STUDENT).forward(Variable.constant(student), teacher, 0).item(), offset(1e-3f));
        assertThatThrownBy(() -> SimDinoLoss.RateOf.parse("teacher")).hasMessageContaining("--coding-rate-of");
        // the authors' balance: (d + b) / (d b)
        assertThat(new SimDinoLoss(crops, eps, Double.NaN).gamma(256, 64)).isCloseTo((256.0 + 64) / (256.0 * 64), offset(1e-15));
    }

    @Test
    void itsTermsAreReportedAndItKeepsNoState() {
        int crops = 3, b = 4, d = 5;
        SimDinoLoss loss = new SimDinoLoss(crops, 0.5, 0.1);
        Tensor teacher = unitRows(2 * b, d);
        double value = loss.forward(Variable.constant(unitRows(crops * b, d)), teacher, 0).item();
        assertThat(loss.terms()).containsKeys("distance", "coding_rate", "gamma");
        assertThat(value).isCloseTo(loss.terms().get("distance") - 0.1 * loss.terms().get("coding_rate"), offset(1e-5));
        assertThat(loss.state()).isEmpty();
        assertThat(loss.health(teacher, 0, value)).isNull();
        // the student identical to the teacher on the global views, and no local crops: no distance left
        SimDinoLoss two = new SimDinoLoss(2, 0.5, 0);
        Tensor views = unitRows(b, d);
        Tensor both = Tensor.cat(0, views, views);
        assertThat((double) two.forward(Variable.constant(both), both, 0).item()).isCloseTo(0, offset(1e-6));
    }

    @Test
    void badShapesAndSettingsAreRefusedByName() {
        SimDinoLoss loss = new SimDinoLoss(3, 0.5, Double.NaN);
        assertThatThrownBy(() -> loss.forward(Variable.constant(Tensor.zeros(7, 4)), Tensor.zeros(4, 4), 0)).hasMessageContaining("[3 * B, D]");
        assertThatThrownBy(() -> loss.forward(Variable.constant(Tensor.zeros(6, 4)), Tensor.zeros(4, 5), 0)).hasMessageContaining("[2 * 2, 4]");
        assertThatThrownBy(() -> new SimDinoLoss(1, 0.5, 0)).hasMessageContaining("2 global crops");
        assertThatThrownBy(() -> new SimDinoLoss(2, -1, 0)).hasMessageContaining("eps");
        assertThatThrownBy(() -> new SimDinoLoss(2, 0.5, -0.1)).hasMessageContaining("gamma");
    }
}
