package dev.dinoj.tensor.io;

import dev.dinoj.tensor.DType;
import dev.dinoj.tensor.Generator;
import dev.dinoj.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private Map<String, Tensor> sample() {
        Generator g = new Generator(5);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("blocks.0.attn.qkv.weight", Tensor.randn(g, 9, 3));
        m.put("cls_token", Tensor.randn(g, 1, 1, 3));
        m.put("transposed", Tensor.randn(g, 4, 5).t()); // written in logical (row-major) order
        m.put("scalar", Tensor.scalar(Float.NaN));
        m.put("steps", Tensor.fromIndices(new int[] {7, -3}));
        m.put("empty", Tensor.zeros(0, 4));
        return m;
    }

    @Test
    void roundTripIsBitExactWithMetadata() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        Map<String, Tensor> in = sample();
        SafeTensors.write(p, in, Map.of("num_heads", "3", "arch", "vit_tiny"));
        SafeTensors.Contents c = SafeTensors.read(p);
        assertThat(c.tensors().keySet()).containsExactlyElementsOf(in.keySet());
        assertThat(c.metadata()).containsEntry("num_heads", "3").containsEntry("arch", "vit_tiny");
        for (String k : in.keySet()) {
            Tensor a = in.get(k), b = c.tensors().get(k);
            assertThat(b.dims()).as(k).containsExactly(a.dims());
            assertThat(b.dtype()).isEqualTo(a.dtype());
            if (a.dtype() == DType.INT32) {
                assertThat(b.toIntArray()).containsExactly(a.toIntArray());
            } else {
                int[] x = bits(a.toFloatArray()), y = bits(b.toFloatArray());
                assertThat(y).as(k).containsExactly(x);
            }
        }
        // header length is a multiple of 8 so the data section is aligned
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();
        assertThat(Files.list(dir).count()).as("no temporary file is left behind").isEqualTo(1);
    }

    private static int[] bits(float[] v) {
        return Arrays.stream(toObj(v)).mapToInt(Float::floatToRawIntBits).toArray();
    }

    private static Float[] toObj(float[] v) {
        Float[] o = new Float[v.length];
        for (int i = 0; i < v.length; i++) o[i] = v[i];
        return o;
    }

    @Test
    void truncatedAndCorruptFilesAreRejectedNamingTheProblem() throws IOException {
        Path p = dir.resolve("a.safetensors");
        SafeTensors.write(p, sample(), Map.of());
        byte[] good = Files.readAllBytes(p);

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(good, good.length - 10));
        assertThatThrownBy(() -> SafeTensors.read(truncated)).isInstanceOf(IOException.class)
                .hasMessageContaining("truncated.safetensors").hasMessageContaining("truncated");

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafeTensors.read(tiny)).hasMessageContaining("fewer than the 8-byte header length");

        Path garbage = dir.resolve("garbage.safetensors");
        byte[] g = good.clone();
        g[8] = (byte) '#'; // the opening brace of the header
        Files.write(garbage, g);
        assertThatThrownBy(() -> SafeTensors.read(garbage)).hasMessageContaining("not valid JSON");

        Path notSt = dir.resolve("image.png");
        Files.write(notSt, "\u0089PNG\r\n\u001a\n0000000000".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> SafeTensors.read(notSt)).hasMessageContaining("not plausible");

        Path trailing = dir.resolve("trailing.safetensors");
        byte[] t = Arrays.copyOf(good, good.length + 4);
        Files.write(trailing, t);
        assertThatThrownBy(() -> SafeTensors.read(trailing)).hasMessageContaining("the tensors describe");

        assertThatThrownBy(() -> SafeTensors.read(dir.resolve("missing.safetensors"))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing.safetensors");
    }

    @Test
    void wrongByteCountInTheHeaderIsRejected() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}";
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, file(header, new byte[20]));
        assertThatThrownBy(() -> SafeTensors.read(p)).hasMessageContaining("'w'").hasMessageContaining("needs 24 bytes");
    }

    @Test
    void halfPrecisionAndDoubleFilesAreWidenedOrNarrowedToFloat32() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(2 * 3 + 2 * 2 + 8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001); // F16: 1, -2, 2^-24
        data.putShort((short) 0x3F80).putShort((short) 0x4040);                          // BF16: 1, 3
        data.putDouble(0.1);
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[6,10]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[10,18]}}";
        Path p = dir.resolve("mixed.safetensors");
        Files.write(p, file(header, data.array()));
        SafeTensors.Contents c = SafeTensors.read(p);
        assertThat(c.tensors().get("h").toFloatArray()).containsExactly(1f, -2f, (float) Math.pow(2, -24));
        assertThat(c.tensors().get("b").toFloatArray()).containsExactly(1f, 3f);
        assertThat(c.tensors().get("d").item()).isEqualTo(0.1f);
    }

    @Test
    void aFailedWriteLeavesTheOldFileIntact() throws IOException {
        Path p = dir.resolve("keep.safetensors");
        SafeTensors.write(p, sample(), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(p);
        assertThatThrownBy(() -> AtomicFiles.write(p, ch -> {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("disk full (simulated)");
        })).hasMessageContaining("simulated");
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        assertThat(Files.list(dir).count()).isEqualTo(1);
        assertThatThrownBy(() -> SafeTensors.write(dir.resolve("no/such/dir/x.safetensors"), sample(), Map.of()))
                .hasMessageContaining("does not exist");
    }

    private static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    /**
     * 10,000 mutations of a valid file (bit flips anywhere, truncations, edits of the header's numbers
     * and strings): each one loads, or fails with an IOException that names the file. No other
     * exception, no hang, no out-of-memory from a size the header claims.
     */
    @Test
    void mutatedFilesLoadOrFailWithOneClearError() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("pos_embed", Tensor.randn(new Generator(1), 1, 5, 8));
        tensors.put("blocks.0.attn.qkv.weight", Tensor.randn(new Generator(2), 24, 8));
        tensors.put("step", Tensor.fromIndices(new int[] {3}));
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, tensors, Map.of("format", "dinoj-dino-checkpoint/1", "epoch", "2"));
        byte[] original = Files.readAllBytes(good);
        int headerEnd = 8 + (int) ByteBuffer.wrap(original, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        java.util.Random r = new java.util.Random(77);
        Path f = dir.resolve("mutated.safetensors");
        int loaded = 0, refused = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] b = original.clone();
            switch (i % 4) {
                case 0: // bit flips, mostly in the header where they matter
                    for (int k = 1 + r.nextInt(3); k > 0; k--) {
                        int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(headerEnd);
                        b[at] ^= (byte) (1 << r.nextInt(8));
                    }
                    break;
                case 1: // truncation
                    b = Arrays.copyOf(b, r.nextInt(b.length));
                    break;
                case 2: { // a digit of the header replaced by another character
                    int at = 8 + r.nextInt(headerEnd - 8);
                    byte[] pool = "0123456789-.e,:[]\"aZ ".getBytes(StandardCharsets.US_ASCII);
                    b[at] = pool[r.nextInt(pool.length)];
                    break;
                }
                default: { // a number of the header made huge or negative
                    String h = new String(b, 8, headerEnd - 8, StandardCharsets.US_ASCII);
                    String[] huge = {"2147483648", "-1", "1073741824", "9223372036854775807", "0", "99999999999999999999"};
                    String m = h.replaceFirst("(?<=[\\[,])\\d+", huge[r.nextInt(huge.length)]);
                    byte[] hb = m.getBytes(StandardCharsets.US_ASCII);
                    ByteBuffer nb = ByteBuffer.allocate(8 + hb.length + (b.length - headerEnd)).order(ByteOrder.LITTLE_ENDIAN);
                    nb.putLong(hb.length).put(hb).put(b, headerEnd, b.length - headerEnd);
                    b = nb.array();
                }
            }
            Files.write(f, b);
            try {
                SafeTensors.read(f);
                loaded++;
            } catch (IOException e) {
                assertThat(e.getMessage()).as("mutation %d", i).contains(f.toString());
                refused++;
            } catch (RuntimeException | OutOfMemoryError e) {
                throw new AssertionError("mutation " + i + " (kind " + i % 4 + ") escaped as " + e, e);
            }
        }
        assertThat(refused).isGreaterThan(5_000);
        assertThat(loaded).isPositive(); // flips inside tensor data load (as different numbers)
    }

    @Test
    void elementCountsThatOverflowAreRefused() throws IOException {
        assertThatThrownBy(() -> Tensor.zeros(1 << 30, 1 << 30, 16)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^63");
        assertThatThrownBy(() -> Tensor.zeros(1 << 30, 1 << 30)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than the supported");
        // a header entry whose shape multiplies out past 2^64 (0 modulo 2^64) with no bytes
        String json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824,16],\"data_offsets\":[0,0]}}";
        byte[] h = json.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("overflow.safetensors");
        Files.write(f, b.array());
        assertThatThrownBy(() -> SafeTensors.read(f)).isInstanceOf(IOException.class).hasMessageContaining(f.toString()).hasMessageContaining("'x'");
        // an empty tensor is valid whatever its other dimensions
        byte[] e = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2,0],\"data_offsets\":[0,0]}}".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer eb = ByteBuffer.allocate(8 + e.length).order(ByteOrder.LITTLE_ENDIAN);
        eb.putLong(e.length).put(e);
        Files.write(f, eb.array());
        assertThat(SafeTensors.read(f).tensors().get("x").numel()).isZero();
    }

    @Test
    void headerEntriesOfTheWrongJsonTypeAreRefusedNamingTheTensor() throws IOException {
        String[] entries = {"{\"dtype\":\"F32\",\"shape\":\"abc\",\"data_offsets\":[0,4]}", "{\"dtype\":\"F32\",\"shape\":[\"a\"],\"data_offsets\":[0,4]}",
            "{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}", "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":1}}",
            "{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}", "[1,2]", "{\"shape\":[1],\"data_offsets\":[0,4]}"};
        for (String entry : entries) {
            byte[] h = ("{\"x\":" + entry + "}").getBytes(StandardCharsets.US_ASCII);
            ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(h.length).put(h).putFloat(1f);
            Path f = dir.resolve("wrong-type.safetensors");
            Files.write(f, b.array());
            assertThatThrownBy(() -> SafeTensors.read(f)).as(entry).isInstanceOf(IOException.class).hasMessageContaining(f.toString());
        }
    }

    @Test
    void writtenFilesGetTheUmasksPermissionsOrThoseOfTheFileTheyReplace() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.createFile(dir.resolve("plain")); // what the umask gives a new file
        Path f = dir.resolve("perm.safetensors");
        SafeTensors.write(f, Map.of("x", Tensor.zeros(2)), Map.of());
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(Files.getPosixFilePermissions(plain));
        java.util.Set<java.nio.file.attribute.PosixFilePermission> custom = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----");
        Files.setPosixFilePermissions(f, custom);
        SafeTensors.write(f, Map.of("x", Tensor.ones(2)), Map.of());
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(custom);
        Files.writeString(dir.resolve(".perm.safetensors.00ff.tmp"), "left by a killed write");
        Files.writeString(dir.resolve(".perm.safetensors.notours.tmp"), "someone else's");
        assertThat(AtomicFiles.removeStaleTemporaries(dir, "perm.safetensors")).isEqualTo(1);
        assertThat(dir.resolve(".perm.safetensors.notours.tmp")).exists();
    }
}
