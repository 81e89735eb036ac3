package org.lance4j.io;

import java.io.BufferedInputStream;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.lance4j.graph.Model;
import org.lance4j.graph.ModelSpec;
import org.lance4j.graph.Param;
import org.lance4j.tensor.Shape;

/**
 * The lance4j model file, version 1 (big-endian):
 * <pre>
 * "L4JMODEL"          8-byte magic
 * int32 version       1
 * string spec         the architecture ({@link ModelSpec} text format)
 * int32 n, n × (string key, string value)   metadata and provenance, sorted by key
 * int32 m, m × (string name, int32 rank, rank × int32 dim, float32 values)   every parameter and running statistic
 * int64 crc32         of every byte before it
 * </pre>
 * Strings are int32 length + UTF-8. Written to a temporary file in the target folder and renamed
 * over the target, so a crash never leaves a half-written model. Reading refuses, with a message
 * naming the file and the fix: a wrong magic, a newer version, a truncated or corrupt file (checksum),
 * and tensors that do not match the architecture.
 */
public final class ModelFile {
    public static final String MAGIC = "L4JMODEL";
    public static final int VERSION = 1;
    private static final int MAX_STRING = 16 << 20;

    /** A loaded model with its metadata (data spec, seed, accuracy, JDK, OS, vector width, normalization…). */
    public record Contents(Model model, Map<String, String> meta) {
        public String get(String key) {
            String v = meta.get(key);
            if (v == null) throw new IllegalArgumentException("model file has no '" + key + "' entry");
            return v;
        }
    }

    private ModelFile() { }

    public static void write(Path path, Model model, Map<String, String> meta) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // not createTempFile: that makes the file owner-only (0600); this one gets the usual umask
        Path tmp = dir.resolve("." + path.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            try (OutputStream fo = Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)) {
                CRC32 crc = new CRC32();
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(fo, 1 << 16), crc));
                out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
                out.writeInt(VERSION);
                writeString(out, model.spec().toText());
                Map<String, String> sorted = new TreeMap<>(meta);
                out.writeInt(sorted.size());
                for (Map.Entry<String, String> e : sorted.entrySet()) {
                    writeString(out, e.getKey());
                    writeString(out, e.getValue());
                }
                out.writeInt(model.params().size());
                for (Param p : model.params()) {
                    writeString(out, p.name());
                    int[] dims = p.value().shape.dims();
                    out.writeInt(dims.length);
                    for (int d : dims) out.writeInt(d);
                    for (int i = 0; i < p.value().size(); i++) out.writeFloat(p.value().get(i));
                }
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

    public static Contents read(Path path) {
        try (InputStream fi = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return read(fi, path.toString());
        } catch (NoSuchFileException e) {
            throw new ModelFileException(path + ": no such model file; create one with ./lance4j pretrain ... --out " + path);
        } catch (IOException e) {
            throw new ModelFileException(path + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    public static Contents read(InputStream raw, String where) throws IOException {
        CRC32 crc = new CRC32();
        DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
        try {
            byte[] magic = new byte[8];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC.getBytes(StandardCharsets.US_ASCII))) {
                throw new ModelFileException(where + ": not a lance4j model file (wrong magic); give a file written by ./lance4j pretrain");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new ModelFileException(where + ": model file format " + version + " is not supported by this lance4j (it reads "
                        + VERSION + ")" + (version > VERSION ? "; upgrade lance4j" : ""));
            }
            ModelSpec spec;
            try {
                spec = ModelSpec.parse(readString(in, where));
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(where + ": its architecture cannot be read: " + e.getMessage());
            }
            int n = in.readInt();
            if (n < 0 || n > 10_000) throw new ModelFileException(where + ": corrupt (metadata count " + n + ")");
            Map<String, String> meta = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) meta.put(readString(in, where), readString(in, where));
            Model model = new Model(spec);
            int m = in.readInt();
            if (m != model.params().size()) {
                throw new ModelFileException(where + ": holds " + m + " tensors but its architecture '" + spec.name() + "' has "
                        + model.params().size() + "; the file is corrupt or was edited");
            }
            for (int t = 0; t < m; t++) {
                String name = readString(in, where);
                int rank = in.readInt();
                if (rank < 1 || rank > 8) throw new ModelFileException(where + ": corrupt (tensor " + name + " has rank " + rank + ")");
                int[] dims = new int[rank];
                for (int d = 0; d < rank; d++) dims[d] = in.readInt();
                Param p = model.paramOrNull(name);
                if (p == null) throw new ModelFileException(where + ": tensor '" + name + "' is not a parameter of '" + spec.name() + "'");
                Shape s;
                try {
                    s = Shape.of(dims);
                } catch (IllegalArgumentException e) {
                    throw new ModelFileException(where + ": corrupt (tensor " + name + " has shape " + Arrays.toString(dims) + ")");
                }
                if (!s.equals(p.value().shape)) {
                    throw new ModelFileException(where + ": tensor " + name + " is " + s + " but the architecture needs " + p.value().shape);
                }
                float[] v = new float[s.size()];
                for (int i = 0; i < v.length; i++) v[i] = in.readFloat();
                p.value().copyFrom(v, 0);
            }
            long expected = crc.getValue();
            long stored = new DataInputStream(raw).readLong();
            if (stored != expected) {
                throw new ModelFileException(where + ": corrupt (checksum mismatch); the file was damaged in transfer — copy it again");
            }
            if (raw.read() != -1) throw new ModelFileException(where + ": has trailing bytes after its checksum; the file is corrupt");
            return new Contents(model, meta);
        } catch (EOFException e) {
            throw new ModelFileException(where + ": truncated (the file ends early); it was not copied completely — copy it again");
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in, String where) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > MAX_STRING) throw new ModelFileException(where + ": corrupt (a string of length " + len + ")");
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
