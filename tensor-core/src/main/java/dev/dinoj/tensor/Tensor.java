package dev.dinoj.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array on a device: a {@link Storage} seen through a shape, strides and an offset.
 * Views (reshape, permute, transpose, narrow, expand, ...) share the storage and copy nothing.
 * Every op validates its arguments here and names itself and the shapes involved when they are wrong;
 * the device's {@link Backend} then does the arithmetic.
 *
 * <p>Tensors are values: ops return new tensors, and only methods whose name ends in {@code InPlace},
 * plus {@link #fill}, {@link #zero} and {@link #copyFrom}, write into an existing one. {@link #close()}
 * releases this tensor's reference to its storage (the memory goes back to the device when the last
 * tensor sharing it is closed); on the CPU the garbage collector would reclaim it anyway.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final Shape shape;
    private final int[] strides;
    private final int offset;
    private boolean closed;
    /** The scope that will close this tensor, if any (see {@link TensorScope}). */
    TensorScope scope;

    /**
     * @param retain true for a new reference to an existing storage (views), false when this tensor
     *               takes over the storage's first reference
     * @param owner  false for internal borrowed views that hold no reference (never closed)
     */
    private Tensor(Storage storage, Shape shape, int[] strides, int offset, boolean retain, boolean owner) {
        if (retain) storage.retain();
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        if (owner) TensorScope.register(this);
    }

    /** A tensor over an existing storage (backends use this; the storage reference is shared). */
    public static Tensor of(Storage storage, Shape shape, int[] strides, int offset) {
        return new Tensor(storage, shape, strides.clone(), offset, true, true);
    }

    // ------------------------------------------------------------------ creation

    /** A new tensor whose contents are undefined. */
    public static Tensor empty(Shape shape, DType dtype, Device device) {
        if (shape.numel() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("empty: shape " + shape + " has " + shape.numel()
                    + " elements, more than the supported 2^31 - 9");
        }
        Storage s = device.backend().allocate(dtype, shape.numel());
        return new Tensor(s, shape, shape.contiguousStrides(), 0, false, true);
    }

    public static Tensor empty(int... dims) {
        return empty(Shape.of(dims), DType.FLOAT32, Device.CPU);
    }

    public static Tensor full(Shape shape, float value, Device device) {
        Tensor t = empty(shape, DType.FLOAT32, device);
        t.fill(value);
        return t;
    }

    public static Tensor zeros(Shape shape, Device device) {
        return full(shape, 0f, device);
    }

    public static Tensor zeros(int... dims) {
        return zeros(Shape.of(dims), Device.CPU);
    }

    public static Tensor ones(Shape shape, Device device) {
        return full(shape, 1f, device);
    }

    public static Tensor ones(int... dims) {
        return ones(Shape.of(dims), Device.CPU);
    }

    public static Tensor full(float value, int... dims) {
        return full(Shape.of(dims), value, Device.CPU);
    }

    public static Tensor scalar(float value) {
        return full(Shape.scalar(), value, Device.CPU);
    }

    /** 0, 1, ..., n-1. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /** start, start+step, ... up to (excluding) end, as float32. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || !Double.isFinite(step) || !Double.isFinite(start) || !Double.isFinite(end)) {
            throw new IllegalArgumentException("arange: bad range start=" + start + " end=" + end + " step=" + step);
        }
        long n = Math.max(0, (long) Math.ceil((end - start) / step));
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("arange: " + n + " elements is too many");
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) v[i] = (float) (start + i * step);
        return fromArray(v, (int) n);
    }

    /** A CPU tensor holding a copy of {@code data} in row-major order. */
    public static Tensor fromArray(float[] data, int... dims) {
        return fromArray(data, Shape.of(dims), Device.CPU);
    }

    public static Tensor fromArray(float[] data, Shape shape, Device device) {
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("fromArray: " + data.length + " values do not fill shape " + shape
                    + " (" + shape.numel() + " elements)");
        }
        Tensor t = empty(shape, DType.FLOAT32, device);
        device.backend().write(t, data);
        return t;
    }

    /** A CPU int32 tensor (indices) holding a copy of {@code data}. */
    public static Tensor fromIndices(int[] data, int... dims) {
        Shape shape = dims.length == 0 ? Shape.of(data.length) : Shape.of(dims);
        if (data.length != shape.numel()) {
            throw new IllegalArgumentException("fromIndices: " + data.length + " values do not fill shape " + shape);
        }
        Tensor t = empty(shape, DType.INT32, Device.CPU);
        Device.CPU.backend().write(t, data);
        return t;
    }

    /** The n x n identity matrix on {@code device}. */
    public static Tensor eye(int n, Device device) {
        if (n < 0) throw new IllegalArgumentException("eye: size must be >= 0, got " + n);
        float[] v = new float[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1f;
        return fromArray(v, Shape.of(n, n), device);
    }

    /** A 2-D CPU tensor from rows of equal length. */
    public static Tensor fromArray(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("fromArray: row " + i + " has " + rows[i].length
                        + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return fromArray(flat, rows.length, cols);
    }

    /** Uniform on [0, 1). */
    public static Tensor rand(Generator gen, int... dims) {
        return random(RandomDistribution.UNIFORM, 0f, 1f, Shape.of(dims), gen, Device.CPU);
    }

    /** Standard normal. */
    public static Tensor randn(Generator gen, int... dims) {
        return random(RandomDistribution.NORMAL, 0f, 1f, Shape.of(dims), gen, Device.CPU);
    }

    /** 1 with probability p, else 0. */
    public static Tensor bernoulli(float p, Generator gen, int... dims) {
        return random(RandomDistribution.BERNOULLI, p, 0f, Shape.of(dims), gen, Device.CPU);
    }

    /**
     * A tensor from the Philox stream of {@code gen}: UNIFORM on [a, b), NORMAL(mean a, std b),
     * BERNOULLI(p = a). The same (seed, offset) gives the same values on every device.
     */
    public static Tensor random(RandomDistribution dist, float a, float b, Shape shape, Generator gen, Device device) {
        switch (dist) {
            case UNIFORM:
                if (!(a <= b) || !Float.isFinite(a) || !Float.isFinite(b)) {
                    throw new IllegalArgumentException("rand: need finite low <= high, got [" + a + ", " + b + ")");
                }
                break;
            case NORMAL:
                if (!(b >= 0) || !Float.isFinite(a) || !Float.isFinite(b)) {
                    throw new IllegalArgumentException("randn: need finite mean and std >= 0, got mean " + a + ", std " + b);
                }
                break;
            case BERNOULLI:
                if (!(a >= 0 && a <= 1)) throw new IllegalArgumentException("bernoulli: p must be in [0, 1], got " + a);
                break;
            default:
                throw new AssertionError(dist);
        }
        Tensor t = empty(shape, DType.FLOAT32, device);
        long offset = gen.reserve(Philox.blocksFor(dist, shape.numel()));
        device.backend().random(dist, gen.seed(), offset, a, b, t);
        return t;
    }

    // ------------------------------------------------------------------ metadata

    public Shape shape() {
        return shape;
    }

    public int[] dims() {
        return shape.toArray();
    }

    public int size(int dim) {
        return shape.size(dim);
    }

    public int rank() {
        return shape.rank();
    }

    public long numel() {
        return shape.numel();
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Device device() {
        return storage.device();
    }

    public Backend backend() {
        return storage.device().backend();
    }

    public Storage storage() {
        return storage;
    }

    public int[] strides() {
        return strides.clone();
    }

    public int stride(int dim) {
        return strides[shape.normalize(dim, "stride")];
    }

    public int offset() {
        return offset;
    }

    /** True when the elements are laid out row-major without gaps (size-1 dimensions are ignored). */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = rank() - 1; d >= 0; d--) {
            int n = shape.size(d);
            if (n == 1) continue;
            if (strides[d] != expected) return false;
            expected *= n;
        }
        return true;
    }

    // ------------------------------------------------------------------ reading

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalArgumentException("item: tensor of shape " + shape + " has " + numel() + " elements, not 1");
        return dtype() == DType.INT32 ? backend().readInts(this)[0] : backend().readFloats(this)[0];
    }

    /** The element at {@code index} (one index per dimension). */
    public float get(int... index) {
        if (index.length != rank()) {
            throw new IllegalArgumentException("get: " + index.length + " indices for a tensor of shape " + shape);
        }
        int off = offset;
        for (int d = 0; d < index.length; d++) {
            int i = index[d];
            if (i < 0 || i >= shape.size(d)) {
                throw new IllegalArgumentException("get: index " + i + " is out of range for dimension " + d
                        + " of shape " + shape);
            }
            off += i * strides[d];
        }
        return new Tensor(storage, Shape.scalar(), new int[0], off, false, false).item();
    }

    /** All elements in row-major order (float32 tensors; int32 values are converted). */
    public float[] toFloatArray() {
        if (dtype() == DType.INT32) {
            int[] v = backend().readInts(this);
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) f[i] = v[i];
            return f;
        }
        return backend().readFloats(this);
    }

    /** All elements of an int32 tensor in row-major order. */
    public int[] toIntArray() {
        requireDType(DType.INT32, "toIntArray");
        return backend().readInts(this);
    }

    // ------------------------------------------------------------------ views

    private Tensor view(Shape newShape, int[] newStrides, int newOffset) {
        return new Tensor(storage, newShape, newStrides, newOffset, true, true);
    }

    /** Internal, non-owning view for arguments passed straight to a backend. */
    private Tensor borrow(Shape newShape, int[] newStrides) {
        return new Tensor(storage, newShape, newStrides, offset, false, false);
    }

    /** The same elements in a new shape, sharing storage; one size may be -1. Fails when strides forbid it. */
    public Tensor view(int... newDims) {
        Shape target = inferShape("view", newDims);
        int[] st = viewStrides(target);
        if (st == null) {
            throw new IllegalArgumentException("view: cannot view a tensor of shape " + shape + " with strides "
                    + Arrays.toString(strides) + " as " + target + " without copying; use reshape or contiguous()");
        }
        return view(target, st, offset);
    }

    /** Like {@link #view(int...)} but copies when the layout requires it. */
    public Tensor reshape(int... newDims) {
        Shape target = inferShape("reshape", newDims);
        int[] st = viewStrides(target);
        if (st != null) return view(target, st, offset);
        return contiguous().view(newDims);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    /** Merges dimensions start..end (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        int s = shape.normalize(start, "flatten"), e = shape.normalize(end, "flatten");
        if (s > e) throw new IllegalArgumentException("flatten: start " + start + " is after end " + end + " for shape " + shape);
        int[] d = new int[rank() - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) d[k++] = shape.size(i);
        int m = 1;
        for (int i = s; i <= e; i++) m *= shape.size(i);
        d[k++] = m;
        for (int i = e + 1; i < rank(); i++) d[k++] = shape.size(i);
        return reshape(d);
    }

    private Shape inferShape(String op, int[] dims) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException(op + ": only one dimension can be -1, got " + Arrays.toString(dims));
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + dims[i] + " in " + Arrays.toString(dims));
            } else {
                known *= dims[i];
            }
        }
        int[] d = dims.clone();
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(dims) + " is invalid for a tensor of shape "
                        + shape + " (" + numel() + " elements)");
            }
            d[infer] = (int) (numel() / known);
        } else if (known != numel()) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(dims) + " (" + known + " elements) is invalid for a tensor of shape "
                    + shape + " (" + numel() + " elements)");
        }
        return Shape.of(d);
    }

    /** Strides that let the current storage layout be read as {@code target}, or null (ATen's computeStride). */
    private int[] viewStrides(Shape target) {
        int[] newStrides = new int[target.rank()];
        if (numel() == 0) return target.contiguousStrides();
        if (rank() == 0) {
            Arrays.fill(newStrides, 1);
            return newStrides;
        }
        int viewD = target.rank() - 1;
        long chunkBaseStride = strides[rank() - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = rank() - 1; d >= 0; d--) {
            tensorNumel *= shape.size(d);
            if (d == 0 || (shape.size(d - 1) != 1 && strides[d - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || target.size(viewD) == 1)) {
                    newStrides[viewD] = (int) (viewNumel * chunkBaseStride);
                    viewNumel *= target.size(viewD);
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBaseStride = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? newStrides : null;
    }

    /** Reorders the dimensions: result dimension i is this tensor's dimension order[i]. */
    public Tensor permute(int... order) {
        if (order.length != rank()) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(order) + " does not list the " + rank()
                    + " dimensions of shape " + shape);
        }
        int[] d = new int[rank()], st = new int[rank()];
        boolean[] seen = new boolean[rank()];
        for (int i = 0; i < order.length; i++) {
            int o = shape.normalize(order[i], "permute");
            if (seen[o]) throw new IllegalArgumentException("permute: dimension " + order[i] + " repeated in " + Arrays.toString(order));
            seen[o] = true;
            d[i] = shape.size(o);
            st[i] = strides[o];
        }
        return view(Shape.of(d), st, offset);
    }

    public Tensor transpose(int dim0, int dim1) {
        int a = shape.normalize(dim0, "transpose"), b = shape.normalize(dim1, "transpose");
        int[] order = new int[rank()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Transpose of a 2-D tensor (the last two dimensions of a batch). */
    public Tensor t() {
        if (rank() < 2) throw new IllegalArgumentException("t: needs at least 2 dimensions, shape is " + shape);
        return transpose(-2, -1);
    }

    /** Moves dimension {@code from} to position {@code to}, keeping the others in order. */
    public Tensor movedim(int from, int to) {
        int f = shape.normalize(from, "movedim"), t = shape.normalize(to, "movedim");
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < rank(); i++) if (i != f) order.add(i);
        order.add(t, f);
        return permute(order.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Elements start..start+length-1 along dim, as a view. */
    public Tensor narrow(int dim, int start, int length) {
        int d = shape.normalize(dim, "narrow");
        int n = shape.size(d);
        if (start < 0 || length < 0 || start + length > n) {
            throw new IllegalArgumentException("narrow: range [" + start + ", " + (start + length) + ") is out of bounds for dimension "
                    + dim + " of size " + n + " (shape " + shape + ")");
        }
        return view(shape.with(d, length), strides.clone(), offset + start * strides[d]);
    }

    /** Python's x[start:end:step] along dim (start/end may be negative; step > 0). */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = shape.normalize(dim, "slice");
        int n = shape.size(d);
        if (step <= 0) throw new IllegalArgumentException("slice: step must be positive, got " + step);
        int s = Math.max(0, Math.min(n, start < 0 ? start + n : start));
        int e = Math.max(s, Math.min(n, end < 0 ? end + n : end));
        int len = (e - s + step - 1) / step;
        int[] st = strides.clone();
        st[d] *= step;
        return view(shape.with(d, len), st, offset + s * strides[d]);
    }

    /** The slice at {@code index} along dim, with that dimension removed. */
    public Tensor select(int dim, int index) {
        int d = shape.normalize(dim, "select");
        int n = shape.size(d);
        int i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) {
            throw new IllegalArgumentException("select: index " + index + " is out of range for dimension " + dim
                    + " of size " + n + " (shape " + shape + ")");
        }
        return view(removeDim(shape, d), removeAt(strides, d), offset + i * strides[d]);
    }

    /** Broadcasts to {@code sizes} without copying (-1 keeps a size; new leading dimensions allowed). */
    public Tensor expand(int... sizes) {
        if (sizes.length < rank()) {
            throw new IllegalArgumentException("expand: cannot expand shape " + shape + " to fewer dimensions " + Arrays.toString(sizes));
        }
        int lead = sizes.length - rank();
        int[] d = new int[sizes.length], st = new int[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            if (i < lead) {
                if (sizes[i] < 0) throw new IllegalArgumentException("expand: size -1 is not allowed for the new leading dimension " + i);
                d[i] = sizes[i];
                st[i] = 0;
                continue;
            }
            int own = shape.size(i - lead);
            int want = sizes[i] == -1 ? own : sizes[i];
            if (own == want) {
                d[i] = own;
                st[i] = strides[i - lead];
            } else if (own == 1) {
                d[i] = want;
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: shape " + shape + " cannot be expanded to " + Arrays.toString(sizes)
                        + " (dimension " + i + " is " + own + ", not 1)");
            }
        }
        return view(Shape.of(d), st, offset);
    }

    public Tensor expand(Shape target) {
        return expand(target.toArray());
    }

    /** A non-owning broadcast view for backends (the target was checked by the caller). */
    private Tensor broadcastTo(Shape target) {
        if (target.equals(shape)) return borrow(shape, strides);
        int lead = target.rank() - rank();
        int[] st = new int[target.rank()];
        for (int i = lead; i < target.rank(); i++) {
            st[i] = shape.size(i - lead) == target.size(i) ? strides[i - lead] : 0;
        }
        return borrow(target, st);
    }

    /** Removes every size-1 dimension. */
    public Tensor squeeze() {
        int[] d = Arrays.stream(dims()).filter(x -> x != 1).toArray();
        int[] st = new int[d.length];
        for (int i = 0, k = 0; i < rank(); i++) if (shape.size(i) != 1) st[k++] = strides[i];
        return view(Shape.of(d), st, offset);
    }

    /** Removes dimension dim if it has size 1 (otherwise returns an equal view, as PyTorch does). */
    public Tensor squeeze(int dim) {
        int d = shape.normalize(dim, "squeeze");
        if (shape.size(d) != 1) return view(shape, strides.clone(), offset);
        return view(removeDim(shape, d), removeAt(strides, d), offset);
    }

    /** Inserts a size-1 dimension at position dim (-1 appends). */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + rank() + 1 : dim;
        if (d < 0 || d > rank()) {
            throw new IllegalArgumentException("unsqueeze: dimension " + dim + " is out of range for shape " + shape);
        }
        int[] nd = new int[rank() + 1], st = new int[rank() + 1];
        for (int i = 0, k = 0; i <= rank(); i++) {
            if (i == d) {
                nd[i] = 1;
                st[i] = d < rank() ? strides[d] * shape.size(d) : 1;
            } else {
                nd[i] = shape.size(k);
                st[i] = strides[k++];
            }
        }
        return view(Shape.of(nd), st, offset);
    }

    /** This tensor if it is contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        if (isContiguous()) return view(shape, strides.clone(), offset);
        return copy();
    }

    /** A contiguous copy that shares nothing with this tensor. */
    public Tensor copy() {
        Tensor out = empty(shape, dtype(), device());
        backend().copy(this, out);
        return out;
    }

    /** A copy on another device (this tensor itself, as a new reference, when already there). */
    public Tensor to(Device target) {
        if (target.equals(device())) return view(shape, strides.clone(), offset);
        Tensor out = empty(shape, dtype(), target);
        if (dtype() == DType.INT32) target.backend().write(out, toIntArray());
        else target.backend().write(out, toFloatArray());
        return out;
    }

    /** A copy converted to another dtype (or this tensor when it already has it). */
    public Tensor toType(DType type) {
        if (type == dtype()) return view(shape, strides.clone(), offset);
        Tensor out = empty(shape, type, device());
        backend().copy(this, out);
        return out;
    }

    private static Shape removeDim(Shape s, int d) {
        return Shape.of(removeAt(s.toArray(), d));
    }

    private static int[] removeAt(int[] a, int i) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    // ------------------------------------------------------------------ joining and splitting

    /** Joins tensors of equal shape except along dim. */
    public static Tensor cat(int dim, Tensor... parts) {
        return cat(dim, Arrays.asList(parts));
    }

    public static Tensor cat(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("cat: no tensors given");
        Tensor first = parts.get(0);
        if (first.rank() == 0) throw new IllegalArgumentException("cat: cannot concatenate zero-dimensional tensors");
        int d = first.shape.normalize(dim, "cat");
        int total = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            p.checkOpen("cat");
            if (p.rank() != first.rank() || !p.device().equals(first.device()) || p.dtype() != first.dtype()) {
                throw new IllegalArgumentException("cat: tensor " + i + " (" + p.describe() + ") does not match tensor 0 ("
                        + first.describe() + ")");
            }
            for (int k = 0; k < first.rank(); k++) {
                if (k != d && p.size(k) != first.size(k)) {
                    throw new IllegalArgumentException("cat: along dimension " + dim + ", tensor " + i + " has shape " + p.shape
                            + " but tensor 0 has shape " + first.shape + " (they differ in dimension " + k + ")");
                }
            }
            total += p.size(d);
        }
        Tensor out = empty(first.shape.with(d, total), first.dtype(), first.device());
        int at = 0;
        for (Tensor p : parts) {
            int n = p.size(d);
            if (n > 0) {
                Tensor dst = out.narrow(d, at, n);
                out.backend().copy(p, dst);
            }
            at += n;
        }
        return out;
    }

    /** Joins tensors of equal shape along a new dimension. */
    public static Tensor stack(int dim, Tensor... parts) {
        return stack(dim, Arrays.asList(parts));
    }

    public static Tensor stack(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("stack: no tensors given");
        Shape s = parts.get(0).shape;
        List<Tensor> u = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            if (!parts.get(i).shape.equals(s)) {
                throw new IllegalArgumentException("stack: tensor " + i + " has shape " + parts.get(i).shape
                        + " but tensor 0 has shape " + s);
            }
            u.add(parts.get(i).unsqueeze(dim));
        }
        return cat(dim, u);
    }

    /** Views of consecutive pieces of {@code splitSize} along dim (the last may be smaller). */
    public List<Tensor> split(int splitSize, int dim) {
        int d = shape.normalize(dim, "split");
        if (splitSize <= 0) throw new IllegalArgumentException("split: size must be positive, got " + splitSize);
        List<Tensor> out = new ArrayList<>();
        for (int s = 0; s < shape.size(d); s += splitSize) out.add(narrow(d, s, Math.min(splitSize, shape.size(d) - s)));
        return out;
    }

    /** Views of pieces of the given sizes along dim; the sizes must add up to the dimension's size. */
    public List<Tensor> split(int[] sizes, int dim) {
        int d = shape.normalize(dim, "split");
        int sum = Arrays.stream(sizes).sum();
        if (sum != shape.size(d) || Arrays.stream(sizes).anyMatch(x -> x < 0)) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " do not add up to dimension " + dim
                    + " of shape " + shape);
        }
        List<Tensor> out = new ArrayList<>();
        int at = 0;
        for (int n : sizes) {
            out.add(narrow(d, at, n));
            at += n;
        }
        return out;
    }

    /** {@code chunks} views of near-equal size along dim (as torch.chunk). */
    public List<Tensor> chunk(int chunks, int dim) {
        if (chunks <= 0) throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        int n = size(dim);
        return split(Math.max(1, (n + chunks - 1) / chunks), dim);
    }

    /** Rows (or slices) of dim picked by an int32 vector of indices. */
    public Tensor indexSelect(int dim, Tensor index) {
        int d = shape.normalize(dim, "indexSelect");
        index.requireDType(DType.INT32, "indexSelect (index)");
        if (index.rank() != 1) throw new IllegalArgumentException("indexSelect: index must be 1-D, got shape " + index.shape);
        sameDevice("indexSelect", index);
        Tensor out = empty(shape.with(d, index.size(0)), dtype(), device());
        backend().indexSelect(this, d, index, out);
        return out;
    }

    /** out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for other dims); out has index's shape. */
    public Tensor gather(int dim, Tensor index) {
        int d = shape.normalize(dim, "gather");
        index.requireDType(DType.INT32, "gather (index)");
        checkGatherShapes("gather", d, index);
        Tensor out = empty(index.shape, dtype(), device());
        backend().gather(this, d, index, out);
        return out;
    }

    /** Adds src into this tensor at the positions index names along dim (the gradient of gather). */
    public Tensor scatterAddInPlace(int dim, Tensor index, Tensor src) {
        int d = shape.normalize(dim, "scatterAdd");
        index.requireDType(DType.INT32, "scatterAdd (index)");
        checkGatherShapes("scatterAdd", d, index);
        if (!src.shape.equals(index.shape)) {
            throw new IllegalArgumentException("scatterAdd: src shape " + src.shape + " must equal index shape " + index.shape);
        }
        checkWritable("scatterAdd");
        sameDevice("scatterAdd", src);
        backend().scatterAdd(src, d, index, this);
        return this;
    }

    /** The diagonals of the last two dimensions, [..., n, m] -> [..., min(n, m)]: a view (writes go to the matrix). */
    public Tensor diagonal() {
        if (rank() < 2) throw new IllegalArgumentException("diagonal: needs at least 2 dimensions, shape is " + shape);
        int r = rank();
        int[] d = new int[r - 1], st = new int[r - 1];
        for (int i = 0; i < r - 2; i++) {
            d[i] = size(i);
            st[i] = strides[i];
        }
        d[r - 2] = Math.min(size(-2), size(-1));
        st[r - 2] = strides[r - 2] + strides[r - 1];
        return view(Shape.of(d), st, offset);
    }

    /**
     * The Cholesky factor L (lower triangular, zeros above the diagonal) of each symmetric positive
     * definite matrix of this [..., n, n] tensor: this = L L^T. Only the lower triangle is read. A matrix
     * that is not positive definite is an IllegalArgumentException naming it and the failing minor.
     */
    public Tensor cholesky() {
        requireSquareMatrices("cholesky");
        Tensor out = empty(shape, DType.FLOAT32, device());
        if (numel() == 0) return out;
        int[] failed = backend().cholesky(contiguous(), out);
        if (failed != null) {
            out.close();
            throw new IllegalArgumentException("cholesky: " + (rank() == 2 ? "the matrix" : "matrix " + failed[0] + " of the batch") + " (shape "
                    + shape + ") is not positive definite: its leading minor of order " + failed[1] + " is not positive");
        }
        return out;
    }

    /**
     * X = L^-1 B, or L^-T B when {@code transpose}, with this [..., n, n] as the lower-triangular L
     * (only its lower triangle is read; a Cholesky factor) and b [..., n, m] with the same leading dimensions.
     */
    public Tensor solveTriangular(Tensor b, boolean transpose) {
        requireSquareMatrices("solveTriangular");
        b.requireFloat("solveTriangular");
        sameDevice("solveTriangular", b);
        if (b.rank() != rank() || b.size(-2) != size(-1) || !b.shape.dropLast(2).equals(shape.dropLast(2))) {
            throw new IllegalArgumentException("solveTriangular: right-hand side shape " + b.shape + " does not match triangular matrices "
                    + shape + " (needs [..., " + size(-1) + ", m] with the same leading dimensions)");
        }
        Tensor out = empty(b.shape, DType.FLOAT32, device());
        if (out.numel() > 0) backend().triangularSolve(contiguous(), b.contiguous(), transpose, out);
        return out;
    }

    /** log det of each symmetric positive definite matrix of [..., n, n], 2 sum(log(diag(L))) of its Cholesky factor: [...]. */
    public Tensor logdetSpd() {
        return cholesky().diagonal().log().sum(-1, false).mul(2f);
    }

    private void requireSquareMatrices(String op) {
        requireFloat(op);
        if (rank() < 2 || size(-1) != size(-2)) {
            throw new IllegalArgumentException(op + ": needs square matrices [..., n, n], got shape " + shape);
        }
    }

    /** Adds src's slices along dim into this tensor's slices index names (the gradient of indexSelect; repeats sum). */
    public Tensor indexAddInPlace(int dim, Tensor index, Tensor src) {
        int d = shape.normalize(dim, "indexAdd");
        index.requireDType(DType.INT32, "indexAdd (index)");
        if (index.rank() != 1) throw new IllegalArgumentException("indexAdd: index must be 1-D, got shape " + index.shape);
        if (!src.shape.equals(shape.with(d, index.size(0)))) {
            throw new IllegalArgumentException("indexAdd: src shape " + src.shape + " must be " + shape.with(d, index.size(0))
                    + " (this tensor's shape " + shape + " with the index length at dimension " + d + ")");
        }
        checkWritable("indexAdd");
        sameDevice("indexAdd", index);
        sameDevice("indexAdd", src);
        backend().indexAdd(src, d, index, this);
        return this;
    }

    private void checkGatherShapes(String op, int d, Tensor index) {
        sameDevice(op, index);
        if (index.rank() != rank()) {
            throw new IllegalArgumentException(op + ": index of shape " + index.shape + " must have the rank of the input " + shape);
        }
        for (int k = 0; k < rank(); k++) {
            if (k != d && index.size(k) > size(k)) {
                throw new IllegalArgumentException(op + ": index shape " + index.shape + " exceeds input shape " + shape
                        + " in dimension " + k);
            }
        }
    }

    // ------------------------------------------------------------------ elementwise

    private Tensor unary(UnaryOp op, float a, float b) {
        requireFloat(op.name().toLowerCase(java.util.Locale.ROOT));
        Tensor out = empty(shape, DType.FLOAT32, device());
        backend().unary(op, this, a, b, out);
        return out;
    }

    /** out = op(this; a, b), see {@link UnaryOp} for the parameters. */
    public Tensor apply(UnaryOp op, float a, float b) { return unary(op, a, b); }
    public Tensor neg() { return unary(UnaryOp.NEG, 0, 0); }
    public Tensor abs() { return unary(UnaryOp.ABS, 0, 0); }
    public Tensor sign() { return unary(UnaryOp.SIGN, 0, 0); }
    public Tensor exp() { return unary(UnaryOp.EXP, 0, 0); }
    public Tensor log() { return unary(UnaryOp.LOG, 0, 0); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT, 0, 0); }
    public Tensor rsqrt() { return unary(UnaryOp.RSQRT, 0, 0); }
    public Tensor reciprocal() { return unary(UnaryOp.RECIPROCAL, 0, 0); }
    public Tensor square() { return unary(UnaryOp.SQUARE, 0, 0); }
    public Tensor tanh() { return unary(UnaryOp.TANH, 0, 0); }
    public Tensor erf() { return unary(UnaryOp.ERF, 0, 0); }
    /** Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)). */
    public Tensor gelu() { return unary(UnaryOp.GELU, 0, 0); }
    /** d gelu(x) / dx. */
    public Tensor geluGrad() { return unary(UnaryOp.GELU_GRAD, 0, 0); }
    public Tensor relu() { return unary(UnaryOp.RELU, 0, 0); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID, 0, 0); }
    public Tensor pow(float exponent) { return unary(UnaryOp.POW, exponent, 0); }
    public Tensor add(float s) { return unary(UnaryOp.AFFINE, 1f, s); }
    public Tensor sub(float s) { return unary(UnaryOp.AFFINE, 1f, -s); }
    public Tensor mul(float s) { return unary(UnaryOp.AFFINE, s, 0f); }
    /** x / s, computed as x * (1/s). */
    public Tensor div(float s) { return unary(UnaryOp.AFFINE, 1f / s, 0f); }
    /** x * scale + shift in one pass. */
    public Tensor affine(float scale, float shift) { return unary(UnaryOp.AFFINE, scale, shift); }

    public Tensor clamp(float min, float max) {
        if (min > max) throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        return unary(UnaryOp.CLAMP, min, max);
    }

    public Tensor clampMin(float min) { return unary(UnaryOp.CLAMP, min, Float.POSITIVE_INFINITY); }
    public Tensor clampMax(float max) { return unary(UnaryOp.CLAMP, Float.NEGATIVE_INFINITY, max); }

    /** op(this, other) with broadcasting; comparisons give 1.0 / 0.0. */
    public Tensor apply(BinaryOp op, Tensor other) { return binary(op, other); }

    private Tensor binary(BinaryOp op, Tensor other) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        requireFloat(name);
        other.requireFloat(name);
        sameDevice(name, other);
        Shape out = Shape.broadcast(name, shape, other.shape);
        Tensor r = empty(out, DType.FLOAT32, device());
        backend().binary(op, broadcastTo(out), other.broadcastTo(out), r);
        return r;
    }

    private Tensor binaryScalar(BinaryOp op, float s) {
        return binary(op, full(Shape.scalar(), s, device()));
    }

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor pow(Tensor o) { return binary(BinaryOp.POW, o); }
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MINIMUM, o); }
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAXIMUM, o); }
    public Tensor eq(Tensor o) { return binary(BinaryOp.EQ, o); }
    public Tensor ne(Tensor o) { return binary(BinaryOp.NE, o); }
    public Tensor lt(Tensor o) { return binary(BinaryOp.LT, o); }
    public Tensor le(Tensor o) { return binary(BinaryOp.LE, o); }
    public Tensor gt(Tensor o) { return binary(BinaryOp.GT, o); }
    public Tensor ge(Tensor o) { return binary(BinaryOp.GE, o); }
    public Tensor eq(float s) { return binaryScalar(BinaryOp.EQ, s); }
    public Tensor ne(float s) { return binaryScalar(BinaryOp.NE, s); }
    public Tensor lt(float s) { return binaryScalar(BinaryOp.LT, s); }
    public Tensor le(float s) { return binaryScalar(BinaryOp.LE, s); }
    public Tensor gt(float s) { return binaryScalar(BinaryOp.GT, s); }
    public Tensor ge(float s) { return binaryScalar(BinaryOp.GE, s); }
    /** s / x. */
    public Tensor rdiv(float s) { return full(Shape.scalar(), s, device()).div(this); }

    /** cond != 0 ? a : b, broadcasting all three. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        cond.requireFloat("where (condition)");
        a.requireFloat("where");
        b.requireFloat("where");
        a.sameDevice("where", b);
        a.sameDevice("where", cond);
        Shape out = Shape.broadcast("where", Shape.broadcast("where", cond.shape, a.shape), b.shape);
        Tensor r = empty(out, DType.FLOAT32, a.device());
        a.backend().where(cond.broadcastTo(out), a.broadcastTo(out), b.broadcastTo(out), r);
        return r;
    }

    /** alpha * a + beta * b with broadcasting. */
    public static Tensor linearCombination(float alpha, Tensor a, float beta, Tensor b) {
        a.requireFloat("linearCombination");
        b.requireFloat("linearCombination");
        a.sameDevice("linearCombination", b);
        Shape out = Shape.broadcast("linearCombination", a.shape, b.shape);
        Tensor r = empty(out, DType.FLOAT32, a.device());
        a.backend().linearCombination(alpha, a.broadcastTo(out), beta, b.broadcastTo(out), r);
        return r;
    }

    // ------------------------------------------------------------------ in place

    /** this += other (other broadcast to this shape). */
    public Tensor addInPlace(Tensor other) {
        return binaryInPlace(BinaryOp.ADD, other, "addInPlace");
    }

    /** this += alpha * other. */
    public Tensor addInPlace(Tensor other, float alpha) {
        return combineInPlace(1f, alpha, other, "addInPlace");
    }

    public Tensor subInPlace(Tensor other) {
        return binaryInPlace(BinaryOp.SUB, other, "subInPlace");
    }

    public Tensor mulInPlace(Tensor other) {
        return binaryInPlace(BinaryOp.MUL, other, "mulInPlace");
    }

    public Tensor divInPlace(Tensor other) {
        return binaryInPlace(BinaryOp.DIV, other, "divInPlace");
    }

    public Tensor maximumInPlace(Tensor other) {
        return binaryInPlace(BinaryOp.MAXIMUM, other, "maximumInPlace");
    }

    public Tensor mulInPlace(float s) {
        return unaryInPlace(UnaryOp.AFFINE, s, 0f, "mulInPlace");
    }

    public Tensor addInPlace(float s) {
        return unaryInPlace(UnaryOp.AFFINE, 1f, s, "addInPlace");
    }

    public Tensor clampInPlace(float min, float max) {
        if (min > max) throw new IllegalArgumentException("clampInPlace: min " + min + " is greater than max " + max);
        return unaryInPlace(UnaryOp.CLAMP, min, max, "clampInPlace");
    }

    /** Applies a unary function in place. */
    public Tensor applyInPlace(UnaryOp op, float a, float b) {
        return unaryInPlace(op, a, b, op.name().toLowerCase(java.util.Locale.ROOT) + "InPlace");
    }

    /** this = alpha * this + beta * other. */
    public Tensor scaleAddInPlace(float alpha, float beta, Tensor other) {
        return combineInPlace(alpha, beta, other, "scaleAddInPlace");
    }

    /** this += weight * (end - this): the EMA step teacher = m * teacher + (1 - m) * student with weight 1 - m. */
    public Tensor lerpInPlace(Tensor end, float weight) {
        return combineInPlace(1f - weight, weight, end, "lerpInPlace");
    }

    /**
     * One fused AdamW step on this parameter, in place (see {@link Backend#adamw}); all four tensors
     * must be contiguous float32 of one shape on one device.
     */
    public Tensor adamwInPlace(Tensor grad, Tensor expAvg, Tensor expAvgSq, float lr, float beta1, float beta2, float eps,
                               float weightDecay, int step) {
        for (Tensor t : new Tensor[] {this, grad, expAvg, expAvgSq}) {
            t.requireFloat("adamw");
            sameDevice("adamw", t);
            if (!t.shape.equals(shape) || !t.isContiguous()) {
                throw new IllegalArgumentException("adamw: every tensor must be contiguous with shape " + shape + ", got " + t.describe()
                        + (t.isContiguous() ? "" : " (not contiguous)"));
            }
        }
        if (step < 1) throw new IllegalArgumentException("adamw: step must be >= 1, got " + step);
        backend().adamw(this, grad, expAvg, expAvgSq, lr, beta1, beta2, eps, weightDecay, step);
        return this;
    }

    /** Sets every element to value. */
    public Tensor fill(float value) {
        checkWritable("fill");
        backend().fill(this, value);
        return this;
    }

    public Tensor zero() {
        return fill(0f);
    }

    /** Copies src (broadcast to this shape) into this tensor. */
    public Tensor copyFrom(Tensor src) {
        checkWritable("copyFrom");
        sameDevice("copyFrom", src);
        requireBroadcastableInto("copyFrom", src);
        backend().copy(src.broadcastTo(shape), this);
        return this;
    }

    private Tensor binaryInPlace(BinaryOp op, Tensor other, String name) {
        requireFloat(name);
        other.requireFloat(name);
        checkWritable(name);
        sameDevice(name, other);
        requireBroadcastableInto(name, other);
        backend().binary(op, this, other.broadcastTo(shape), this);
        return this;
    }

    private Tensor combineInPlace(float alpha, float beta, Tensor other, String name) {
        requireFloat(name);
        other.requireFloat(name);
        checkWritable(name);
        sameDevice(name, other);
        requireBroadcastableInto(name, other);
        backend().linearCombination(alpha, this, beta, other.broadcastTo(shape), this);
        return this;
    }

    private Tensor unaryInPlace(UnaryOp op, float a, float b, String name) {
        requireFloat(name);
        checkWritable(name);
        backend().unary(op, this, a, b, this);
        return this;
    }

    private void requireBroadcastableInto(String op, Tensor other) {
        Shape b = Shape.broadcast(op, shape, other.shape);
        if (!b.equals(shape)) {
            throw new IllegalArgumentException(op + ": shape " + other.shape + " cannot be broadcast into the destination shape " + shape);
        }
    }

    private void checkWritable(String op) {
        checkOpen(op);
        for (int d = 0; d < rank(); d++) {
            if (strides[d] == 0 && shape.size(d) > 1) {
                throw new IllegalArgumentException(op + ": cannot write in place into an expanded (broadcast) view of shape "
                        + shape + " with strides " + Arrays.toString(strides) + "; make it contiguous() first");
            }
        }
    }

    // ------------------------------------------------------------------ reductions

    private Tensor reduce(ReduceOp op, int[] dims, boolean keepdim, int correction) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        requireFloat(name);
        boolean[] reduced = new boolean[rank()];
        if (dims.length == 0) Arrays.fill(reduced, true);
        for (int dim : dims) {
            int d = shape.normalize(dim, name);
            if (reduced[d] && dims.length > 0) {
                throw new IllegalArgumentException(name + ": dimension " + dim + " listed twice in " + Arrays.toString(dims));
            }
            reduced[d] = true;
        }
        int count = 0;
        long n = 1;
        for (int d = 0; d < rank(); d++) {
            if (reduced[d]) {
                count++;
                n *= shape.size(d);
            }
        }
        int[] rd = new int[count];
        int[] keep = shape.toArray();
        for (int d = 0, k = 0; d < rank(); d++) {
            if (reduced[d]) {
                rd[k++] = d;
                keep[d] = 1;
            }
        }
        if (n == 0 && op != ReduceOp.SUM && op != ReduceOp.MEAN) {
            throw new IllegalArgumentException(name + ": cannot reduce over an empty dimension (shape " + shape + ")");
        }
        boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
        if (arg && count != 1) {
            throw new IllegalArgumentException(name + ": needs exactly one dimension, got " + count + " for shape " + shape);
        }
        Tensor out = empty(Shape.of(keep), arg ? DType.INT32 : DType.FLOAT32, device());
        backend().reduce(op, this, rd, correction, out);
        if (keepdim) return out;
        int[] kept = new int[rank() - count];
        for (int d = 0, k = 0; d < rank(); d++) if (!reduced[d]) kept[k++] = shape.size(d);
        return out.view(kept);
    }

    /** Sum of all elements (a 0-dimensional tensor). */
    public Tensor sum() { return reduce(ReduceOp.SUM, new int[0], false, 0); }
    public Tensor sum(int dim, boolean keepdim) { return reduce(ReduceOp.SUM, new int[] {dim}, keepdim, 0); }
    public Tensor sum(int[] dims, boolean keepdim) { return reduce(ReduceOp.SUM, requireDims(dims, "sum"), keepdim, 0); }
    public Tensor mean() { return reduce(ReduceOp.MEAN, new int[0], false, 0); }
    public Tensor mean(int dim, boolean keepdim) { return reduce(ReduceOp.MEAN, new int[] {dim}, keepdim, 0); }
    public Tensor mean(int[] dims, boolean keepdim) { return reduce(ReduceOp.MEAN, requireDims(dims, "mean"), keepdim, 0); }
    public Tensor max() { return reduce(ReduceOp.MAX, new int[0], false, 0); }
    public Tensor max(int dim, boolean keepdim) { return reduce(ReduceOp.MAX, new int[] {dim}, keepdim, 0); }
    public Tensor min() { return reduce(ReduceOp.MIN, new int[0], false, 0); }
    public Tensor min(int dim, boolean keepdim) { return reduce(ReduceOp.MIN, new int[] {dim}, keepdim, 0); }
    /** Index (int32) of the largest element along dim; the first one on ties. */
    public Tensor argmax(int dim, boolean keepdim) { return reduce(ReduceOp.ARGMAX, new int[] {dim}, keepdim, 0); }
    public Tensor argmin(int dim, boolean keepdim) { return reduce(ReduceOp.ARGMIN, new int[] {dim}, keepdim, 0); }
    /** Variance over dims with the given correction (1 = unbiased, as torch.var's default). */
    public Tensor var(int[] dims, boolean keepdim, int correction) { return reduce(ReduceOp.VAR, requireDims(dims, "var"), keepdim, correction); }
    public Tensor var(int dim, boolean keepdim) { return reduce(ReduceOp.VAR, new int[] {dim}, keepdim, 1); }
    /** L2 norm of all elements. */
    public Tensor norm() { return reduce(ReduceOp.NORM, new int[0], false, 0); }
    public Tensor norm(int dim, boolean keepdim) { return reduce(ReduceOp.NORM, new int[] {dim}, keepdim, 0); }
    public Tensor norm(int[] dims, boolean keepdim) { return reduce(ReduceOp.NORM, requireDims(dims, "norm"), keepdim, 0); }

    /** x / max(||x||_2, eps) along dim, as torch.nn.functional.normalize (and {@code Variable.normalize}). */
    public Tensor normalize(int dim, float eps) {
        return div(norm(new int[] {dim}, true).clampMin(eps));
    }

    private static int[] requireDims(int[] dims, String op) {
        if (dims.length == 0) throw new IllegalArgumentException(op + ": empty list of dimensions; call " + op + "() to reduce all");
        return dims;
    }

    // ------------------------------------------------------------------ linear algebra and fused ops

    /**
     * Matrix product with NumPy semantics: 1-D operands are promoted to a row/column and squeezed back,
     * leading (batch) dimensions broadcast, and transposed views are read without copying.
     */
    public Tensor matmul(Tensor other) {
        requireFloat("matmul");
        other.requireFloat("matmul");
        sameDevice("matmul", other);
        if (rank() == 0 || other.rank() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least 1 dimension, got " + shape + " and " + other.shape);
        }
        Tensor a = rank() == 1 ? borrow(Shape.of(1, size(0)), new int[] {0, strides[0]}) : this;
        Tensor b = other.rank() == 1 ? other.borrow(Shape.of(other.size(0), 1), new int[] {other.strides[0], 0}) : other;
        int m = a.size(-2), k = a.size(-1), k2 = b.size(-2), n = b.size(-1);
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + shape + " and " + other.shape + " are not aligned (" + k + " != " + k2 + ")");
        }
        Shape batchA = Shape.of(Arrays.copyOf(a.dims(), a.rank() - 2));
        Shape batchB = Shape.of(Arrays.copyOf(b.dims(), b.rank() - 2));
        Shape batch = Shape.broadcast("matmul", batchA, batchB);
        int[] outDims = Arrays.copyOf(batch.toArray(), batch.rank() + 2);
        outDims[batch.rank()] = m;
        outDims[batch.rank() + 1] = n;
        int[] aDims = outDims.clone();
        aDims[batch.rank() + 1] = k;
        int[] bDims = outDims.clone();
        bDims[batch.rank()] = k;
        Tensor out = empty(Shape.of(outDims), DType.FLOAT32, device());
        backend().matmul(a.broadcastTo(Shape.of(aDims)), b.broadcastTo(Shape.of(bDims)), out);
        if (rank() == 1 && other.rank() == 1) return out.view();
        if (rank() == 1) return out.squeeze(-2);
        if (other.rank() == 1) return out.squeeze(-1);
        return out;
    }

    /**
     * this other + bias for a 2-D this [M, K] and other [K, N] (transposed views read in place) and a
     * bias [N] added to every row: a linear layer's x W^T + b in one pass where the backend fuses the add
     * into the product (the CPU's GEMM does), with the same values as {@code matmul(other).add(bias)}.
     */
    public Tensor matmul(Tensor other, Tensor bias) {
        requireFloat("matmul");
        other.requireFloat("matmul");
        bias.requireFloat("matmul");
        sameDevice("matmul", other);
        sameDevice("matmul", bias);
        if (rank() != 2 || other.rank() != 2 || bias.rank() != 1) {
            throw new IllegalArgumentException("matmul with bias: needs 2-D operands and a 1-D bias, got " + shape + ", " + other.shape
                    + " and " + bias.shape);
        }
        if (size(1) != other.size(0) || bias.size(0) != other.size(1)) {
            throw new IllegalArgumentException("matmul with bias: shapes " + shape + ", " + other.shape + " and bias " + bias.shape
                    + " are not aligned");
        }
        Tensor out = empty(Shape.of(size(0), other.size(1)), DType.FLOAT32, device());
        backend().matmulBias(this, other, bias, out);
        return out;
    }

    /** softmax(x / temperature) over the last dimension. */
    public Tensor softmax(float temperature) {
        return softmaxLike(temperature, false, "softmax");
    }

    public Tensor softmax() {
        return softmax(1f);
    }

    /** log softmax(x / temperature) over the last dimension. */
    public Tensor logSoftmax(float temperature) {
        return softmaxLike(temperature, true, "logSoftmax");
    }

    public Tensor logSoftmax() {
        return logSoftmax(1f);
    }

    /** Softmax over any dimension (moved to the end and back). */
    public Tensor softmax(int dim, float temperature) {
        int d = shape.normalize(dim, "softmax");
        if (d == rank() - 1) return softmax(temperature);
        return movedim(d, -1).softmax(temperature).movedim(-1, d);
    }

    private Tensor softmaxLike(float temperature, boolean log, String name) {
        requireFloat(name);
        if (rank() == 0) throw new IllegalArgumentException(name + ": needs at least 1 dimension, got a scalar");
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException(name + ": temperature must be positive and finite, got " + temperature);
        }
        Tensor out = empty(shape, DType.FLOAT32, device());
        if (numel() > 0) backend().softmax(this, temperature, log, out);
        return out;
    }

    /**
     * Gradient of {@code softmax(x / T)} (or {@code logSoftmax}) over the last dimension, called on the
     * op's output y with the output gradient g.
     */
    public Tensor softmaxBackward(Tensor grad, float temperature, boolean log) {
        requireFloat("softmaxBackward");
        grad.requireFloat("softmaxBackward");
        sameDevice("softmaxBackward", grad);
        if (!grad.shape.equals(shape)) {
            throw new IllegalArgumentException("softmaxBackward: gradient shape " + grad.shape + " does not match output shape " + shape);
        }
        Tensor out = empty(shape, DType.FLOAT32, device());
        if (numel() > 0) backend().softmaxBackward(contiguous(), grad.contiguous(), temperature, log, out);
        return out;
    }

    /**
     * LayerNorm backward from the statistics of {@link #layerNormWithStats}: returns {gradX, gradWeight,
     * gradBias}, the last two null unless requested.
     */
    public Tensor[] layerNormBackward(Tensor weight, LayerNormResult saved, Tensor gradOut, boolean wantWeight, boolean wantBias) {
        requireFloat("layerNormBackward");
        if (!gradOut.shape.equals(shape)) {
            throw new IllegalArgumentException("layerNormBackward: gradient shape " + gradOut.shape + " does not match input shape " + shape);
        }
        int c = size(-1);
        Tensor gx = empty(shape, DType.FLOAT32, device());
        Tensor gw = wantWeight ? empty(Shape.of(c), DType.FLOAT32, device()) : null;
        Tensor gb = wantBias ? empty(Shape.of(c), DType.FLOAT32, device()) : null;
        if (numel() > 0) {
            backend().layerNormBackward(contiguous(), weight == null ? null : weight.contiguous(), saved.mean(), saved.rstd(),
                    gradOut.contiguous(), gx, gw, gb);
        } else {
            if (gw != null) gw.zero();
            if (gb != null) gb.zero();
        }
        return new Tensor[] {gx, gw, gb};
    }

    /** LayerNorm over the last dimension; weight and bias ([C]) may be null. */
    public Tensor layerNorm(Tensor weight, Tensor bias, float eps) {
        return layerNormWithStats(weight, bias, eps).output();
    }

    /** LayerNorm returning the per-row mean and 1/std that the backward pass reuses. */
    public LayerNormResult layerNormWithStats(Tensor weight, Tensor bias, float eps) {
        requireFloat("layerNorm");
        if (rank() == 0) throw new IllegalArgumentException("layerNorm: needs at least 1 dimension, got a scalar");
        int c = size(-1);
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p == null) continue;
            p.requireFloat("layerNorm");
            sameDevice("layerNorm", p);
            if (p.rank() != 1 || p.size(0) != c) {
                throw new IllegalArgumentException("layerNorm: weight/bias shape " + p.shape + " does not match the normalised dimension "
                        + c + " of input " + shape);
            }
        }
        if (!(eps > 0)) throw new IllegalArgumentException("layerNorm: eps must be positive, got " + eps);
        Shape rows = Shape.of(Arrays.copyOf(dims(), rank() - 1));
        Tensor out = empty(shape, DType.FLOAT32, device());
        Tensor mean = empty(rows, DType.FLOAT32, device());
        Tensor rstd = empty(rows, DType.FLOAT32, device());
        if (numel() > 0) backend().layerNorm(this, weight, bias, eps, out, mean, rstd);
        return new LayerNormResult(out, mean, rstd);
    }

    /**
     * Batch normalisation in training of this [N, C] (N >= 1): each column normalised with its rows'
     * mean and biased variance, then scaled by weight and shifted by bias ([C], may be null); returns the
     * output and the statistics the backward pass and running averages need.
     */
    public BatchNormResult batchNormWithStats(Tensor weight, Tensor bias, float eps) {
        return batchNormWithStats(weight, bias, eps, false);
    }

    /** As {@link #batchNormWithStats(Tensor, Tensor, float)}, followed by max(., 0) when relu (one pass for both). */
    public BatchNormResult batchNormWithStats(Tensor weight, Tensor bias, float eps, boolean relu) {
        requireFloat("batchNorm");
        if (rank() != 2 || size(0) < 1) throw new IllegalArgumentException("batchNorm: input must be [N >= 1, C], got " + shape);
        int c = size(1);
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p == null) continue;
            p.requireFloat("batchNorm");
            sameDevice("batchNorm", p);
            if (p.rank() != 1 || p.size(0) != c) {
                throw new IllegalArgumentException("batchNorm: weight/bias shape " + p.shape + " does not match the " + c + " columns of input " + shape);
            }
        }
        if (!(eps > 0)) throw new IllegalArgumentException("batchNorm: eps must be positive, got " + eps);
        Tensor out = empty(shape, DType.FLOAT32, device());
        Tensor mean = empty(Shape.of(c), DType.FLOAT32, device()), var = empty(Shape.of(c), DType.FLOAT32, device());
        Tensor rstd = empty(Shape.of(c), DType.FLOAT32, device());
        if (c > 0) {
            backend().batchNorm(contiguous(), weight == null ? null : weight.contiguous(), bias == null ? null : bias.contiguous(), eps,
                    relu, out, mean, var, rstd);
        }
        return new BatchNormResult(out, mean, var, rstd);
    }

    /**
     * Batch-norm backward from the statistics of {@link #batchNormWithStats}, with the weight and bias
     * of the forward and its relu flag: returns {gradX, gradWeight, gradBias}, the last two null unless requested.
     */
    public Tensor[] batchNormBackward(Tensor weight, Tensor bias, BatchNormResult saved, boolean relu, Tensor gradOut, boolean wantWeight,
                                      boolean wantBias) {
        requireFloat("batchNormBackward");
        if (!gradOut.shape.equals(shape)) {
            throw new IllegalArgumentException("batchNormBackward: gradient shape " + gradOut.shape + " does not match input shape " + shape);
        }
        int c = size(1);
        Tensor gx = empty(shape, DType.FLOAT32, device());
        Tensor gw = wantWeight ? empty(Shape.of(c), DType.FLOAT32, device()) : null;
        Tensor gb = wantBias ? empty(Shape.of(c), DType.FLOAT32, device()) : null;
        if (c > 0) {
            backend().batchNormBackward(contiguous(), weight == null ? null : weight.contiguous(), bias == null ? null : bias.contiguous(),
                    saved.mean(), saved.rstd(), relu, gradOut.contiguous(), gx, gw, gb);
        }
        return new Tensor[] {gx, gw, gb};
    }

    /** Bicubic resize of [N, C, H, W] to [N, C, outH, outW] (align_corners false, scale = in/out). */
    public Tensor resizeBicubic(int outH, int outW) {
        return resizeBicubic(outH, outW, false, 0, 0);
    }

    /**
     * Bicubic resize as torch.nn.functional.interpolate(mode="bicubic"). With align_corners false,
     * {@code scaleFactorH/W} > 0 reproduce a call made with scale_factor (the coordinate map then uses
     * 1/scale_factor, not in/out, which matters for DINO's position-embedding interpolation); 0 means
     * the output size alone defines the map.
     */
    public Tensor resizeBicubic(int outH, int outW, boolean alignCorners, double scaleFactorH, double scaleFactorW) {
        requireFloat("resizeBicubic");
        if (rank() != 4) throw new IllegalArgumentException("resizeBicubic: input must be [N, C, H, W], got shape " + shape);
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("resizeBicubic: output size must be positive, got " + outH + "x" + outW);
        if (size(2) == 0 || size(3) == 0) throw new IllegalArgumentException("resizeBicubic: input has an empty spatial size " + shape);
        double sh = mapScale(size(2), outH, alignCorners, scaleFactorH);
        double sw = mapScale(size(3), outW, alignCorners, scaleFactorW);
        Tensor out = empty(Shape.of(size(0), size(1), outH, outW), DType.FLOAT32, device());
        if (out.numel() > 0) backend().resizeBicubic(this, alignCorners, sh, sw, out);
        return out;
    }

    private static double mapScale(int in, int out, boolean alignCorners, double scaleFactor) {
        if (alignCorners) return out > 1 ? (in - 1) / (double) (out - 1) : 0;
        return scaleFactor > 0 ? 1.0 / scaleFactor : in / (double) out;
    }

    // ------------------------------------------------------------------ checks and lifetime

    private void requireFloat(String op) {
        checkOpen(op);
        if (dtype() != DType.FLOAT32) throw new IllegalArgumentException(op + ": needs a float32 tensor, got " + describe());
    }

    private void requireDType(DType t, String op) {
        checkOpen(op);
        if (dtype() != t) throw new IllegalArgumentException(op + ": needs a " + t + " tensor, got " + describe());
    }

    private void sameDevice(String op, Tensor other) {
        other.checkOpen(op);
        if (!device().equals(other.device())) {
            throw new IllegalArgumentException(op + ": tensors are on different devices (" + device() + " and " + other.device() + ")");
        }
    }

    private void checkOpen(String op) {
        if (closed || storage.isReleased()) throw new IllegalStateException(op + ": tensor " + shape + " was used after close()");
    }

    /** Releases this tensor's reference to its storage; further use fails. Closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            storage.release();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** "float32[2, 3] on cpu" */
    public String describe() {
        return dtype() + shape.toString() + " on " + device();
    }

    @Override
    public String toString() {
        if (closed || storage.isReleased()) return "Tensor(" + describe() + ", closed)";
        return "Tensor(shape=" + shape + ", dtype=" + dtype() + ", device=" + device() + ")\n" + TensorFormat.format(this);
    }
}
