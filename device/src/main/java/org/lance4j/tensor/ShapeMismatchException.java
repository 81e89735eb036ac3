package org.lance4j.tensor;

/** A tensor arrived with a shape other than the one a graph or layer was planned for. */
public class ShapeMismatchException extends IllegalArgumentException {
    public ShapeMismatchException(String message) {
        super(message);
    }
}
