package dev.dinoj.dino.eval;

import dev.dinoj.tensor.Tensor;
import dev.dinoj.tensor.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Writes a 2-D float32 tensor as a NumPy .npy file (format 1.0, little-endian, C order), atomically. */
public final class NpyWriter {
    private NpyWriter() {}

    public static void write(Path file, Tensor matrix) throws IOException {
        if (matrix.rank() != 2) throw new IllegalArgumentException("npy: expected a [rows, columns] matrix, got " + matrix.shape());
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + matrix.size(0) + ", " + matrix.size(1) + "), }";
        int unpadded = 10 + dict.length() + 1; // magic(6) + version(2) + length(2) + dict + '\n'
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        float[] v = matrix.toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        b.asFloatBuffer().put(v);
        AtomicFiles.write(file, b.array());
    }
}
