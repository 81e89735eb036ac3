package org.lance4j.io;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * What lance4j's binary files share: big-endian, strings as int32 length + UTF-8, a CRC32 of every
 * byte after the body, and an atomic write (a temporary file in the target folder, renamed over the
 * target, so a crash never leaves a half-written file).
 */
final class BinaryIO {
    static final int MAX_STRING = 16 << 20;

    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    interface Parser<T> {
        T read(DataInputStream in) throws IOException;
    }

    private BinaryIO() { }

    static void writeAtomically(Path path, Body body) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // not createTempFile: that makes the file owner-only (0600); this one gets the usual umask
        Path tmp = dir.resolve("." + path.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            try (OutputStream fo = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                CRC32 crc = new CRC32();
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(fo, 1 << 16), crc));
                body.write(out);
                out.flush();
                new DataOutputStream(fo).writeLong(crc.getValue());
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Parses a body and checks the CRC after it and that nothing follows. {@code raw} must not buffer
     * ahead of what the parser consumes beyond its own buffer (pass a BufferedInputStream).
     */
    static <T> T readVerified(InputStream raw, String where, String again, Parser<T> parser) throws IOException {
        CRC32 crc = new CRC32();
        DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
        try {
            T t = parser.read(in);
            long expected = crc.getValue();
            long stored = new DataInputStream(raw).readLong();
            if (stored != expected) throw new FileFormatException(where + ": corrupt (checksum mismatch); " + again);
            if (raw.read() != -1) throw new FileFormatException(where + ": has trailing bytes after its checksum; the file is corrupt");
            return t;
        } catch (EOFException e) {
            throw new FileFormatException(where + ": truncated (the file ends early); " + again);
        }
    }

    static void writeHeader(DataOutputStream out, String magic, int version) throws IOException {
        out.write(magic.getBytes(StandardCharsets.US_ASCII));
        out.writeInt(version);
    }

    /**
     * Checks the 8-byte magic and the version of a {@code kind} ("model", "basis") file written by
     * {@code writer}; an older version's message ends with {@code olderFix}.
     */
    static void readHeader(DataInputStream in, String magic, int version, String where, String kind, String writer, String olderFix)
            throws IOException {
        readHeader(in, magic, version, version, where, kind, writer, olderFix);
    }

    /** As {@link #readHeader}, accepting versions oldest..newest; returns the file's version. */
    static int readHeader(DataInputStream in, String magic, int oldest, int version, String where, String kind, String writer, String olderFix)
            throws IOException {
        byte[] m = new byte[magic.length()];
        in.readFully(m);
        if (!java.util.Arrays.equals(m, magic.getBytes(StandardCharsets.US_ASCII))) {
            throw new FileFormatException(where + ": not a lance4j " + kind + " file (wrong magic); give a file written by " + writer);
        }
        int v = in.readInt();
        if (v < oldest || v > version) {
            throw new FileFormatException(where + ": " + kind + " file format " + v + " is not supported by this lance4j (it reads " + version
                    + ")" + (v > version ? "; upgrade lance4j" : olderFix));
        }
        return v;
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInputStream in, String where) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > MAX_STRING) throw new FileFormatException(where + ": corrupt (a string of length " + len + ")");
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        for (float v : a) out.writeFloat(v);
    }

    static float[] readFloats(DataInputStream in, int n) throws IOException {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = in.readFloat();
        return a;
    }
}
