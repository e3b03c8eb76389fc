package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SimDINO's objective (Wu et al. 2025, "Simplifying DINO via coding rate regularization"): the student's
 * L2-normalised features of every crop are pulled towards the teacher's of each other global crop by
 * squared Euclidean distance, 1/2 ||z_s - z_t||^2 averaged over the batch and over the 2 * crops - 2
 * (teacher view, other student view) pairs, and kept from collapsing by the coding rate
 * R_eps(Z) = 1/2 logdet(I + d / (b eps^2) Z^T Z) ({@link CodingRate}) of the global crops' features,
 * averaged over the two global crops: loss = distance - gamma * R. No centering, sharpening or temperature.
 *
 * <p>Which features the rate codes: the paper writes the student's (Z = z_s, {@link RateOf#STUDENT});
 * the authors' code, in both SimDINO and SimDINOv2 configurations, codes the mean of the student's and
 * the teacher's features of the same crop (Z = (z_s + z_t) / 2, their "expa_type 1", {@link RateOf#AVERAGE}),
 * a smoother estimate whose gradient reaches the student through its half. The default is the code's.
 *
 * <p>gamma balances the two terms' gradients; the authors' code uses (d + b) / (d b) (d the feature
 * width, b the batch), the default here. Their code's eps (0.5) enters where the paper has eps^2, so
 * the paper's eps of the same run is sqrt(0.5), this class's default.
 */
public final class SimDinoLoss implements TeacherStudentLoss {
    /** The paper's eps of the authors' default run: their code divides by eps = 0.5 where the paper has eps^2. */
    public static final double DEFAULT_EPS = Math.sqrt(0.5);

    /** The features whose coding rate is maximised (see the class comment). */
    public enum RateOf {
        STUDENT, AVERAGE;

        public static RateOf parse(String s) {
            switch (s == null ? "" : s.toLowerCase(java.util.Locale.ROOT)) {
                case "student": return STUDENT;
                case "average": return AVERAGE;
                default: throw new IllegalArgumentException("--coding-rate-of must be student or average, got '" + s + "'");
            }
        }
    }

    private final int crops;
    private final float eps;
    private final double gamma;
    private final RateOf rateOf;
    private final Map<String, Double> terms = new LinkedHashMap<>();

    /** The authors' code's loss: the coding rate of the mean of the student's and the teacher's features. */
    public SimDinoLoss(int crops, double eps, double gamma) {
        this(crops, eps, gamma, RateOf.AVERAGE);
    }

    /** @param gamma the coding rate's weight; NaN for the authors' (d + b) / (d b) */
    public SimDinoLoss(int crops, double eps, double gamma, RateOf rateOf) {
        if (crops < 2) throw new IllegalArgumentException("SimDINO loss: needs at least the 2 global crops, got " + crops);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("SimDINO loss: eps must be positive and finite, got " + eps);
        if (!Double.isNaN(gamma) && !(gamma >= 0 && gamma < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("SimDINO loss: gamma must be >= 0 and finite, got " + gamma);
        }
        this.crops = crops;
        this.eps = (float) eps;
        this.gamma = gamma;
        this.rateOf = java.util.Objects.requireNonNull(rateOf, "rateOf");
    }

    /** The coding rate's weight for features of width d in batches of b. */
    public double gamma(int d, int b) {
        return Double.isNaN(gamma) ? (double) (d + b) / ((double) d * b) : gamma;
    }

    @Override
    public Variable forward(Variable student, Tensor teacher, int epoch) {
        int rows = student.size(0), d = student.rank() == 2 ? student.size(1) : -1;
        if (student.rank() != 2 || rows % crops != 0 || rows == 0) {
            throw new IllegalArgumentException("SimDINO loss: student output must be [" + crops + " * B, D], got " + student.shape());
        }
        int b = rows / crops;
        if (teacher.rank() != 2 || teacher.size(0) != 2 * b || teacher.size(1) != d) {
            throw new IllegalArgumentException("SimDINO loss: teacher output must be [2 * " + b + ", " + d + "], got " + teacher.shape());
        }
        Variable views = student.view(crops, b, d);
        Variable distance = null;
        for (int t = 0; t < 2; t++) {
            // 1/2 ||z_s - z_t||^2 of every student view against teacher view t: [crops, B], then its batch mean [crops]
            Variable target = Variable.constant(teacher.narrow(0, t * b, b).unsqueeze(0));
            Variable perView = views.sub(target).square().sum(2, false).mean(1, false).mul(0.5f);
            // every student view but the teacher's own
            float[] others = new float[crops];
            java.util.Arrays.fill(others, 1f);
            others[t] = 0f;
            Variable pairs = perView.mul(Variable.constant(Tensor.fromArray(others, crops).to(teacher.device()))).sum();
            distance = distance == null ? pairs : distance.add(pairs);
        }
        distance = distance.div(2f * crops - 2f);
        Variable rate = CodingRate.of(coded(views, teacher, 0, b), eps).add(CodingRate.of(coded(views, teacher, 1, b), eps)).mul(0.5f);
        double g = gamma(d, b);
        terms.clear();
        terms.put("distance", (double) distance.item());
        terms.put("coding_rate", (double) rate.item());
        terms.put("gamma", g);
        return distance.sub(rate.mul((float) g));
    }

    /** The features of global crop t whose rate is coded: the student's, or its mean with the teacher's. */
    private Variable coded(Variable views, Tensor teacher, int t, int b) {
        Variable student = views.select(0, t);
        if (rateOf == RateOf.STUDENT) return student;
        return student.add(Variable.constant(teacher.narrow(0, t * b, b))).mul(0.5f);
    }

    @Override
    public Map<String, Double> terms() {
        return java.util.Collections.unmodifiableMap(terms);
    }

    @Override
    public TeacherHealth health(Tensor teacher, int epoch, double lossValue) {
        return null;
    }

    @Override
    public void afterStep(Tensor teacher) {}

    @Override
    public Map<String, Tensor> state() {
        return Map.of();
    }

    @Override
    public void loadState(Map<String, Tensor> state) {}

    @Override
    public void release() {}
}
