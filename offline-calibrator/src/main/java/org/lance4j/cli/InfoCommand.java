package org.lance4j.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints what this engine will run with: JDK, OS, architecture, vector species, cores. */
@Command(name = "info", description = "Show the runtime: JDK, OS, architecture, vector width (-Dlance4j.species), cores.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print exactly one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> p = Provenance.describe();
        if (json) {
            System.out.println(JSON.std.asString(p));
        } else {
            p.forEach((k, v) -> System.out.printf("%-18s %s%n", k, v));
        }
        return 0;
    }
}
