package org.lance4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoCommandTest {
    @Test
    void jsonIsExactlyOneObject() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, "UTF-8"));
        int code;
        try {
            code = Lance4j.run("info", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        Map<String, Object> m = JSON.std.mapFrom(buf.toString("UTF-8").strip());
        assertTrue(((Number) m.get("cores")).intValue() >= 1);
        assertTrue(m.get("vector_species").toString().contains("bit") || m.get("vector_species").equals("scalar"));
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertEquals(2, Lance4j.run("no-such-command"));
    }
}
