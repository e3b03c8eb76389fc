package dev.dinoj.dino;

import java.util.Locale;

/**
 * What tells whether DINO is learning or collapsing, from one batch of teacher targets (the centred,
 * sharpened softmax of the global crops' teacher logits), as the DINO paper's section 5.3 reads it:
 * <ul>
 * <li>{@code teacherEntropy}: the mean entropy of a teacher row. Near ln(out_dim) the teacher is
 * uniform (centering has won: uniform collapse); near 0 every row is one-hot.</li>
 * <li>{@code marginalEntropy}: the entropy of the batch-mean teacher distribution. Near 0 every image
 * gets the same dimension (sharpening has won: one dimension dominates); high values with a low
 * {@code teacherEntropy} are the healthy state (confident and diverse).</li>
 * <li>{@link #information()}: their difference, the mutual information between an image and its
 * teacher assignment (in nats; at most ln(out_dim)). It is what the student learns from: it grows in a run
 * that learns and stays near 0 in one that collapses either way.</li>
 * <li>{@code klStudentTeacher}: the loss minus the teacher entropy, i.e. the mean KL divergence of the
 * student from its targets. Zero is collapse (the student has nothing to learn).</li>
 * <li>{@code centerNorm}: the L2 norm of the centre.</li>
 * </ul>
 */
public record TeacherHealth(int outDim, double teacherEntropy, double marginalEntropy, double klStudentTeacher, double centerNorm,
                            boolean sinkhorn) {
    /** Fraction of ln(out_dim) above which the teacher counts as uniform. */
    static final double UNIFORM = 0.95;
    /** Fraction of ln(out_dim) below which the batch-mean distribution counts as dominated by a few dimensions. */
    static final double DOMINATED = 0.25;

    /** marginalEntropy - teacherEntropy: how much the teacher's targets say about which image they came from. */
    public double information() {
        return marginalEntropy - teacherEntropy;
    }

    public double maxEntropy() {
        return Math.log(outDim);
    }

    /**
     * From teacher target rows (probabilities, row-major [rows, outDim]), the loss of the same step and the
     * centre.
     */
    public static TeacherHealth of(float[] targets, int outDim, double loss, float[] center) {
        if (outDim <= 0 || targets.length == 0 || targets.length % outDim != 0) {
            throw new IllegalArgumentException("teacher health: " + targets.length + " values are not rows of " + outDim);
        }
        int rows = targets.length / outDim;
        double rowEntropy = 0;
        double[] marginal = new double[outDim];
        for (int r = 0; r < rows; r++) {
            double h = 0;
            for (int j = 0; j < outDim; j++) {
                double p = targets[r * outDim + j];
                marginal[j] += p / rows;
                if (p > 0) h -= p * Math.log(p);
            }
            rowEntropy += h / rows;
        }
        double c2 = 0;
        for (float c : center) c2 += (double) c * c;
        float[] m = new float[outDim];
        for (int j = 0; j < outDim; j++) m[j] = (float) marginal[j];
        return of(rowEntropy, m, loss, Math.sqrt(c2), false);
    }

    /** From the mean row entropy and the batch-mean distribution (computed where the targets are). */
    public static TeacherHealth of(double rowEntropy, float[] marginal, double loss, double centerNorm, boolean sinkhorn) {
        double hm = 0;
        for (float p : marginal) if (p > 0) hm -= p * Math.log(p);
        return new TeacherHealth(marginal.length, rowEntropy, hm, loss - rowEntropy, centerNorm, sinkhorn);
    }

    /** The mean of several batches' figures (an epoch's). */
    public static TeacherHealth mean(java.util.List<TeacherHealth> batches) {
        if (batches.isEmpty()) throw new IllegalArgumentException("teacher health: no batches");
        double h = 0, m = 0, kl = 0, c = 0;
        for (TeacherHealth t : batches) {
            h += t.teacherEntropy;
            m += t.marginalEntropy;
            kl += t.klStudentTeacher;
            c += t.centerNorm;
        }
        int n = batches.size();
        return new TeacherHealth(batches.get(0).outDim, h / n, m / n, kl / n, c / n, batches.get(0).sinkhorn);
    }

    /** A one-line warning when these figures look like collapse, naming the options that usually help; null when healthy. */
    public String collapseWarning() {
        double max = maxEntropy();
        if (teacherEntropy > UNIFORM * max) {
            return String.format(Locale.ROOT, "warning: the teacher is collapsing to uniform (entropy %.3f of ln %d = %.3f): "
                    + "%s; try a lower --teacher-temp / --warmup-teacher-temp, %sa lower --lr, or a higher --momentum-teacher",
                    teacherEntropy, outDim, max, sinkhorn ? "its logits barely differ between images" : "centering outweighs sharpening",
                    sinkhorn ? "" : "--use-bn-in-head true (when the teacher's outputs barely depend on the image), ");
        }
        if (!sinkhorn && marginalEntropy < DOMINATED * max) { // Sinkhorn-Knopp balances the prototypes by construction
            return String.format(Locale.ROOT, "warning: a few output dimensions dominate the teacher (batch-mean entropy %.3f of ln %d = %.3f): "
                    + "sharpening outweighs centering; try a higher --teacher-temp, a lower --center-momentum (faster centering) "
                    + "or a lower --lr", marginalEntropy, outDim, max);
        }
        return null;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "teacher entropy %.3f / ln K %.3f, batch-mean entropy %.3f (information %.3f), KL(teacher||student) %.3f, centre norm %.3f",
                teacherEntropy, maxEntropy(), marginalEntropy, information(), klStudentTeacher, centerNorm);
    }
}
