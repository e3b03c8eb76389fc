package dev.dinoj.tensor;

import dev.dinoj.tensor.cpu.CpuBackend;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** Finds and caches the backend of each device; non-CPU backends come from {@link BackendProvider}s. */
final class BackendRegistry {
    private static final Map<Device, Backend> OPEN = new ConcurrentHashMap<>();

    private BackendRegistry() {}

    /** Devices that could not be opened, with why: asked again, they fail at once with the same message. */
    private static final Map<Device, DeviceUnavailableException> FAILED = new ConcurrentHashMap<>();

    static Backend backend(Device device) {
        if (device.isCpu()) return CpuBackend.instance();
        Backend b = OPEN.get(device);
        if (b != null) return b;
        synchronized (OPEN) {
            b = OPEN.get(device);
            if (b == null) {
                DeviceUnavailableException failed = FAILED.get(device);
                if (failed != null) throw new DeviceUnavailableException(failed.getMessage(), failed);
                try {
                    b = provider(device.kind()).open(device);
                } catch (DeviceUnavailableException e) {
                    FAILED.put(device, e);
                    throw e;
                }
                OPEN.put(device, b);
            }
            return b;
        }
    }

    static boolean cudaAvailable() {
        try {
            backend(Device.unchecked(Device.Kind.CUDA, 0));
            return true;
        } catch (DeviceUnavailableException e) {
            return false;
        }
    }

    private static BackendProvider provider(Device.Kind kind) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.kind() == kind) return p;
        }
        throw new DeviceUnavailableException("no " + kind + " backend on the class path: add the dinoj cuda-kernels"
                + " artifact (dev.dinoj:cuda-kernels) to use " + kind.name().toLowerCase(java.util.Locale.ROOT));
    }
}
