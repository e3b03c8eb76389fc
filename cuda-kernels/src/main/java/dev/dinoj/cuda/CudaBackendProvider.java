package dev.dinoj.cuda;

import dev.dinoj.tensor.Backend;
import dev.dinoj.tensor.BackendProvider;
import dev.dinoj.tensor.Device;

/** Registers the CUDA backend with tensor-core (META-INF/services); opening fails with the reason. */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public Device.Kind kind() {
        return Device.Kind.CUDA;
    }

    @Override
    public Backend open(Device device) {
        return new CudaBackend(device, CudaContext.open(device, device.index()));
    }
}
