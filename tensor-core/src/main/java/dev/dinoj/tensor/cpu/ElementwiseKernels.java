package dev.dinoj.tensor.cpu;

import dev.dinoj.tensor.BinaryOp;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.UnaryOp;

/**
 * Elementwise loops over strided operands. The op is dispatched once per row (not per element) so that
 * each inner loop is a plain loop the JIT can unroll, and vectorize when all operands are unit-stride
 * at one shared index (the common case of fresh contiguous tensors).
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static float[] f(Tensor t) {
        return ((CpuStorage) t.storage()).floats();
    }

    static int[] i(Tensor t) {
        return ((CpuStorage) t.storage()).ints();
    }

    private static long cost(UnaryOp op) {
        switch (op) {
            case EXP: case LOG: case TANH: case ERF: case GELU: case GELU_GRAD: case SIGMOID: case POW:
                return 20;
            default:
                return 1;
        }
    }

    static void unary(UnaryOp op, Tensor x, float a, float b, Tensor out) {
        StridedLoop loop = StridedLoop.of(out, x);
        float[] o = f(out), xv = f(x);
        int os = loop.innerStride(0), xs = loop.innerStride(1);
        loop.run(cost(op), (offs, len) -> unaryRow(op, a, b, xv, offs[1], xs, o, offs[0], os, len));
    }

    private static void unaryRow(UnaryOp op, float a, float b, float[] x, int xo, int xs, float[] o, int oo, int os, int n) {
        if (xs == 1 && os == 1) {
            ArrayMath m = ArrayMath.get();
            switch (op) {
                case EXP: m.exp(x, xo, o, oo, n); return;
                case GELU: m.gelu(x, xo, o, oo, n); return;
                case GELU_GRAD: m.geluGrad(x, xo, o, oo, n); return;
                case SIGMOID: m.sigmoid(x, xo, o, oo, n); return;
                case TANH: m.tanh(x, xo, o, oo, n); return;
                default: break;
            }
        }
        switch (op) {
            case NEG: for (int i = 0; i < n; i++) o[oo + i * os] = -x[xo + i * xs]; break;
            case ABS: for (int i = 0; i < n; i++) o[oo + i * os] = Math.abs(x[xo + i * xs]); break;
            case SIGN: for (int i = 0; i < n; i++) o[oo + i * os] = Math.signum(x[xo + i * xs]); break;
            case EXP: for (int i = 0; i < n; i++) o[oo + i * os] = (float) Math.exp(x[xo + i * xs]); break;
            case LOG: for (int i = 0; i < n; i++) o[oo + i * os] = (float) Math.log(x[xo + i * xs]); break;
            case SQRT: for (int i = 0; i < n; i++) o[oo + i * os] = (float) Math.sqrt(x[xo + i * xs]); break;
            case RSQRT: for (int i = 0; i < n; i++) o[oo + i * os] = (float) (1.0 / Math.sqrt(x[xo + i * xs])); break;
            case RECIPROCAL: for (int i = 0; i < n; i++) o[oo + i * os] = 1f / x[xo + i * xs]; break;
            case SQUARE: for (int i = 0; i < n; i++) { float v = x[xo + i * xs]; o[oo + i * os] = v * v; } break;
            case TANH: for (int i = 0; i < n; i++) o[oo + i * os] = (float) Math.tanh(x[xo + i * xs]); break;
            case ERF: for (int i = 0; i < n; i++) o[oo + i * os] = (float) FloatMath.erf(x[xo + i * xs]); break;
            case GELU: for (int i = 0; i < n; i++) o[oo + i * os] = FloatMath.gelu(x[xo + i * xs]); break;
            case GELU_GRAD: for (int i = 0; i < n; i++) o[oo + i * os] = FloatMath.geluGrad(x[xo + i * xs]); break;
            case RELU: for (int i = 0; i < n; i++) { float v = x[xo + i * xs]; o[oo + i * os] = v > 0 ? v : (v == v ? 0f : v); } break;
            case SIGMOID: for (int i = 0; i < n; i++) o[oo + i * os] = (float) (1.0 / (1.0 + Math.exp(-x[xo + i * xs]))); break;
            case AFFINE:
                if (xs == 1 && os == 1 && xo == oo) {
                    for (int i = oo; i < oo + n; i++) o[i] = x[i] * a + b;
                } else {
                    for (int i = 0; i < n; i++) o[oo + i * os] = x[xo + i * xs] * a + b;
                }
                break;
            case POW:
                if (a == 2f) {
                    for (int i = 0; i < n; i++) { float v = x[xo + i * xs]; o[oo + i * os] = v * v; }
                } else {
                    for (int i = 0; i < n; i++) o[oo + i * os] = (float) Math.pow(x[xo + i * xs], a);
                }
                break;
            case CLAMP:
                for (int i = 0; i < n; i++) {
                    float v = x[xo + i * xs];
                    o[oo + i * os] = v < a ? a : (v > b ? b : v); // NaN stays NaN
                }
                break;
            default:
                throw new IllegalArgumentException("cpu: unary op " + op + " is not implemented");
        }
    }

    static void binary(BinaryOp op, Tensor x, Tensor y, Tensor out) {
        StridedLoop loop = StridedLoop.of(out, x, y);
        float[] o = f(out), xv = f(x), yv = f(y);
        int os = loop.innerStride(0), xs = loop.innerStride(1), ys = loop.innerStride(2);
        long cost = op == BinaryOp.POW ? 20 : 1;
        loop.run(cost, (offs, len) -> binaryRow(op, xv, offs[1], xs, yv, offs[2], ys, o, offs[0], os, len));
    }

    private static void binaryRow(BinaryOp op, float[] x, int xo, int xs, float[] y, int yo, int ys, float[] o, int oo, int os, int n) {
        if (xs == 1 && ys == 1 && os == 1 && xo == oo && yo == oo) {
            sharedIndexRow(op, x, y, o, oo, oo + n);
            return;
        }
        switch (op) {
            case ADD: for (int i = 0; i < n; i++) o[oo + i * os] = x[xo + i * xs] + y[yo + i * ys]; break;
            case SUB: for (int i = 0; i < n; i++) o[oo + i * os] = x[xo + i * xs] - y[yo + i * ys]; break;
            case MUL: for (int i = 0; i < n; i++) o[oo + i * os] = x[xo + i * xs] * y[yo + i * ys]; break;
            case DIV: for (int i = 0; i < n; i++) o[oo + i * os] = x[xo + i * xs] / y[yo + i * ys]; break;
            default:
                for (int i = 0; i < n; i++) o[oo + i * os] = apply(op, x[xo + i * xs], y[yo + i * ys]);
        }
    }

    /** All operands unit-stride at the same index: loops the JIT vectorizes. */
    private static void sharedIndexRow(BinaryOp op, float[] x, float[] y, float[] o, int s, int e) {
        switch (op) {
            case ADD: for (int i = s; i < e; i++) o[i] = x[i] + y[i]; break;
            case SUB: for (int i = s; i < e; i++) o[i] = x[i] - y[i]; break;
            case MUL: for (int i = s; i < e; i++) o[i] = x[i] * y[i]; break;
            case DIV: for (int i = s; i < e; i++) o[i] = x[i] / y[i]; break;
            default: for (int i = s; i < e; i++) o[i] = apply(op, x[i], y[i]);
        }
    }

    static float apply(BinaryOp op, float a, float b) {
        switch (op) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case POW: return (float) Math.pow(a, b);
            case MINIMUM: return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.min(a, b);
            case MAXIMUM: return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.max(a, b);
            case EQ: return a == b ? 1f : 0f;
            case NE: return a != b ? 1f : 0f;
            case LT: return a < b ? 1f : 0f;
            case LE: return a <= b ? 1f : 0f;
            case GT: return a > b ? 1f : 0f;
            case GE: return a >= b ? 1f : 0f;
            default: throw new IllegalArgumentException("cpu: binary op " + op + " is not implemented");
        }
    }

    static void linearCombination(float alpha, Tensor x, float beta, Tensor y, Tensor out) {
        StridedLoop loop = StridedLoop.of(out, x, y);
        float[] o = f(out), xv = f(x), yv = f(y);
        int os = loop.innerStride(0), xs = loop.innerStride(1), ys = loop.innerStride(2);
        loop.run(1, (offs, n) -> {
            int oo = offs[0], xo = offs[1], yo = offs[2];
            if (xs == 1 && ys == 1 && os == 1 && xo == oo && yo == oo) {
                for (int i = oo; i < oo + n; i++) o[i] = alpha * xv[i] + beta * yv[i];
            } else {
                for (int i = 0; i < n; i++) o[oo + i * os] = alpha * xv[xo + i * xs] + beta * yv[yo + i * ys];
            }
        });
    }

    static void where(Tensor c, Tensor x, Tensor y, Tensor out) {
        StridedLoop loop = StridedLoop.of(out, c, x, y);
        float[] o = f(out), cv = f(c), xv = f(x), yv = f(y);
        int os = loop.innerStride(0), cs = loop.innerStride(1), xs = loop.innerStride(2), ys = loop.innerStride(3);
        loop.run(1, (offs, n) -> {
            for (int i = 0; i < n; i++) {
                o[offs[0] + i * os] = cv[offs[1] + i * cs] != 0f ? xv[offs[2] + i * xs] : yv[offs[3] + i * ys];
            }
        });
    }

    static void fill(Tensor out, double value) {
        StridedLoop loop = StridedLoop.of(out);
        int os = loop.innerStride(0);
        if (out.dtype() == DType.INT32) {
            int[] o = i(out);
            int v = (int) value;
            loop.run(1, (offs, n) -> {
                for (int k = 0; k < n; k++) o[offs[0] + k * os] = v;
            });
        } else {
            float[] o = f(out);
            float v = (float) value;
            loop.run(1, (offs, n) -> {
                if (os == 1) java.util.Arrays.fill(o, offs[0], offs[0] + n, v);
                else for (int k = 0; k < n; k++) o[offs[0] + k * os] = v;
            });
        }
    }

    /** out = src with any strides and dtypes (float to int truncates toward zero). */
    static void copy(Tensor src, Tensor out) {
        StridedLoop loop = StridedLoop.of(out, src);
        int os = loop.innerStride(0), ss = loop.innerStride(1);
        DType from = src.dtype(), to = out.dtype();
        if (from == DType.FLOAT32 && to == DType.FLOAT32) {
            float[] o = f(out), s = f(src);
            loop.run(1, (offs, n) -> {
                if (os == 1 && ss == 1) System.arraycopy(s, offs[1], o, offs[0], n);
                else for (int k = 0; k < n; k++) o[offs[0] + k * os] = s[offs[1] + k * ss];
            });
        } else if (from == DType.INT32 && to == DType.INT32) {
            int[] o = i(out), s = i(src);
            loop.run(1, (offs, n) -> {
                if (os == 1 && ss == 1) System.arraycopy(s, offs[1], o, offs[0], n);
                else for (int k = 0; k < n; k++) o[offs[0] + k * os] = s[offs[1] + k * ss];
            });
        } else if (from == DType.INT32) {
            float[] o = f(out);
            int[] s = i(src);
            loop.run(1, (offs, n) -> {
                for (int k = 0; k < n; k++) o[offs[0] + k * os] = s[offs[1] + k * ss];
            });
        } else {
            int[] o = i(out);
            float[] s = f(src);
            loop.run(1, (offs, n) -> {
                for (int k = 0; k < n; k++) o[offs[0] + k * os] = (int) s[offs[1] + k * ss];
            });
        }
    }
}
