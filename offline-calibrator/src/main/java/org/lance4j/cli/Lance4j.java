package org.lance4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The desktop command line behind {@code ./lance4j}. Every command prints a human summary, or with
 * {@code --json} exactly one JSON object on stdout (logs go to stderr). Commands of later milestones
 * (demo, pretrain, calibrate, finetune, …) are added as they land; until then they are absent.
 * {@code --help} and {@code --version} are inherited by every subcommand.
 */
@Command(name = "lance4j", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = Lance4j.Version.class,
        description = "On-device CNN training with LANCE low-rank activation compression.",
        subcommands = {DemoCommand.class, PretrainCommand.class, EvaluateCommand.class, CalibrateCommand.class, FinetuneCommand.class, ClCommand.class,
            MemoryCommand.class, InfoCommand.class, BenchCommand.class, ExperimentCommand.class,
            CommandLine.HelpCommand.class})
public final class Lance4j {
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"lance4j " + Provenance.version()};
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; returns the exit code (2 for usage errors, 1 for failures). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Lance4j());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("lance4j: " + ex.getMessage());
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (ExceptionInInitializerError e) {
            // a bad -D setting read when a class loads (-Dlance4j.species, -Dlance4j.winograd): its message names the flag
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            cl.getErr().println("lance4j: " + cause.getMessage());
            return 1;
        }
    }
}
