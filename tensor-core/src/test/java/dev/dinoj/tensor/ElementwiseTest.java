package dev.dinoj.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

import static dev.dinoj.tensor.Reference.assertClose;
import static dev.dinoj.tensor.Reference.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ElementwiseTest {
    private static DoubleUnaryOperator reference(UnaryOp op, float a, float b) {
        switch (op) {
            case NEG: return x -> -x;
            case ABS: return Math::abs;
            case SIGN: return Math::signum;
            case EXP: return Math::exp;
            case LOG: return Math::log;
            case SQRT: return Math::sqrt;
            case RSQRT: return x -> 1 / Math.sqrt(x);
            case RECIPROCAL: return x -> 1 / x;
            case SQUARE: return x -> x * x;
            case TANH: return Math::tanh;
            case ERF: return Reference::erf;
            case GELU: return Reference::gelu;
            case GELU_GRAD: return x -> 0.5 * (1 + Reference.erf(x / Math.sqrt(2))) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            case RELU: return x -> Math.max(0, x);
            case SIGMOID: return x -> 1 / (1 + Math.exp(-x));
            case AFFINE: return x -> x * a + b;
            case POW: return x -> Math.pow(x, a);
            case CLAMP: return x -> Math.min(Math.max(x, a), b);
            default: throw new AssertionError(op);
        }
    }

    private static boolean positiveDomain(UnaryOp op) {
        return op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW || op == UnaryOp.RECIPROCAL;
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unaryOpsMatchDoubleReferenceOnContiguousAndStridedInputs(UnaryOp op) {
        Random r = new Random(op.ordinal() + 11);
        float a = op == UnaryOp.CLAMP ? -0.5f : (op == UnaryOp.POW ? 1.7f : 1.3f);
        float b = op == UnaryOp.CLAMP ? 0.8f : -0.25f;
        for (int[] dims : new int[][] {{1}, {7}, {33, 5}, {3, 197}}) {
            Tensor x = Reference.random(r, dims);
            if (positiveDomain(op)) x = x.abs().add(0.1f);
            x = x.mul(op == UnaryOp.EXP || op == UnaryOp.ERF || op == UnaryOp.GELU ? 2.5f : 1f);
            checkUnary(op, a, b, x);
            if (x.rank() == 2) checkUnary(op, a, b, x.t()); // strided (transposed) input
        }
    }

    private static void checkUnary(UnaryOp op, float a, float b, Tensor x) {
        Tensor out = x.apply(op, a, b);
        double[] ref = values(x);
        DoubleUnaryOperator f = reference(op, a, b);
        for (int i = 0; i < ref.length; i++) ref[i] = f.applyAsDouble(ref[i]);
        assertClose(out, ref, 1e-6);
        // the in-place variant on a contiguous copy (the SIMD path, where there is one) must agree too
        Tensor inPlace = Tensor.zeros(x.dims()).fill(Float.NaN).copyFrom(x);
        inPlace.applyInPlace(op, a, b);
        assertClose(inPlace, ref, 1e-6);
    }

    @Test
    void geluIsAccurateInTheTailsWhereItIsTiny() {
        Tensor x = Tensor.fromArray(new float[] {-9f, -6f, -4f, -1e-3f, 0f, 1e-3f, 5f}, 7);
        double[] ref = new double[7];
        double[] xv = values(x);
        for (int i = 0; i < 7; i++) ref[i] = Reference.gelu(xv[i]);
        float[] out = x.gelu().toFloatArray();
        for (int i = 0; i < 7; i++) {
            if (ref[i] == 0) assertThat(out[i]).isZero();
            else assertThat(Math.abs(out[i] - ref[i]) / Math.abs(ref[i])).as("gelu(%s)", xv[i]).isLessThan(1e-5);
        }
    }

    private static DoubleBinaryOperator reference(BinaryOp op) {
        switch (op) {
            case ADD: return Double::sum;
            case SUB: return (x, y) -> x - y;
            case MUL: return (x, y) -> x * y;
            case DIV: return (x, y) -> x / y;
            case POW: return Math::pow;
            case MINIMUM: return Math::min;
            case MAXIMUM: return Math::max;
            case EQ: return (x, y) -> x == y ? 1 : 0;
            case NE: return (x, y) -> x != y ? 1 : 0;
            case LT: return (x, y) -> x < y ? 1 : 0;
            case LE: return (x, y) -> x <= y ? 1 : 0;
            case GT: return (x, y) -> x > y ? 1 : 0;
            case GE: return (x, y) -> x >= y ? 1 : 0;
            default: throw new AssertionError(op);
        }
    }

    private static Tensor apply(BinaryOp op, Tensor x, Tensor y) {
        switch (op) {
            case ADD: return x.add(y);
            case SUB: return x.sub(y);
            case MUL: return x.mul(y);
            case DIV: return x.div(y);
            case POW: return x.pow(y);
            case MINIMUM: return x.minimum(y);
            case MAXIMUM: return x.maximum(y);
            case EQ: return x.eq(y);
            case NE: return x.ne(y);
            case LT: return x.lt(y);
            case LE: return x.le(y);
            case GT: return x.gt(y);
            case GE: return x.ge(y);
            default: throw new AssertionError(op);
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryOpsBroadcastLikeNumPy(BinaryOp op) {
        Random r = new Random(100 + op.ordinal());
        int[][][] cases = {
            {{7}, {7}}, {{33, 5}, {5}}, {{4, 1, 3}, {2, 1}}, {{1}, {3, 197}}, {{2, 3, 1, 5}, {3, 4, 1}}, {{6, 1}, {1, 9}}
        };
        for (int[][] c : cases) {
            Tensor x = Reference.random(r, c[0]);
            Tensor y = Reference.random(r, c[1]);
            if (op == BinaryOp.POW) x = x.abs().add(0.2f);
            if (op.isComparison()) y = Tensor.where(Reference.random(r, c[1]).gt(0f), y, y.mul(0f).add(0.5f)); // some ties
            check(op, x, y);
        }
        // non-contiguous operands: a transposed matrix and a sliced one
        Tensor big = Reference.random(r, 9, 14);
        Tensor x = big.t().narrow(0, 2, 11);                // [11, 9], strided
        Tensor y = Reference.random(r, 9, 22).slice(1, 1, 22, 2); // [9, 11] every other column
        if (op == BinaryOp.POW) x = x.abs().add(0.2f);
        check(op, x, y.t());
    }

    private static void check(BinaryOp op, Tensor x, Tensor y) {
        Shape s = Shape.broadcast("test", x.shape(), y.shape());
        Tensor out = apply(op, x, y);
        assertThat(out.shape()).isEqualTo(s);
        double[] xv = values(x.expand(s)), yv = values(y.expand(s));
        double[] ref = new double[xv.length];
        DoubleBinaryOperator f = reference(op);
        for (int i = 0; i < ref.length; i++) ref[i] = f.applyAsDouble((float) xv[i], (float) yv[i]);
        assertClose(out, ref, 1e-6);
    }

    @Test
    void inPlaceUpdatesWriteThroughViewsAndBroadcastTheOtherOperand() {
        Random r = new Random(5);
        Tensor base = Reference.random(r, 6, 8);
        double[] before = values(base);
        Tensor bias = Reference.random(r, 4);
        Tensor view = base.narrow(1, 2, 4); // columns 2..5 of each row
        view.addInPlace(bias, 0.5f);
        double[] after = values(base);
        double[] b = values(bias);
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 8; j++) {
                double expect = before[i * 8 + j] + (j >= 2 && j < 6 ? 0.5 * (float) b[j - 2] : 0);
                assertThat(after[i * 8 + j]).isCloseTo(expect, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }

    @Test
    void lerpInPlaceIsTheEmaStep() {
        Random r = new Random(6);
        Tensor teacher = Reference.random(r, 5, 7);
        Tensor student = Reference.random(r, 5, 7);
        double[] t = values(teacher), s = values(student);
        float m = 0.996f;
        teacher.lerpInPlace(student, 1 - m);
        double[] ref = new double[t.length];
        for (int i = 0; i < t.length; i++) ref[i] = m * t[i] + (1 - m) * s[i];
        assertClose(teacher, ref, 1e-6);
    }

    @Test
    void scalarOpsAndWhere() {
        Tensor x = Tensor.fromArray(new float[] {-2, -0.5f, 0, 1.5f, 3}, 5);
        assertThat(x.add(1).toFloatArray()).containsExactly(-1, 0.5f, 1, 2.5f, 4);
        assertThat(x.mul(2).toFloatArray()).containsExactly(-4, -1, 0, 3, 6);
        assertThat(x.sub(1).toFloatArray()).containsExactly(-3, -1.5f, -1, 0.5f, 2);
        assertThat(x.div(2).toFloatArray()).containsExactly(-1, -0.25f, 0, 0.75f, 1.5f);
        assertThat(x.clamp(-1, 1).toFloatArray()).containsExactly(-1, -0.5f, 0, 1, 1);
        assertThat(x.gt(0).toFloatArray()).containsExactly(0, 0, 0, 1, 1);
        assertThat(x.rdiv(3).toFloatArray()).containsExactly(-1.5f, -6, Float.POSITIVE_INFINITY, 2, 1);
        Tensor w = Tensor.where(x.ge(0), x, Tensor.full(-9f, 1));
        assertThat(w.toFloatArray()).containsExactly(-9, -9, 0, 1.5f, 3);
        Tensor lc = Tensor.linearCombination(2f, x, -1f, Tensor.ones(5));
        assertThat(lc.toFloatArray()).containsExactly(-5, -2, -1, 2, 5);
    }

    @Test
    void nanPropagatesThroughMinMaxAndClamp() {
        Tensor x = Tensor.fromArray(new float[] {Float.NaN, 1f}, 2);
        Tensor y = Tensor.fromArray(new float[] {0f, Float.NaN}, 2);
        assertThat(x.maximum(y).toFloatArray()).containsExactly(Float.NaN, Float.NaN);
        assertThat(x.minimum(y).toFloatArray()).containsExactly(Float.NaN, Float.NaN);
        assertThat(x.clamp(-1, 1).toFloatArray()[0]).isNaN();
        assertThat(x.relu().toFloatArray()[0]).isNaN();
    }

    @Test
    void badShapesAndInPlaceIntoBroadcastViewsAreRejectedWithTheShapes() {
        Tensor a = Tensor.zeros(2, 3);
        assertThatThrownBy(() -> a.add(Tensor.zeros(4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("add").hasMessageContaining("[2, 3]").hasMessageContaining("[4]");
        assertThatThrownBy(() -> Tensor.zeros(3).addInPlace(Tensor.zeros(2, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("addInPlace").hasMessageContaining("[2, 3]");
        Tensor expanded = Tensor.zeros(1, 3).expand(4, 3);
        assertThatThrownBy(() -> expanded.addInPlace(Tensor.ones(4, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expanded");
        assertThatThrownBy(() -> Tensor.zeros(2).clamp(1, 0)).hasMessageContaining("min 1.0 is greater than max 0.0");
        Tensor idx = Tensor.fromIndices(new int[] {0, 1});
        assertThatThrownBy(() -> idx.exp()).hasMessageContaining("float32").hasMessageContaining("int32");
    }

    @Test
    void closedTensorsCannotBeUsed() {
        Tensor a = Tensor.ones(3);
        Tensor view = a.narrow(0, 0, 2);
        a.close();
        assertThat(view.sum().item()).isEqualTo(2f); // the view still holds the storage
        view.close();
        assertThatThrownBy(() -> a.add(1f)).isInstanceOf(IllegalStateException.class).hasMessageContaining("after close");
        assertThat(a.storage().isReleased()).isTrue();
    }
}
