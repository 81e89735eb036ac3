package org.lance4j.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
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
        BinaryIO.writeAtomically(path, out -> {
            BinaryIO.writeHeader(out, MAGIC, VERSION);
            BinaryIO.writeString(out, model.spec().toText());
            Map<String, String> sorted = new TreeMap<>(meta);
            out.writeInt(sorted.size());
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                BinaryIO.writeString(out, e.getKey());
                BinaryIO.writeString(out, e.getValue());
            }
            out.writeInt(model.params().size());
            for (Param p : model.params()) {
                BinaryIO.writeString(out, p.name());
                int[] dims = p.value().shape.dims();
                out.writeInt(dims.length);
                for (int d : dims) out.writeInt(d);
                BinaryIO.writeFloats(out, p.value().toArray());
            }
        });
    }

    public static Contents read(Path path) {
        try (InputStream fi = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return read(fi, path.toString());
        } catch (NoSuchFileException e) {
            throw new FileFormatException(path + ": no such model file; create one with ./lance4j pretrain ... --out " + path);
        } catch (IOException e) {
            throw new FileFormatException(path + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    public static Contents read(InputStream raw, String where) throws IOException {
        return BinaryIO.readVerified(raw, where, "it was damaged or not copied completely — copy it again", in -> {
            BinaryIO.readHeader(in, MAGIC, VERSION, where, "model", "./lance4j pretrain", "");
            ModelSpec spec;
            try {
                spec = ModelSpec.parse(BinaryIO.readString(in, where));
            } catch (IllegalArgumentException e) {
                throw new FileFormatException(where + ": its architecture cannot be read: " + e.getMessage());
            }
            int n = in.readInt();
            if (n < 0 || n > 10_000) throw new FileFormatException(where + ": corrupt (metadata count " + n + ")");
            Map<String, String> meta = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) meta.put(BinaryIO.readString(in, where), BinaryIO.readString(in, where));
            Model model = new Model(spec);
            int m = in.readInt();
            if (m != model.params().size()) {
                throw new FileFormatException(where + ": holds " + m + " tensors but its architecture '" + spec.name() + "' has "
                        + model.params().size() + "; the file is corrupt or was edited");
            }
            for (int t = 0; t < m; t++) {
                String name = BinaryIO.readString(in, where);
                int rank = in.readInt();
                if (rank < 1 || rank > 8) throw new FileFormatException(where + ": corrupt (tensor " + name + " has rank " + rank + ")");
                int[] dims = new int[rank];
                for (int d = 0; d < rank; d++) dims[d] = in.readInt();
                Param p = model.paramOrNull(name);
                if (p == null) throw new FileFormatException(where + ": tensor '" + name + "' is not a parameter of '" + spec.name() + "'");
                Shape s;
                try {
                    s = Shape.of(dims);
                } catch (IllegalArgumentException e) {
                    throw new FileFormatException(where + ": corrupt (tensor " + name + " has shape " + Arrays.toString(dims) + ")");
                }
                if (!s.equals(p.value().shape)) {
                    throw new FileFormatException(where + ": tensor " + name + " is " + s + " but the architecture needs " + p.value().shape);
                }
                p.value().copyFrom(BinaryIO.readFloats(in, s.size()), 0);
            }
            return new Contents(model, meta);
        });
    }
}
