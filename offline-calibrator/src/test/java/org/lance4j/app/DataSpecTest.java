package org.lance4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lance4j.data.DataFormatException;
import org.lance4j.data.Dataset;
import org.lance4j.tensor.Shape;

class DataSpecTest {
    @Test
    void parsesEveryForm() {
        DataSpec a = DataSpec.parse("fmnist:test:classes=5-9");
        assertEquals("fmnist", a.kind());
        assertEquals(Boolean.FALSE, a.train());
        assertEquals(5, a.classFrom());
        assertEquals(9, a.classTo());
        DataSpec b = DataSpec.parse("idx:/a/i.gz,/a/l.gz:classes=3");
        assertEquals("/a/i.gz,/a/l.gz", b.location());
        assertEquals(3, b.classTo());
        assertEquals("cifar100", DataSpec.parse("cifar100:/d:train").kind());
        assertTrue(DataSpec.parse("folder:/x").heldOut());
    }

    @Test
    void refusesNonsenseNamingTheFlag() {
        for (String bad : new String[] {"mnist", "idx", "folder:/x:test", "fmnist:classes=9-5", "fmnist:classes=a-b", "fmnist:banana"}) {
            String m = assertThrows(IllegalArgumentException.class, () -> DataSpec.parse(bad)).getMessage();
            assertTrue(m.startsWith("--data " + bad), m);
        }
    }

    static void png(Path p, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) img.setRGB(x, y, rgb);
        ImageIO.write(img, "png", p.toFile());
    }

    @Test
    void imageFoldersReadClassesInNameOrder(@TempDir Path d) throws IOException {
        Files.createDirectories(d.resolve("b_dog"));
        Files.createDirectories(d.resolve("a_cat"));
        png(d.resolve("a_cat/1.png"), 0xFF0000);
        png(d.resolve("a_cat/2.png"), 0xFF0000);
        png(d.resolve("b_dog/1.png"), 0x00FF00);
        Files.writeString(d.resolve("b_dog/notes.txt"), "ignored");
        Dataset ds = ImageFolder.read(d, 4);
        assertEquals(Shape.of(3, 4, 4), ds.itemShape());
        assertEquals(3, ds.size());
        assertEquals(2, ds.classes());
        assertEquals(0, ds.label(0));
        assertEquals(255, ds.pixel(0, 0), "red plane of a red image");
        assertEquals(0, ds.pixel(0, 16), "green plane of a red image");
        assertEquals(1, ds.label(2));
        assertEquals(255, ds.pixel(2, 16));
    }

    @Test
    void imageFolderErrorsNameThePlace(@TempDir Path d) throws IOException {
        assertTrue(assertThrows(DataFormatException.class, () -> ImageFolder.read(d.resolve("none"), 8)).getMessage().contains("no such folder"));
        Files.createDirectories(d.resolve("only"));
        assertTrue(assertThrows(DataFormatException.class, () -> ImageFolder.read(d, 8)).getMessage().contains("at least 2"));
        Files.createDirectories(d.resolve("second"));
        png(d.resolve("only/x.png"), 1);
        String m = assertThrows(DataFormatException.class, () -> ImageFolder.read(d, 8)).getMessage();
        assertTrue(m.contains("second") && m.contains("no PNG"), m);
        Files.writeString(d.resolve("second/broken.png"), "not a png");
        m = assertThrows(DataFormatException.class, () -> ImageFolder.read(d, 8)).getMessage();
        assertTrue(m.contains("broken.png"), m);
    }
}
