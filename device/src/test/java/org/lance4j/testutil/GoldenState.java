package org.lance4j.testutil;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lance4j.tensor.Shape;

/** Reader of the golden state written by tools/make_golden_state.py (format documented there). */
public final class GoldenState {
    public static final String MAGIC = "L4JGOLD1";
    public static final int VERSION = 1;

    public record Entry(Shape shape, float[] data) { }

    public final String spec;
    public final Map<String, Entry> tensors;

    private GoldenState(String spec, Map<String, Entry> tensors) {
        this.spec = spec;
        this.tensors = tensors;
    }

    public static GoldenState read(String resource) throws IOException {
        try (InputStream in = GoldenState.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("test resource " + resource + " is missing; regenerate it with tools/make_golden_state.py");
            DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in));
            byte[] magic = new byte[8];
            d.readFully(magic);
            if (!new String(magic, StandardCharsets.US_ASCII).equals(MAGIC)) throw new IOException(resource + ": not a golden state file");
            int v = d.readInt();
            if (v != VERSION) throw new IOException(resource + ": golden state version " + v + ", expected " + VERSION);
            String spec = str(d);
            int n = d.readInt();
            Map<String, Entry> t = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = str(d);
                int rank = d.readInt();
                int[] dims = new int[rank];
                for (int j = 0; j < rank; j++) dims[j] = d.readInt();
                Shape s = rank == 0 ? Shape.of(1) : Shape.of(dims);
                float[] data = new float[s.size()];
                for (int j = 0; j < data.length; j++) data[j] = d.readFloat();
                t.put(name, new Entry(s, data));
            }
            return new GoldenState(spec, t);
        }
    }

    public Entry get(String name) {
        Entry e = tensors.get(name);
        if (e == null) throw new IllegalArgumentException("golden state has no tensor " + name);
        return e;
    }

    private static String str(DataInputStream d) throws IOException {
        byte[] b = new byte[d.readInt()];
        d.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
