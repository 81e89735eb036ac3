package org.lance4j.app;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.lance4j.data.DataFormatException;
import org.lance4j.data.Dataset;
import org.lance4j.tensor.Shape;

/**
 * Image folders: one subfolder per class (sorted by name → label 0, 1, …), images in PNG/JPEG/BMP/GIF
 * read through ImageIO, converted to RGB and resized to S×S (bilinear). Desktop only: ImageIO lives in
 * java.desktop, which the device image does not ship.
 */
public final class ImageFolder {
    private static final List<String> EXT = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    private ImageFolder() { }

    public static Dataset read(Path dir, int size) {
        if (!Files.isDirectory(dir)) throw new DataFormatException(dir + ": no such folder");
        List<Path> classes;
        try (Stream<Path> s = Files.list(dir)) {
            classes = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new DataFormatException(dir + ": cannot be listed (" + e.getMessage() + ")", e);
        }
        if (classes.size() < 2) {
            throw new DataFormatException(dir + ": needs one subfolder per class (at least 2), found " + classes.size());
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            try (Stream<Path> s = Files.list(classes.get(c))) {
                List<Path> imgs = s.filter(p -> EXT.stream().anyMatch(e -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(e)))
                        .sorted().toList();
                if (imgs.isEmpty()) throw new DataFormatException(classes.get(c) + ": class folder holds no PNG/JPEG/BMP/GIF images");
                for (Path p : imgs) {
                    files.add(p);
                    labels.add(c);
                }
            } catch (IOException e) {
                throw new DataFormatException(classes.get(c) + ": cannot be listed (" + e.getMessage() + ")", e);
            }
        }
        int per = 3 * size * size;
        byte[] px = new byte[files.size() * per];
        int[] y = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            BufferedImage img;
            try {
                img = ImageIO.read(files.get(i).toFile());
            } catch (IOException e) {
                throw new DataFormatException(files.get(i) + ": unreadable image (" + e.getMessage() + "); remove or replace it", e);
            }
            if (img == null) throw new DataFormatException(files.get(i) + ": not an image ImageIO can decode; remove or convert it");
            BufferedImage rgb = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = rgb.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(img, 0, 0, size, size, null);
            g.dispose();
            for (int yy = 0; yy < size; yy++) {
                for (int xx = 0; xx < size; xx++) {
                    int v = rgb.getRGB(xx, yy);
                    int o = i * per + yy * size + xx;
                    px[o] = (byte) (v >> 16);
                    px[o + size * size] = (byte) (v >> 8);
                    px[o + 2 * size * size] = (byte) v;
                }
            }
            y[i] = labels.get(i);
        }
        return new Dataset("folder:" + dir, Shape.of(3, size, size), px, y, classes.size());
    }
}
