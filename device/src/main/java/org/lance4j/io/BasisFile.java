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
import org.lance4j.graph.Model;
import org.lance4j.graph.Param;

/**
 * The LANCE basis file, version 1 (big-endian, {@link BinaryIO} conventions):
 * <pre>
 * "L4JBASIS"        8-byte magic
 * int32 version     1
 * string model      fingerprint of the model it was calibrated on (SHA-256 of architecture and every tensor)
 * int32 n, n × (string key, string value)   settings: energy, batches, batch, project_batch, data, provenance
 * int32 layers, per layer: string node, int32 B, C, H, W, int32 r_B (0: batch not projected), r_C, r_H, r_W,
 *                          float32 U_B (B, r_B) if projected, U_C (C, r_C), U_H (H, r_H), U_W (W, r_W)
 * int64 crc32
 * </pre>
 * Loading checks the fingerprint against the model it is used with and the batch size against the
 * graph's, refusing a basis made for another model or batch size with a message saying what to do.
 */
public final class BasisFile {
    public static final String MAGIC = "L4JBASIS";
    public static final int VERSION = 1;

    public record Contents(String modelFingerprint, Map<String, String> settings, Map<String, ConvBasis> layers) {
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
                for (int v : new int[] {b.b(), b.c(), b.h(), b.w(), b.projectsBatch() ? b.rB() : 0, b.rC(), b.rH(), b.rW()}) out.writeInt(v);
                if (b.projectsBatch()) BinaryIO.writeFloats(out, b.uB());
                BinaryIO.writeFloats(out, b.uC());
                BinaryIO.writeFloats(out, b.uH());
                BinaryIO.writeFloats(out, b.uW());
            }
        });
    }

    public static Contents read(Path path) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return read(in, path.toString());
        } catch (NoSuchFileException e) {
            throw new FileFormatException(path + ": no such basis file; create one with ./lance4j calibrate ... --out " + path);
        } catch (IOException e) {
            throw new FileFormatException(path + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    public static Contents read(InputStream raw, String where) throws IOException {
        return BinaryIO.readVerified(raw, where, "calibrate again or copy the file again", in -> {
            BinaryIO.readHeader(in, MAGIC, VERSION, where, "basis", "./lance4j calibrate", "; calibrate again");
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
                out.put(node, new ConvBasis(v[0], v[1], v[2], v[3], uB, v[4], uC, v[5], uH, v[6], uW, v[7]));
            }
            return new Contents(fp, settings, out);
        });
    }
}
