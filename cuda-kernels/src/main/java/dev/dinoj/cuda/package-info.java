/**
 * The CUDA backend (device memory, cuBLAS GEMM, the custom kernels of native/). Not implemented yet:
 * until it is, asking for a CUDA device fails with a DeviceUnavailableException that says so.
 */
package dev.dinoj.cuda;
