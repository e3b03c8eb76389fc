package dev.dinoj.cuda;

/** A CUDA driver or cuBLAS call failed; the message names the call and the error. */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The CUresult or cublasStatus_t value. */
    public int code() {
        return code;
    }
}
