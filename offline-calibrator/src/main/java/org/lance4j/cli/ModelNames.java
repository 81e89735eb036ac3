package org.lance4j.cli;

import java.util.Iterator;
import org.lance4j.models.Zoo;

/** Completion candidates for --model. */
final class ModelNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Zoo.NAMES.iterator();
    }

    /** Refuses a model name not in the zoo, naming the flag. */
    static void require(String flag, String name) {
        if (!Zoo.NAMES.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException(flag + ": unknown model '" + name + "' (" + String.join(", ", Zoo.NAMES) + ")");
        }
    }
}
