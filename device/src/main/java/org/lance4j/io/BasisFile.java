package org.lance4j.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.lance4j.compress.ConvBasis;
import org.lance4j.compress.SubspaceMemory;
import org.lance4j.graph.Model;
import org.lance4j.graph.Param;

/**
 * The LANCE basis file, version 2 (big-endian, {@link BinaryIO} conventions):
 * <pre>
 * "L4JBASIS"        8-byte magic
 * int32 version     2
 * string model      fingerprint of the model it was calibrated on (SHA-256 of architecture and every tensor)
 * int32 n, n × (string key, string value)   settings: energy, batches, batch, project_batch, data, provenance
 * int32 layers, per layer: string node, int32 layout (0: modes (B, C, H, W); 1: unfolded (B, C·K·K, L, 1)),
 *                          int32 B, C, H, W, int32 r_B (0: batch not projected), r_C, r_H, r_W,
 *                          float32 U_B (B, r_B) if projected, U_C (C, r_C), U_H (H, r_H), U_W (W, r_W)
 * int32 memories, per memory: string node, int32 D, k, float32 P (D, k)     continual learning (Phase III)
 * int64 crc32
 * </pre>
 * Version 1 (no layout word, no memories) still loads. The device reads a file with {@code keepMemory}
 * false: the memories are checked and skipped, never held — LANCE-CL trains from the bases alone.
 * Loading checks the fingerprint against the model it is used with and the batch size against the
 * graph's, refusing a basis made for another model or batch size with a message saying what to do.
 */
public final class BasisFile {
    public static final String MAGIC = "L4JBASIS";
    public static final int VERSION = 2;
    static final int OLDEST = 1;

    /**
     * @param memory the continual-learning memories by node (empty when none or when read without them)
     * @param memoryBytes bytes of the memories in the file (also when they were skipped)
     */
    public record Contents(String modelFingerprint, Map<String, String> settings, Map<String, ConvBasis> layers,
                           Map<String, SubspaceMemory> memory, long memoryBytes) {
        /** Refuses this basis for another model or another batch size. */
        public void checkFor(Model model, int batch, String where) {
            String fp = fingerprint(model);
            if (!fp.equals(modelFingerprint)) {
                throw new FileFormatException(where + ": was calibrated for another model (fingerprint " + modelFingerprint.substring(0, 12)
                        + "…, this model is " + fp.substring(0, 12) + "…); run ./lance4j calibrate with this model file");
            }
            for (Map.Entry<String, ConvBasis> e : layers.entrySet()) {
                if (e.getValue().b() != batch) {
                    throw new FileFormatException(where + ": was calibrated with batch size " + e.getValue().b() + " but training uses "
                            + batch + "; use --batch " + e.getValue().b() + " or calibrate again with --batch " + batch);
                }
            }
        }
    }

    private BasisFile() { }

    /** SHA-256 of the architecture text and the bits of every tensor, hex. */
    public static String fingerprint(Model m) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(m.spec().toText().getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[4];
            for (Param p : m.params()) {
                d.update(p.name().getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < p.value().size(); i++) {
                    int bits = Float.floatToRawIntBits(p.value().get(i));
                    buf[0] = (byte) (bits >>> 24);
                    buf[1] = (byte) (bits >>> 16);
                    buf[2] = (byte) (bits >>> 8);
                    buf[3] = (byte) bits;
                    d.update(buf);
                }
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    public static void write(Path path, Model model, Map<String, String> settings, Map<String, ConvBasis> layers) throws IOException {
        write(path, model, settings, layers, Map.of());
    }

    public static void write(Path path, Model model, Map<String, String> settings, Map<String, ConvBasis> layers,
                             Map<String, SubspaceMemory> memory) throws IOException {
        String fp = fingerprint(model);
        BinaryIO.writeAtomically(path, out -> {
            BinaryIO.writeHeader(out, MAGIC, VERSION);
            BinaryIO.writeString(out, fp);
            Map<String, String> sorted = new TreeMap<>(settings);
            out.writeInt(sorted.size());
            for (Map.Entry<String, String> e : sorted.entrySet()) {
                BinaryIO.writeString(out, e.getKey());
                BinaryIO.writeString(out, e.getValue());
            }
            out.writeInt(layers.size());
            for (Map.Entry<String, ConvBasis> e : layers.entrySet()) {
                ConvBasis b = e.getValue();
                BinaryIO.writeString(out, e.getKey());
                out.writeInt(b.unfolded() ? 1 : 0);
                for (int v : new int[] {b.b(), b.c(), b.h(), b.w(), b.projectsBatch() ? b.rB() : 0, b.rC(), b.rH(), b.rW()}) out.writeInt(v);
                if (b.projectsBatch()) BinaryIO.writeFloats(out, b.uB());
                BinaryIO.writeFloats(out, b.uC());
                BinaryIO.writeFloats(out, b.uH());
                BinaryIO.writeFloats(out, b.uW());
            }
            out.writeInt(memory.size());
            for (Map.Entry<String, SubspaceMemory> e : memory.entrySet()) {
                BinaryIO.writeString(out, e.getKey());
                out.writeInt(e.getValue().d());
                out.writeInt(e.getValue().k());
                BinaryIO.writeFloats(out, e.getValue().p());
            }
        });
    }

    /** Reads everything, memories included (the calibrator). */
    public static Contents read(Path path) {
        return read(path, true);
    }

    /** @param keepMemory false on the device: the memories are verified and skipped, not held */
    public static Contents read(Path path, boolean keepMemory) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return read(in, path.toString(), keepMemory);
        } catch (NoSuchFileException e) {
            throw new FileFormatException(path + ": no such basis file; create one with ./lance4j calibrate ... --out " + path);
        } catch (IOException e) {
            throw new FileFormatException(path + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    public static Contents read(InputStream raw, String where) throws IOException {
        return read(raw, where, true);
    }

    public static Contents read(InputStream raw, String where, boolean keepMemory) throws IOException {
        return BinaryIO.readVerified(raw, where, "calibrate again or copy the file again", in -> {
            int version = BinaryIO.readHeader(in, MAGIC, OLDEST, VERSION, where, "basis", "./lance4j calibrate", "; calibrate again");
            String fp = BinaryIO.readString(in, where);
            int n = in.readInt();
            if (n < 0 || n > 10_000) throw new FileFormatException(where + ": corrupt (settings count " + n + ")");
            Map<String, String> settings = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) settings.put(BinaryIO.readString(in, where), BinaryIO.readString(in, where));
            int layers = in.readInt();
            if (layers < 0 || layers > 10_000) throw new FileFormatException(where + ": corrupt (layer count " + layers + ")");
            Map<String, ConvBasis> out = new LinkedHashMap<>();
            for (int l = 0; l < layers; l++) {
                String node = BinaryIO.readString(in, where);
                int layout = version >= 2 ? in.readInt() : 0;
                if (layout != 0 && layout != 1) throw new FileFormatException(where + ": corrupt (layer " + node + " has layout " + layout + ")");
                int[] v = new int[8];
                for (int i = 0; i < 8; i++) v[i] = in.readInt();
                for (int i = 0; i < 4; i++) {
                    if (v[i] < 1 || v[i] > 1 << 16 || v[i + 4] < (i == 0 ? 0 : 1) || v[i + 4] > v[i]) {
                        throw new FileFormatException(where + ": corrupt (layer " + node + " has sizes " + Arrays.toString(v) + ")");
                    }
                }
                float[] uB = v[4] > 0 ? BinaryIO.readFloats(in, v[0] * v[4]) : null;
                float[] uC = BinaryIO.readFloats(in, v[1] * v[5]);
                float[] uH = BinaryIO.readFloats(in, v[2] * v[6]);
                float[] uW = BinaryIO.readFloats(in, v[3] * v[7]);
                if (layout == 1 && v[3] != 1) throw new FileFormatException(where + ": corrupt (unfolded layer " + node + " has W = " + v[3] + ")");
                out.put(node, new ConvBasis(v[0], v[1], v[2], v[3], uB, v[4], uC, v[5], uH, v[6], uW, v[7], layout == 1));
            }
            Map<String, SubspaceMemory> memory = new LinkedHashMap<>();
            long memoryBytes = 0;
            int memories = version >= 2 ? in.readInt() : 0;
            if (memories < 0 || memories > 10_000) throw new FileFormatException(where + ": corrupt (memory count " + memories + ")");
            for (int i = 0; i < memories; i++) {
                String node = BinaryIO.readString(in, where);
                int d = in.readInt(), k = in.readInt();
                if (d < 1 || d > 1 << 24 || k < 0 || k > d) throw new FileFormatException(where + ": corrupt (memory of " + node + " is " + d + "×" + k + ")");
                memoryBytes += 4L * d * k;
                if (keepMemory) {
                    memory.put(node, new SubspaceMemory(d, k, BinaryIO.readFloats(in, d * k)));
                } else {
                    in.skipNBytes(4L * d * k);   // through the checksum stream: verified, not kept
                }
            }
            return new Contents(fp, settings, out, memory, memoryBytes);
        });
    }
}
