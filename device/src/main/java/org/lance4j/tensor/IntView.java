package org.lance4j.tensor;

/**
 * A named view of {@code length} ints into an arena's int storage: bit-packed masks (32 elements a
 * word) and pooling argmax indices. Placed like {@link Tensor}.
 */
public final class IntView {
    public final String name;
    public final int length;
    public int[] data;
    public int offset;

    public IntView(String name, int length) {
        this.name = name;
        this.length = length;
    }

    /** Words needed to hold one bit per element for {@code n} elements. */
    public static int wordsForBits(int n) {
        return (n + 31) >>> 5;
    }
}
