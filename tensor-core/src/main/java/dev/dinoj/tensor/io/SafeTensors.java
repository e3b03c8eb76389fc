package dev.dinoj.tensor.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.GsonBuilder;
import com.google.gson.Strictness;
import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Shape;
import dev.dinoj.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data), so weights move between this library
 * and the Python ecosystem. Writes are atomic ({@link AtomicFiles}). Reads validate everything the
 * header claims against the file and reject a truncated or corrupt file with an {@link IOException}
 * naming the file and the problem. F32 and I32 are read as they are; F16, BF16 and F64 are widened or
 * narrowed to float32, I64 to int32 (range-checked).
 */
public final class SafeTensors {
    private static final long MAX_HEADER = 100L << 20;
    private static final String METADATA = "__metadata__";
    /** Gson's default parser is lenient (comments, unquoted names); a header must be real JSON. */
    private static final Gson STRICT = new GsonBuilder().setStrictness(Strictness.STRICT).create();

    private SafeTensors() {}

    /** The tensors of a file in header order, and its metadata (string to string). */
    public static final class Contents {
        private final Map<String, Tensor> tensors;
        private final Map<String, String> metadata;

        Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
            this.tensors = tensors;
            this.metadata = metadata;
        }

        public Map<String, Tensor> tensors() {
            return tensors;
        }

        public Map<String, String> metadata() {
            return metadata;
        }
    }

    /** Writes tensors (any device, any layout) and metadata atomically to path. */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add(METADATA, meta);
        }
        long offset = 0;
        List<Tensor> order = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) throw new IllegalArgumentException("safetensors: a tensor cannot be named " + METADATA);
            Tensor t = e.getValue();
            long bytes = t.numel() * t.dtype().byteSize();
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", code(t.dtype()));
            JsonArray shape = new JsonArray();
            for (int d : t.dims()) shape.add(d);
            entry.add("shape", shape);
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offs.add(offset + bytes);
            entry.add("data_offsets", offs);
            header.add(name, entry);
            order.add(t);
            offset += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data buffer starts 8-byte aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        AtomicFiles.write(path, ch -> {
            while (head.hasRemaining()) ch.write(head);
            for (Tensor t : order) writeData(ch, t);
        });
    }

    private static void writeData(FileChannel ch, Tensor t) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) (t.numel() * 4)).order(ByteOrder.LITTLE_ENDIAN);
        if (t.dtype() == DType.INT32) buf.asIntBuffer().put(t.toIntArray());
        else buf.asFloatBuffer().put(t.toFloatArray());
        while (buf.hasRemaining()) ch.write(buf);
    }

    private static String code(DType t) {
        switch (t) {
            case FLOAT32: return "F32";
            case INT32: return "I32";
            default: throw new IllegalArgumentException("safetensors: cannot write dtype " + t);
        }
    }

    /** Reads and validates a whole file into CPU tensors. */
    public static Contents read(Path path) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "safetensors file not found");
        if (Files.isDirectory(path)) throw new IOException(path + " is a directory, not a safetensors file");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw corrupt(path, "the file has " + size + " bytes, fewer than the 8-byte header length");
            ByteBuffer lenBuf = readFully(ch, 0, 8, path);
            long headerLen = lenBuf.order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER) {
                throw corrupt(path, "header length " + headerLen + " is not plausible (not a safetensors file?)");
            }
            if (8 + headerLen > size) {
                throw corrupt(path, "truncated: the header needs " + headerLen + " bytes but the file has " + (size - 8) + " after the length");
            }
            String json = StandardCharsets.UTF_8.decode(readFully(ch, 8, (int) headerLen, path)).toString();
            JsonObject header;
            try {
                JsonElement el = STRICT.fromJson(json, JsonElement.class);
                if (el == null || !el.isJsonObject()) throw corrupt(path, "the header is not a JSON object");
                header = el.getAsJsonObject();
            } catch (JsonParseException e) {
                throw corrupt(path, "the header is not valid JSON (" + e.getMessage() + ")");
            }
            long dataStart = 8 + headerLen, dataLen = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals(METADATA)) {
                    if (!e.getValue().isJsonObject()) throw corrupt(path, METADATA + " is not an object");
                    for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                        if (!m.getValue().isJsonPrimitive()) throw corrupt(path, "metadata entry '" + m.getKey() + "' is not a string");
                        metadata.put(m.getKey(), m.getValue().getAsString());
                    }
                    continue;
                }
                String name = e.getKey();
                Entry entry = Entry.parse(name, e.getValue(), path);
                if (entry.end > dataLen) {
                    throw corrupt(path, "truncated: tensor '" + name + "' needs bytes up to " + entry.end + " of the data section, which has "
                            + dataLen);
                }
                ranges.add(new long[] {entry.begin, entry.end});
                tensors.put(name, entry.load(ch, dataStart, path));
            }
            checkCoverage(ranges, dataLen, path);
            return new Contents(tensors, metadata);
        }
    }

    /** The byte ranges must tile the data section exactly: no overlaps, no holes, nothing trailing. */
    private static void checkCoverage(List<long[]> ranges, long dataLen, Path path) throws IOException {
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        long at = 0;
        for (long[] r : ranges) {
            if (r[0] != at) throw corrupt(path, "tensor byte ranges overlap or leave a gap at byte " + at + " of the data section");
            at = r[1];
        }
        if (at != dataLen) throw corrupt(path, "the data section has " + dataLen + " bytes but the tensors describe " + at);
    }

    /** A JSON integer (no fraction, no exponent beyond the integers, within long); anything else is corrupt. */
    private static long integer(JsonElement e, String what, Path path) throws IOException {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw corrupt(path, what + " is not a number: " + e);
        java.math.BigDecimal v = e.getAsBigDecimal();
        try {
            return v.longValueExact();
        } catch (ArithmeticException x) {
            throw corrupt(path, what + " is not an integer in range: " + e);
        }
    }

    private static final class Entry {
        final String name, dtype;
        final int[] shape;
        final long begin, end;

        private Entry(String name, String dtype, int[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }

        static Entry parse(String name, JsonElement el, Path path) throws IOException {
            try {
                JsonObject o = el.getAsJsonObject();
                String dtype = o.get("dtype").getAsString();
                JsonArray s = o.getAsJsonArray("shape");
                int[] shape = new int[s.size()];
                long numel = 1;
                for (int i = 0; i < shape.length; i++) {
                    long d = integer(s.get(i), "tensor '" + name + "' dimension " + i, path);
                    if (d < 0 || d > Integer.MAX_VALUE) throw corrupt(path, "tensor '" + name + "' has an invalid dimension " + d);
                    shape[i] = (int) d;
                    numel = numel > Integer.MAX_VALUE ? numel : numel * d; // stops growing once too large: no overflow
                }
                for (int d : shape) if (d == 0) numel = 0; // an empty tensor, whatever its other dimensions
                if (numel > Integer.MAX_VALUE - 8) {
                    throw corrupt(path, "tensor '" + name + "' is too large (shape " + java.util.Arrays.toString(shape) + ", more than 2^31 - 9 elements)");
                }
                JsonArray offs = o.getAsJsonArray("data_offsets");
                if (offs.size() != 2) throw corrupt(path, "tensor '" + name + "': data_offsets must be [begin, end]");
                long begin = integer(offs.get(0), "tensor '" + name + "' data_offsets", path), end = integer(offs.get(1), "tensor '" + name + "' data_offsets", path);
                int width = width(dtype, name, path);
                if (begin < 0 || end < begin || end - begin != numel * width) {
                    throw corrupt(path, "tensor '" + name + "' of dtype " + dtype + " and shape " + Shape.of(shape) + " needs " + numel * width
                            + " bytes but its data_offsets [" + begin + ", " + end + "] give " + (end - begin));
                }
                return new Entry(name, dtype, shape, begin, end);
            } catch (IllegalStateException | NullPointerException | UnsupportedOperationException | IndexOutOfBoundsException
                     | ClassCastException | NumberFormatException e) {
                throw corrupt(path, "the header entry of tensor '" + name + "' is malformed (" + e.getMessage() + ")");
            }
        }

        private static int width(String dtype, String name, Path path) throws IOException {
            switch (dtype) {
                case "F32": case "I32": return 4;
                case "F16": case "BF16": return 2;
                case "F64": case "I64": return 8;
                default: throw corrupt(path, "tensor '" + name + "' has dtype " + dtype + ", which dinoj cannot read (F32, F16, BF16, F64, I32, I64)");
            }
        }

        Tensor load(FileChannel ch, long dataStart, Path path) throws IOException {
            int n = (int) Shape.of(shape).numel();
            ByteBuffer b = readFully(ch, dataStart + begin, (int) (end - begin), path).order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case "F32": {
                    float[] v = new float[n];
                    b.asFloatBuffer().get(v);
                    return Tensor.fromArray(v, shape);
                }
                case "F64": {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = (float) b.getDouble();
                    return Tensor.fromArray(v, shape);
                }
                case "BF16": {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                    return Tensor.fromArray(v, shape);
                }
                case "F16": {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = halfToFloat(b.getShort());
                    return Tensor.fromArray(v, shape);
                }
                case "I32": {
                    int[] v = new int[n];
                    b.asIntBuffer().get(v);
                    return Tensor.fromIndices(v, shape);
                }
                case "I64": {
                    int[] v = new int[n];
                    for (int i = 0; i < n; i++) {
                        long x = b.getLong();
                        if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                            throw new IOException(path + ": tensor '" + name + "' holds int64 value " + x + ", outside the int32 range");
                        }
                        v[i] = (int) x;
                    }
                    return Tensor.fromIndices(v, shape);
                }
                default:
                    throw new AssertionError(dtype);
            }
        }
    }

    /** IEEE 754 half precision to float (Float.float16ToFloat is not in Java 17). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16, exp = (bits >>> 10) & 0x1F, mant = bits & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            float v = mant / 1024f / 16384f; // subnormal: mant * 2^-24
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length, Path path) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw corrupt(path, "truncated: unexpected end of file at byte " + pos);
            pos += r;
        }
        b.flip();
        return b;
    }

    private static IOException corrupt(Path path, String problem) {
        return new IOException("safetensors file " + path + ": " + problem);
    }
}
