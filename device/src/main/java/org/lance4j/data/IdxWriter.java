package org.lance4j.data;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes a single-channel dataset as an IDX image file and an IDX label file (gzip when the name ends in .gz). */
public final class IdxWriter {
    private IdxWriter() { }

    public static void write(Dataset d, Path images, Path labels) throws IOException {
        if (d.itemShape().dim(0) != 1) throw new IllegalArgumentException("IDX holds single-channel images; " + d.name() + " has " + d.itemShape());
        try (DataOutputStream o = open(images)) {
            o.writeInt(IdxReader.IMAGES_MAGIC);
            o.writeInt(d.size());
            o.writeInt(d.itemShape().dim(1));
            o.writeInt(d.itemShape().dim(2));
            o.write(d.pixels());
        }
        try (DataOutputStream o = open(labels)) {
            o.writeInt(IdxReader.LABELS_MAGIC);
            o.writeInt(d.size());
            for (int i = 0; i < d.size(); i++) o.write(d.label(i));
        }
    }

    private static DataOutputStream open(Path p) throws IOException {
        OutputStream raw = new BufferedOutputStream(Files.newOutputStream(p), 1 << 16);
        return new DataOutputStream(p.toString().endsWith(".gz") ? new GZIPOutputStream(raw, 1 << 16) : raw);
    }
}
