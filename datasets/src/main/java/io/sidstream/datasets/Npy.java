package io.sidstream.datasets;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes 2-D little-endian float32 arrays in NumPy's {@code .npy} format (version 1.0),
 * the hand-over format between the Java embedder and the Python trainer.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");

    private Npy() {}

    /** Streams rows into a {@code .npy} file whose row count is known up front. */
    public static final class Writer implements AutoCloseable {
        private final OutputStream out;
        private final int rows;
        private final int cols;
        private final ByteBuffer row;
        private int written;

        public Writer(Path file, int rows, int cols) throws IOException {
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            this.rows = rows;
            this.cols = cols;
            this.row = ByteBuffer.allocate(cols * 4).order(ByteOrder.LITTLE_ENDIAN);
            out.write(header(rows, cols));
        }

        public void write(float[] values) throws IOException {
            if (values.length != cols) {
                throw new IllegalArgumentException(
                        "row has " + values.length + " values, expected " + cols);
            }
            row.clear();
            for (float v : values) {
                row.putFloat(v);
            }
            out.write(row.array());
            written++;
        }

        @Override
        public void close() throws IOException {
            out.close();
            if (written != rows) {
                throw new IOException("wrote " + written + " rows, header promised " + rows);
            }
        }
    }

    /** Reads a whole 2-D float32 array. */
    public static float[][] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            DataInputStream data = new DataInputStream(in);
            byte[] magic = new byte[6];
            data.readFully(magic);
            for (int i = 0; i < MAGIC.length; i++) {
                if (magic[i] != MAGIC[i]) {
                    throw new IOException(file + " is not a .npy file");
                }
            }
            data.readUnsignedByte();
            data.readUnsignedByte();
            int headerLength = data.readUnsignedByte() | (data.readUnsignedByte() << 8);
            byte[] headerBytes = new byte[headerLength];
            data.readFully(headerBytes);
            String header = new String(headerBytes, StandardCharsets.US_ASCII);
            Matcher m = SHAPE.matcher(header);
            if (!header.contains("'<f4'")
                    || header.contains("'fortran_order': True")
                    || !m.find()) {
                throw new IOException(
                        file + ": only 2-D C-order little-endian float32 is supported: " + header);
            }
            int rows = Integer.parseInt(m.group(1));
            int cols = Integer.parseInt(m.group(2));
            byte[] body = data.readNBytes(rows * cols * 4);
            if (body.length != rows * cols * 4) {
                throw new IOException(file + " is truncated");
            }
            ByteBuffer buffer = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            float[][] out = new float[rows][cols];
            for (float[] r : out) {
                buffer.asFloatBuffer().get(r);
                buffer.position(buffer.position() + cols * 4);
            }
            return out;
        }
    }

    static byte[] header(int rows, int cols) {
        String dict =
                "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        // Magic (6) + version (2) + length (2) + dict + '\n' must be a multiple of 64.
        int unpadded = 10 + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        String text = dict + " ".repeat(padded - unpadded) + "\n";
        ByteBuffer header = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        header.put(text.getBytes(StandardCharsets.US_ASCII));
        return header.array();
    }
}
