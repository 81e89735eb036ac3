package org.lance4j.cli;

import java.util.Locale;

/** Byte sizes on the command line: a number with an optional B, KiB, MiB or GiB suffix (1 KiB = 1024 B). */
final class Sizes {
    private Sizes() { }

    static long parse(String flag, String s) {
        String t = s.trim();
        long mult = 1;
        String num = t;
        for (String[] u : new String[][] {{"GiB", "1073741824"}, {"MiB", "1048576"}, {"KiB", "1024"}, {"B", "1"}}) {
            if (t.endsWith(u[0])) {
                mult = Long.parseLong(u[1]);
                num = t.substring(0, t.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            double v = Double.parseDouble(num);
            if (!(v > 0)) throw new NumberFormatException();
            return (long) Math.floor(v * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + s + ": give a positive size such as 300KiB, 1.5MiB or 65536");
        }
    }

    static String human(long bytes) {
        if (bytes >= 1 << 20) return String.format(Locale.ROOT, "%.3f MiB", bytes / 1048576.0);
        if (bytes >= 1 << 10) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return bytes + " B";
    }
}
