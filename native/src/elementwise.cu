// Elementwise kernels over strided views: fill, copy (with float32 <-> int32 conversion), the unary
// and binary op sets of tensor-core (codes = the Java enums' ordinals), alpha*x + beta*y and where.
// Launch: 1-D grid-stride, 256 threads per block, any grid size; each thread maps a linear row-major
// index of the output shape to every operand through that operand's strides (broadcast = stride 0).
// Limits: at most 8 dimensions after merging; element counts up to 2^63.
#include "common.cuh"

namespace {

// The Java enums of the same names, in the same order (checked by cuda-kernels' KernelSignaturesTest).
enum class UnaryOp { NEG, ABS, SIGN, EXP, LOG, SQRT, RSQRT, RECIPROCAL, SQUARE, TANH, ERF, GELU, RELU, SIGMOID,
                     AFFINE, POW, CLAMP, GELU_GRAD };
enum class BinaryOp { ADD, SUB, MUL, DIV, POW, MINIMUM, MAXIMUM, EQ, NE, LT, LE, GT, GE };
enum class DType { FLOAT32, INT32 };

__device__ __forceinline__ float unary_op(int op, float x, float a, float b) {
    switch ((UnaryOp) op) {
        case UnaryOp::NEG: return -x;
        case UnaryOp::ABS: return fabsf(x);
        case UnaryOp::SIGN: return x > 0.f ? 1.f : (x < 0.f ? -1.f : x);  // keeps +-0 and NaN as Math.signum
        case UnaryOp::EXP: return (float) exp((double) x);
        case UnaryOp::LOG: return (float) log((double) x);
        case UnaryOp::SQRT: return (float) sqrt((double) x);
        case UnaryOp::RSQRT: return (float) (1.0 / sqrt((double) x));
        case UnaryOp::RECIPROCAL: return 1.f / x;
        case UnaryOp::SQUARE: return x * x;
        case UnaryOp::TANH: return (float) tanh((double) x);
        case UnaryOp::ERF: return (float) erf((double) x);
        case UnaryOp::GELU: return (float) (0.5 * x * erfc(-(double) x * 0.70710678118654752440));
        case UnaryOp::RELU: return x > 0.f ? x : (x == x ? 0.f : x);
        case UnaryOp::SIGMOID: return (float) (1.0 / (1.0 + exp(-(double) x)));
        case UnaryOp::AFFINE: return x * a + b;
        case UnaryOp::POW: return (float) pow((double) x, (double) a);
        case UnaryOp::CLAMP: return x != x ? x : fminf(fmaxf(x, a), b);
        case UnaryOp::GELU_GRAD: {
            double cdf = 0.5 * erfc(-(double) x * 0.70710678118654752440);
            return (float) (cdf + x * 0.39894228040143267794 * exp(-0.5 * (double) x * x));
        }
        default: return __int_as_float(0x7fc00000);
    }
}

__device__ __forceinline__ float binary_op(int op, float x, float y) {
    switch ((BinaryOp) op) {
        case BinaryOp::ADD: return x + y;
        case BinaryOp::SUB: return x - y;
        case BinaryOp::MUL: return x * y;
        case BinaryOp::DIV: return x / y;
        case BinaryOp::POW: return (float) pow((double) x, (double) y);
        case BinaryOp::MINIMUM: return (x != x || y != y) ? __int_as_float(0x7fc00000) : fminf(x, y);
        case BinaryOp::MAXIMUM: return (x != x || y != y) ? __int_as_float(0x7fc00000) : fmaxf(x, y);
        case BinaryOp::EQ: return x == y ? 1.f : 0.f;
        case BinaryOp::NE: return x != y ? 1.f : 0.f;
        case BinaryOp::LT: return x < y ? 1.f : 0.f;
        case BinaryOp::LE: return x <= y ? 1.f : 0.f;
        case BinaryOp::GT: return x > y ? 1.f : 0.f;
        case BinaryOp::GE: return x >= y ? 1.f : 0.f;
        default: return __int_as_float(0x7fc00000);
    }
}

}  // namespace

extern "C" __global__ void ew_fill_f32(float* o, Strides8 os, Shape8 sh, long long n, float v) {
    DINOJ_FOR(i, n) o[strided_offset(i, sh, os)] = v;
}

extern "C" __global__ void ew_fill_i32(int* o, Strides8 os, Shape8 sh, long long n, int v) {
    DINOJ_FOR(i, n) o[strided_offset(i, sh, os)] = v;
}

// dtype codes: the DType ordinals. float -> int truncates toward zero as Java's cast.
extern "C" __global__ void ew_copy(const void* x, int xdt, Strides8 xs, void* o, int odt, Strides8 os, Shape8 sh, long long n) {
    DINOJ_FOR(i, n) {
        long long xo = strided_offset(i, sh, xs), oo = strided_offset(i, sh, os);
        if (xdt == odt) {
            ((int*) o)[oo] = ((const int*) x)[xo];  // same 4-byte element either way
        } else if ((DType) odt == DType::FLOAT32) {
            ((float*) o)[oo] = (float) ((const int*) x)[xo];
        } else {
            float v = ((const float*) x)[xo];
            ((int*) o)[oo] = v != v ? 0 : (v >= 2147483647.f ? 2147483647 : (v <= -2147483648.f ? (-2147483647 - 1) : (int) v));
        }
    }
}

extern "C" __global__ void ew_unary(int op, float a, float b, const float* x, Strides8 xs, float* o, Strides8 os, Shape8 sh,
                                    long long n) {
    DINOJ_FOR(i, n) o[strided_offset(i, sh, os)] = unary_op(op, x[strided_offset(i, sh, xs)], a, b);
}

extern "C" __global__ void ew_binary(int op, const float* x, Strides8 xs, const float* y, Strides8 ys, float* o, Strides8 os,
                                     Shape8 sh, long long n) {
    DINOJ_FOR(i, n) {
        o[strided_offset(i, sh, os)] = binary_op(op, x[strided_offset(i, sh, xs)], y[strided_offset(i, sh, ys)]);
    }
}

extern "C" __global__ void ew_linear_combination(float alpha, const float* x, Strides8 xs, float beta, const float* y, Strides8 ys,
                                      float* o, Strides8 os, Shape8 sh, long long n) {
    DINOJ_FOR(i, n) {
        o[strided_offset(i, sh, os)] = alpha * x[strided_offset(i, sh, xs)] + beta * y[strided_offset(i, sh, ys)];
    }
}

extern "C" __global__ void ew_where(const float* c, Strides8 cs, const float* x, Strides8 xs, const float* y, Strides8 ys,
                                    float* o, Strides8 os, Shape8 sh, long long n) {
    DINOJ_FOR(i, n) {
        o[strided_offset(i, sh, os)] = c[strided_offset(i, sh, cs)] != 0.f ? x[strided_offset(i, sh, xs)]
                                                                            : y[strided_offset(i, sh, ys)];
    }
}
