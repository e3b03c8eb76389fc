package dev.dinoj.tensor;

/**
 * Service-provider interface through which device backends other than the CPU are found at run time
 * (META-INF/services), so that nothing above tensor-core names a device-specific class.
 */
public interface BackendProvider {
    Device.Kind kind();

    /**
     * Opens the backend of {@code device} (of this provider's kind; its index names the GPU).
     *
     * @throws DeviceUnavailableException naming what is missing (driver, library, GPU, kernels)
     */
    Backend open(Device device);
}
