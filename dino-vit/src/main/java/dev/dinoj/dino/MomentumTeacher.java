package dev.dinoj.dino;

import dev.dinoj.autograd.Variable;
import dev.dinoj.nn.Module;
import dev.dinoj.tensor.MultiTensorOps;
import dev.dinoj.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The teacher: a copy of the student whose weights follow an exponential moving average of the
 * student's, teacher = m * teacher + (1 - m) * student, and which never receives gradients.
 */
public final class MomentumTeacher {
    private final Module teacher;
    private final List<Variable> teacherParams = new ArrayList<>(), studentParams = new ArrayList<>();

    /**
     * Pairs parameters by name; copies the student's weights into the teacher and freezes it. The student may have parameters
     * of its own beyond the teacher's (BYOL's and MoCo v3's predictor); every teacher parameter must be the student's.
     */
    public MomentumTeacher(Module student, Module teacher) {
        this.teacher = teacher;
        Map<String, Variable> s = student.namedParameters(), t = teacher.namedParameters();
        if (!s.keySet().containsAll(t.keySet())) {
            throw new IllegalArgumentException("teacher and student have different parameters: " + s.keySet() + " vs " + t.keySet());
        }
        Map<String, Tensor> shared = new java.util.LinkedHashMap<>(student.stateDict());
        shared.keySet().retainAll(teacher.stateDict().keySet());
        teacher.loadStateDict(shared, true);
        for (Map.Entry<String, Variable> e : t.entrySet()) {
            e.getValue().requiresGrad(false);
            teacherParams.add(e.getValue());
            studentParams.add(s.get(e.getKey()));
        }
    }

    public Module teacher() {
        return teacher;
    }

    /** One EMA step with momentum m over every parameter. */
    public void update(double m) {
        if (!(m >= 0 && m <= 1)) throw new IllegalArgumentException("teacher momentum must be in [0, 1], got " + m);
        List<Tensor> t = new ArrayList<>(teacherParams.size()), s = new ArrayList<>(studentParams.size());
        for (int i = 0; i < teacherParams.size(); i++) {
            t.add(teacherParams.get(i).data());
            s.add(studentParams.get(i).data());
        }
        List<Tensor> both = new ArrayList<>(t);
        both.addAll(s);
        MultiTensorOps.of(both).ema(t, s, m); // on CUDA every parameter in one launch
    }
}
