package org.lance4j.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds Fashion-MNIST: Debian's {@code dataset-fashion-mnist} in /usr/share/datasets/fashion-mnist, or
 * a copy unpacked into the cache. When neither exists it installs the package (as root) or downloads
 * and unpacks it into the cache with {@code apt-get download} + {@code dpkg-deb -x} (not root).
 */
public final class FashionMnist {
    private static final Logger LOG = LoggerFactory.getLogger(FashionMnist.class);
    public static final String PACKAGE = "dataset-fashion-mnist";
    static final Path SYSTEM = Path.of("/usr/share/datasets/fashion-mnist");
    static final String[] FILES = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

    private FashionMnist() { }

    public static Path cacheRoot() {
        String env = System.getenv("LANCE4J_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "lance4j");
    }

    static boolean complete(Path dir) {
        for (String f : FILES) if (!Files.isRegularFile(dir.resolve(f))) return false;
        return true;
    }

    /** The folder holding the four IDX files, installing them first if needed. */
    public static synchronized Path locate() {
        String env = System.getenv("LANCE4J_FMNIST");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            if (!complete(p)) throw new IllegalStateException("LANCE4J_FMNIST=" + p + " does not hold the four Fashion-MNIST IDX .gz files");
            return p;
        }
        if (complete(SYSTEM)) return SYSTEM;
        Path cached = cacheRoot().resolve("fashion-mnist").resolve("usr/share/datasets/fashion-mnist");
        if (complete(cached)) return cached;
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            if (root) {
                LOG.info("Fashion-MNIST not found: installing Debian's {} ...", PACKAGE);
                int rc = run(List.of("apt-get", "install", "-y", "-qq", PACKAGE), null);
                if (rc != 0) {
                    run(List.of("apt-get", "update", "-qq"), null);
                    rc = run(List.of("apt-get", "install", "-y", "-qq", PACKAGE), null);
                }
                if (rc == 0 && complete(SYSTEM)) return SYSTEM;
            }
            LOG.info("Fashion-MNIST not found: unpacking Debian's {} into {} ...", PACKAGE, cached.getParent());
            Path dl = cacheRoot().resolve("fashion-mnist");
            Files.createDirectories(dl);
            if (run(List.of("apt-get", "download", PACKAGE), dl) != 0) {
                throw new IllegalStateException("apt-get download " + PACKAGE + " failed");
            }
            try (var debs = Files.list(dl)) {
                Path deb = debs.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("apt-get download left no .deb in " + dl));
                if (run(List.of("dpkg-deb", "-x", deb.toString(), dl.toString()), null) != 0) {
                    throw new IllegalStateException("dpkg-deb -x " + deb + " failed");
                }
                Files.delete(deb);
            }
            if (complete(cached)) return cached;
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            throw new IllegalStateException("could not install Fashion-MNIST: " + e.getMessage()
                    + "; install it with: apt-get install " + PACKAGE + " (or set LANCE4J_FMNIST to a folder with the IDX files)", e);
        }
        throw new IllegalStateException("Fashion-MNIST is not available; install it with: apt-get install " + PACKAGE
                + " (or set LANCE4J_FMNIST to a folder with the four IDX .gz files)");
    }

    private static int run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        if (dir != null) pb.directory(dir.toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0) LOG.warn("{} exited {}: {}", String.join(" ", cmd), rc, out.strip());
        return rc;
    }
}
