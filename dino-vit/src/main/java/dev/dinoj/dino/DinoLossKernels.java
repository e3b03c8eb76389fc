package dev.dinoj.dino;

import dev.dinoj.tensor.Device;
import dev.dinoj.tensor.Tensor;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The DINO cross-entropy (its value and its gradient with respect to the student logits) and the
 * centre update, as one op family that every device has ({@link #of}): {@link ReferenceDinoLossKernels},
 * composed of tensor ops, is the CPU's, the fallback and the oracle; a device with kernels of its own
 * (CUDA's dino_loss.cu, {@code dev.dinoj.dino.cuda}) registers a {@link Provider} through ServiceLoader.
 * Each implementation checks its own preconditions (contiguity) and falls back to the reference itself.
 */
public interface DinoLossKernels {
    /**
     * Student logits [crops * B, K] (crop-major, the 2 global crops first), teacher logits [2 * B, K],
     * the centre [1, K], the number of crops and the two temperatures; all on one device.
     */
    record Args(Tensor student, Tensor teacher, Tensor center, int crops, float studentTemp, float teacherTemp) {}

    /** The loss (one element) and its gradient with respect to the student logits. */
    record Result(Tensor loss, Tensor gradStudent) {}

    /**
     * The mean over pairs (teacher view a, student view v != a) of the batch-mean cross-entropy between
     * the centred targets softmax((teacher - centre) / teacherTemp) and log_softmax(student / studentTemp).
     */
    Result centred(Args args);

    /** The same loss against given target distributions [2 * B, K] (Sinkhorn-Knopp's). */
    Result withTargets(Tensor student, Tensor targets, int crops, float studentTemp);

    /** centre = momentum * centre + (1 - momentum) * (mean of the teacher's rows), in place. */
    void updateCenter(Tensor teacher, Tensor center, float momentum);

    /** Kernels of one kind of device, found through ServiceLoader. */
    interface Provider {
        Device.Kind kind();

        DinoLossKernels open(Device device);
    }

    /** The kernels of {@code device}: its provider's, or the reference. */
    static DinoLossKernels of(Device device) {
        return Registry.OPEN.computeIfAbsent(device, d -> {
            for (Provider p : ServiceLoader.load(Provider.class)) {
                if (p.kind() == d.kind()) return p.open(d);
            }
            return ReferenceDinoLossKernels.INSTANCE;
        });
    }

    /** The kernels opened so far, by device. */
    final class Registry {
        private static final Map<Device, DinoLossKernels> OPEN = new ConcurrentHashMap<>();

        private Registry() {}
    }
}
