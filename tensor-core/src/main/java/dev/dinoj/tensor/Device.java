package dev.dinoj.tensor;

import java.util.Objects;

/**
 * Where a tensor's memory lives. {@link #CPU} always works. {@link #cuda(int)} works only where a GPU,
 * its driver, the CUDA libraries and the project's kernels are present; otherwise it throws one
 * {@link DeviceUnavailableException} that says what is missing.
 */
public final class Device {
    public enum Kind { CPU, CUDA }

    public static final Device CPU = new Device(Kind.CPU, 0);

    private final Kind kind;
    private final int index;

    private Device(Kind kind, int index) {
        this.kind = kind;
        this.index = index;
    }

    /** The CUDA device {@code index}, after checking that it can be used. */
    public static Device cuda(int index) {
        if (index < 0) throw new IllegalArgumentException("cuda device index must be >= 0, got " + index);
        Device d = unchecked(Kind.CUDA, index);
        BackendRegistry.backend(d); // throws DeviceUnavailableException with the reason
        return d;
    }

    static Device unchecked(Kind kind, int index) {
        return kind == Kind.CPU ? CPU : new Device(kind, index);
    }

    public static Device cuda() {
        return cuda(0);
    }

    /**
     * The first GPU that opens and passes its start-up self-check ({@link DeviceSelfCheck}: a small
     * matmul, softmax and attention against the CPU), or the CPU. A GPU that opens but fails the
     * check is reported in one line on stderr (once) and not used.
     */
    public static Device best() {
        if (!BackendRegistry.cudaAvailable()) return CPU;
        Device gpu = cuda(0);
        String problem = DeviceSelfCheck.run(gpu);
        if (problem == null) return gpu;
        if (WARNED.add(gpu)) {
            System.err.println("dinoj: " + gpu + " (" + gpu.backend() + ") failed its start-up self-check against the CPU (" + problem
                    + "), so the CPU is used; --device " + gpu + " forces the GPU");
        }
        return CPU;
    }

    private static final java.util.Set<Device> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Parses "cpu", "cuda", "cuda:N" or "auto" (= {@link #best()}). */
    public static Device parse(String name) {
        String s = name.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) return CPU;
        if (s.equals("auto")) return best();
        if (s.equals("cuda") || s.equals("gpu")) return cuda(0);
        if (s.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad device '" + name + "': expected cpu, cuda, cuda:N or auto");
            }
        }
        throw new IllegalArgumentException("bad device '" + name + "': expected cpu, cuda, cuda:N or auto");
    }

    public Kind kind() {
        return kind;
    }

    public int index() {
        return index;
    }

    public boolean isCpu() {
        return kind == Kind.CPU;
    }

    public Backend backend() {
        return BackendRegistry.backend(this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device && ((Device) o).kind == kind && ((Device) o).index == index;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, index);
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + index;
    }
}
