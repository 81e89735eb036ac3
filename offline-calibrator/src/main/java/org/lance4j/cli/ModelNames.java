package org.lance4j.cli;

import java.util.Iterator;
import org.lance4j.models.Zoo;

/** Completion candidates for --model. */
final class ModelNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Zoo.NAMES.iterator();
    }
}
