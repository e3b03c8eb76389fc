package dev.dinoj.dino;

import dev.dinoj.tensor.Tensor;

/**
 * {@link DinoLossKernels} composed of tensor ops. Summing over the teacher views first gives one target
 * row per student row (the sum of the teacher distributions that supervise it), so the loss is one
 * log-softmax of all student logits against one target matrix, the same value and gradient as the
 * reference's double loop: loss = -sum(target * log_softmax(s / T)) / (B * pairs), and the gradient
 * is log-softmax's backward of -target / (B * pairs) (the very ops autograd would run).
 */
public final class ReferenceDinoLossKernels implements DinoLossKernels {
    public static final ReferenceDinoLossKernels INSTANCE = new ReferenceDinoLossKernels();

    private ReferenceDinoLossKernels() {}

    @Override
    public Result centred(Args a) {
        return withTargets(a.student(), a.teacher().sub(a.center()).softmax(a.teacherTemp()), a.crops(), a.studentTemp());
    }

    @Override
    public Result withTargets(Tensor student, Tensor q, int crops, float studentTemp) {
        int b = student.size(0) / crops, k = student.size(1);
        Tensor q0 = q.narrow(0, 0, b), q1 = q.narrow(0, b, b);
        Tensor target = Tensor.cat(0, q1, q0, q0.add(q1).expand(crops - 2, b, k).reshape((crops - 2) * b, k));
        int pairs = 2 * crops - 2;
        float scale = -1f / (b * pairs);
        Tensor logp = student.logSoftmax(studentTemp);
        Tensor loss = logp.mul(target).sum().mul(scale);
        return new Result(loss, logp.softmaxBackward(target.mul(scale), studentTemp, true));
    }

    @Override
    public void updateCenter(Tensor teacher, Tensor center, float momentum) {
        Tensor batchCenter = teacher.mean(0, true);
        center.copyFrom(Tensor.linearCombination(momentum, center, 1f - momentum, batchCenter)); // in place: the center outlives step scopes
    }
}
