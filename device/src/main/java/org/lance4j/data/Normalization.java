package org.lance4j.data;

import java.util.Arrays;

/** x = (pixel/255 − mean[c]) / std[c], per channel. Stored with a model so evaluation matches training. */
public record Normalization(float[] mean, float[] std) {
    public Normalization {
        if (mean.length != std.length || mean.length == 0) throw new IllegalArgumentException("mean and std need one value per channel");
        for (float s : std) if (!(s > 0f)) throw new IllegalArgumentException("std must be positive, got " + Arrays.toString(std));
        mean = mean.clone();
        std = std.clone();
    }

    public String encode() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < mean.length; i++) sb.append(i == 0 ? "" : ";").append(mean[i]).append(',').append(std[i]);
        return sb.toString();
    }

    public static Normalization decode(String s) {
        String[] parts = s.split(";");
        float[] m = new float[parts.length], d = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] p = parts[i].split(",");
            m[i] = Float.parseFloat(p[0]);
            d[i] = Float.parseFloat(p[1]);
        }
        return new Normalization(m, d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
    }
}
