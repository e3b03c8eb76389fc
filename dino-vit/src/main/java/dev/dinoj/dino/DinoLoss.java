package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Schedule;
import dev.dinoj.tensor.Tensor;

/**
 * The DINO objective. Teacher outputs of the 2 global crops are centred (minus an EMA of their batch
 * mean) and sharpened (softmax at a low, warmed-up temperature); each teacher view supervises every
 * student view but its own through the cross-entropy -sum q log softmax(s / student_temp), averaged
 * over the batch and over the (2 * crops - 2) pairs.
 *
 * <p>The loss, its gradient and the centre update are the device's {@link DinoLossKernels} (CUDA's
 * dino_loss.cu, or {@link ReferenceDinoLossKernels}: one log-softmax of all student logits against
 * one target matrix, the same value and gradient as the reference's double loop).
 */
public final class DinoLoss implements TeacherStudentLoss {
    /**
     * How the teacher's targets are kept from collapsing: DINO's EMA centre (subtract a running mean
     * of the logits, then a sharp softmax), or DINOv2's Sinkhorn-Knopp normalisation (three rounds of
     * making every prototype equally used across the batch and every row a distribution), which keeps
     * any prototype from dominating without a running centre (it does not sharpen: logits that barely
     * differ between images still give nearly uniform targets).
     */
    public enum Centering {
        EMA, SINKHORN_KNOPP;

        public static Centering parse(String s) {
            switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "ema": case "centering": return EMA;
                case "sinkhorn": case "sinkhorn-knopp": case "sk": return SINKHORN_KNOPP;
                default: throw new IllegalArgumentException("--centering must be 'ema' (DINO) or 'sinkhorn' (DINOv2), got '" + s + "'");
            }
        }
    }

    static final int SINKHORN_ITERATIONS = 3;

    private final Centering centering;
    private final int outDim, crops;
    private final float studentTemp, centerMomentum;
    private final Schedule teacherTemp;
    private final RunningCenter center;

    /**
     * @param teacherTemp per-epoch teacher temperature (linear warm-up, then constant)
     */
    public DinoLoss(int outDim, int crops, float studentTemp, Schedule teacherTemp, float centerMomentum) {
        this(outDim, crops, studentTemp, teacherTemp, centerMomentum, Centering.EMA);
    }

    public DinoLoss(int outDim, int crops, float studentTemp, Schedule teacherTemp, float centerMomentum, Centering centering) {
        this.centering = centering;
        if (crops < 2) throw new IllegalArgumentException("DINO loss: needs at least the 2 global crops, got " + crops);
        if (!(studentTemp > 0)) throw new IllegalArgumentException("DINO loss: student temperature must be positive, got " + studentTemp);
        if (!(centerMomentum >= 0 && centerMomentum < 1)) {
            throw new IllegalArgumentException("DINO loss: center momentum must be in [0, 1), got " + centerMomentum);
        }
        this.outDim = outDim;
        this.crops = crops;
        this.studentTemp = studentTemp;
        this.teacherTemp = teacherTemp;
        this.centerMomentum = centerMomentum;
        this.center = new RunningCenter("DINO loss", outDim);
    }

    public Tensor center() {
        return center.value();
    }

    public void setCenter(Tensor c) {
        center.set(c);
    }

    @Override
    public java.util.Map<String, Double> terms() {
        return java.util.Map.of();
    }

    /** The centre update. */
    @Override
    public void afterStep(Tensor teacher) {
        updateCenter(teacher);
    }

    /** {"center": the centre [1, out_dim]}. */
    @Override
    public java.util.Map<String, Tensor> state() {
        return java.util.Map.of("center", center.value());
    }

    @Override
    public void loadState(java.util.Map<String, Tensor> state) {
        Tensor c = state.get("center");
        if (c == null) throw new IllegalArgumentException("the DINO loss's state has no center");
        setCenter(c);
    }

    /** Closes the centre; the loss cannot be used afterwards. */
    @Override
    public void release() {
        center.close();
    }

    public float teacherTemperature(int epoch) {
        return (float) teacherTemp.at(epoch);
    }

    /**
     * @param student [crops * B, out_dim] student logits (crop-major)
     * @param teacher [2 * B, out_dim] teacher logits of the global crops (no gradient)
     */
    @Override
    public Variable forward(Variable student, Tensor teacher, int epoch) {
        int rows = student.size(0);
        if (student.rank() != 2 || student.size(1) != outDim || rows % crops != 0) {
            throw new IllegalArgumentException("DINO loss: student output must be [" + crops + " * B, " + outDim + "], got " + student.shape());
        }
        int b = rows / crops;
        if (teacher.rank() != 2 || teacher.size(0) != 2 * b || teacher.size(1) != outDim) {
            throw new IllegalArgumentException("DINO loss: teacher output must be [2 * " + b + ", " + outDim + "], got " + teacher.shape());
        }
        DinoLossKernels kernels = DinoLossKernels.of(teacher.device());
        float teacherTemp = teacherTemperature(epoch);
        DinoLossKernels.Result r = centering == Centering.EMA
                ? kernels.centred(new DinoLossKernels.Args(student.data(), teacher, center.on(teacher), crops, studentTemp, teacherTemp))
                : kernels.withTargets(student.data(), sinkhornKnopp(teacher, teacherTemp, SINKHORN_ITERATIONS), crops, studentTemp);
        return Variable.withGradient("dinoLoss", r.loss().reshape(), r.gradStudent(), student);
    }

    /**
     * The health figures of one step: from the teacher targets this loss used (call it before {@link
     * #updateCenter}) and the loss value of the same step.
     */
    @Override
    public TeacherHealth health(Tensor teacher, int epoch, double lossValue) {
        Tensor q = targets(teacher, epoch);
        // reduced where the targets are: K + 2 numbers come back, not the [2B, K] targets
        double rowEntropy = -q.mul(q.clampMin(Float.MIN_NORMAL).log()).sum().item() / q.size(0);
        float[] marginal = q.mean(0, false).to(dev.dinoj.tensor.Device.CPU).toFloatArray();
        return TeacherHealth.of(rowEntropy, marginal, lossValue, center.on(teacher).norm().item(), centering == Centering.SINKHORN_KNOPP);
    }

    /** The teacher's target distributions [2B, out_dim]: centred and sharpened, or Sinkhorn-Knopp normalised. */
    Tensor targets(Tensor teacher, int epoch) {
        float temp = teacherTemperature(epoch);
        if (centering == Centering.EMA) return teacher.sub(center.on(teacher)).softmax(temp);
        return sinkhornKnopp(teacher, temp, SINKHORN_ITERATIONS);
    }

    /**
     * exp(logits / T) normalised alternately so that every column (prototype) carries 1/K of the
     * mass and every row (image) 1/B, {@code iterations} times, then rows scaled to sum to 1 (as
     * DINOv2's sinkhorn_knopp_teacher, in [B, K] orientation). Computed in the log domain (each
     * normalisation a log-softmax), which gives the same targets without the underflow of exp at low
     * temperatures: a row far below the batch's maximum would otherwise become 0/0.
     */
    public static Tensor sinkhornKnopp(Tensor logits, float temperature, int iterations) {
        int b = logits.size(0), k = logits.size(1);
        float logK = (float) Math.log(k), logB = (float) Math.log(b);
        Tensor logQ = logits.mul(1f / temperature);
        for (int i = 0; i < iterations; i++) {
            logQ = logQ.t().contiguous().logSoftmax(1f).t().sub(logK); // columns: 1/K each
            logQ = logQ.contiguous().logSoftmax(1f).sub(logB);         // rows: 1/B each
        }
        return logQ.exp().mul(b);
    }

    /** center = m * center + (1 - m) * mean of the teacher logits over the batch (kept under Sinkhorn-Knopp too, as a diagnostic). */
    public void updateCenter(Tensor teacher) {
        DinoLossKernels.of(teacher.device()).updateCenter(teacher, center.on(teacher), centerMomentum);
    }
}
