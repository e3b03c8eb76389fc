package dev.dinoj.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DIAG_NON_UNIT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_FILL_MODE_UPPER;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_SIDE_RIGHT;
import static org.bytedeco.cuda.global.cublas.cublasStrsm_v2;
import static org.bytedeco.cuda.global.cusolver.cusolverDnSpotrf;
import static org.bytedeco.cuda.global.cusolver.cusolverDnSpotrf_bufferSize;

import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Cholesky factorisation (cuSOLVER potrf) and triangular solves (cuBLAS trsm) of row-major matrices.
 * A row-major matrix is the column-major transpose of itself, so the row-major lower factor L of
 * A = L L^T is cuSOLVER's column-major upper factor U of A = U^T U (fill mode UPPER reads the same
 * triangle: row-major lower), and L X = B in row-major is X^T L^T = B^T: a right-side solve with that
 * upper matrix. Matrices of a batch go one call each (n is at most a few hundred here: the calls queue
 * on the stream without waiting); the failure codes of all come back in one read at the end.
 */
final class CudaLinearAlgebra {
    private final CudaContext ctx;
    private final CudaBackend backend;
    private final FloatPointer one = new FloatPointer(1f);

    CudaLinearAlgebra(CudaContext ctx, CudaBackend backend) {
        this.ctx = ctx;
        this.backend = backend;
    }

    /** See {@link dev.dinoj.tensor.Backend#cholesky}: a and out contiguous, [..., n, n]. */
    int[] cholesky(Tensor a, Tensor out) {
        int n = a.size(-1), batch = (int) (a.numel() / ((long) n * n));
        backend.copy(a, out);
        Tensor info = Tensor.empty(Shape.of(batch), DType.INT32, a.device());
        Tensor work = null;
        try {
            synchronized (ctx) {
                ctx.makeCurrent();
                org.bytedeco.cuda.cusolver.cusolverDnContext solver = ctx.solver();
                int[] lwork = new int[1];
                try (IntPointer size = new IntPointer(1)) {
                    Driver.checkSolver(cusolverDnSpotrf_bufferSize(solver, CUBLAS_FILL_MODE_UPPER, n, CudaBackend.device(CudaBackend.addr(out)), n,
                            size), "cusolverDnSpotrf_bufferSize(" + n + ")");
                    lwork[0] = size.get(0);
                }
                work = Tensor.empty(Shape.of(Math.max(1, lwork[0])), DType.FLOAT32, a.device());
                for (int b = 0; b < batch; b++) {
                    String call = "cusolverDnSpotrf(" + n + "x" + n + ", matrix " + b + ")";
                    Driver.checkSolver(cusolverDnSpotrf(solver, CUBLAS_FILL_MODE_UPPER, n,
                            CudaBackend.device(CudaBackend.addr(out) + 4L * b * n * n), n, CudaBackend.device(CudaBackend.addr(work)), lwork[0],
                            new DeviceIntPointer(CudaBackend.addr(info) + 4L * b)), call);
                    ctx.checkNow(call);
                }
            }
            int[] failed = info.toIntArray();
            for (int b = 0; b < batch; b++) {
                if (failed[b] != 0) return new int[] {b, failed[b]};
            }
            // potrf leaves the other triangle (row-major: above the diagonal) as it was: zero it
            try (Tensor mask = lowerMask(n, a)) {
                backend.binary(BinaryOp.MUL, out, mask.expand(out.dims()), out);
            }
            return null;
        } finally {
            info.close();
            if (work != null) work.close();
        }
    }

    /** See {@link dev.dinoj.tensor.Backend#triangularSolve}: l [..., n, n], b and out [..., n, m], all contiguous. */
    void triangularSolve(Tensor l, Tensor b, boolean transpose, Tensor out) {
        int n = l.size(-1), m = b.size(-1), batch = (int) (l.numel() / ((long) n * n));
        if (CudaBackend.addr(b) != CudaBackend.addr(out)) backend.copy(b, out);
        synchronized (ctx) {
            ctx.makeCurrent();
            for (int t = 0; t < batch; t++) {
                String call = "cublasStrsm(" + n + "x" + n + ", " + m + " columns, matrix " + t + ")";
                // column-major: X^T (m x n, leading dimension m) times U = L^T (or U^T = L) equals B^T
                Driver.checkBlas(cublasStrsm_v2(ctx.blas(), CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER, transpose ? CUBLAS_OP_T : CUBLAS_OP_N,
                        CUBLAS_DIAG_NON_UNIT, m, n, one, CudaBackend.device(CudaBackend.addr(l) + 4L * t * n * n), n,
                        CudaBackend.device(CudaBackend.addr(out) + 4L * t * n * m), m), call);
                ctx.checkNow(call);
            }
        }
    }

    private static Tensor lowerMask(int n, Tensor like) {
        float[] v = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) v[i * n + j] = 1f;
        return Tensor.fromArray(v, Shape.of(n, n), like.device());
    }

    /** A device address as the IntPointer cuSOLVER's binding takes (never dereferenced on the host). */
    private static final class DeviceIntPointer extends IntPointer {
        DeviceIntPointer(long deviceAddress) {
            this.address = deviceAddress;
        }
    }
}
