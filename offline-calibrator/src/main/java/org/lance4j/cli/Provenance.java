package org.lance4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.lance4j.kernel.Vec;

/** Where a result was produced: version, JDK, OS, architecture, vector width, cores. */
public final class Provenance {
    private Provenance() { }

    public static String version() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lance4j", version());
        m.put("java_version", System.getProperty("java.version"));
        m.put("java_vendor", System.getProperty("java.vendor"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("vector_species", Vec.describe());
        m.put("vector_bits", Vec.ENABLED ? Vec.F.vectorBitSize() : 0);
        m.put("species_requested", Vec.REQUESTED);
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        return m;
    }
}
