package org.lance4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width in use, fixed at start-up by {@code -Dlance4j.species=preferred|128|256|512|scalar}
 * (default preferred). The species live in {@code static final} fields so that the JIT constant-folds
 * them: a non-final species silently falls back to boxed, ~50x slower code. {@code scalar} makes every
 * kernel take its scalar reference path, so the same end-to-end test can run both ways. 128 is the
 * width of NEON on the Raspberry Pi's Cortex-A53.
 */
public final class Vec {
    public static final String PROPERTY = "lance4j.species";
    /** Float species of the vector paths. */
    public static final VectorSpecies<Float> F;
    /** Int species of the same shape (mask bit manipulation). */
    public static final VectorSpecies<Integer> I;
    /** False when {@code -Dlance4j.species=scalar}: kernels use their scalar references. */
    public static final boolean ENABLED;
    /** Float lanes per vector (1 when scalar). */
    public static final int LANES;
    /** What was asked for, for provenance and error messages. */
    public static final String REQUESTED;

    static {
        String s = System.getProperty(PROPERTY, "preferred").trim().toLowerCase(java.util.Locale.ROOT);
        REQUESTED = s;
        VectorShape shape;
        switch (s) {
            case "preferred", "" -> shape = VectorShape.preferredShape();
            case "128" -> shape = VectorShape.S_128_BIT;
            case "256" -> shape = VectorShape.S_256_BIT;
            case "512" -> shape = VectorShape.S_512_BIT;
            case "scalar" -> shape = null;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + s
                    + " is not one of preferred, 128, 256, 512, scalar");
        }
        if (shape != null && shape.vectorBitSize() > VectorShape.preferredShape().vectorBitSize()) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + s + ": this CPU's widest vectors are "
                    + VectorShape.preferredShape().vectorBitSize() + " bits; choose that or less");
        }
        ENABLED = shape != null;
        F = shape == null ? FloatVector.SPECIES_128 : FloatVector.SPECIES_128.withShape(shape);
        I = shape == null ? IntVector.SPECIES_128 : IntVector.SPECIES_128.withShape(shape);
        LANES = ENABLED ? F.length() : 1;
    }

    private Vec() { }

    /**
     * Σ of the lanes in a fixed order (lane 0 first). {@code reduceLanes(ADD)} leaves the order open:
     * the Java fallback sums sequentially and the C2 intrinsic as a tree, so the same call gave
     * results one ulp apart before and after JIT compilation (seen on JDK 25) and runs were not
     * reproducible. The lanes are extracted with constant indices: a loop over the lanes was not always
     * unrolled (profiled: {@code lane(i)} with a variable index took 5 % of a MobileNetV2 step through
     * its out-of-line path), and a constant index is a single register extract.
     *
     * <p>Must be inlined wherever it is called: its 254 bytes of bytecode are over C2's limit for call sites it
     * does not judge hot (MaxInlineSize, 35 bytes), and a call left out of line boxes its vector argument — 64
     * bytes per call on AVX2. {@code -XX:+PrintInlining} showed "callee is too large" at some of its sites in
     * some compilations (the nine of {@link Depthwise#dots3}, {@code Gemm.dot}'s), and the allocation test failed
     * in one run of eight (LANCE fine-tuning: 128 bytes per step). Every JVM we start forces it inline with
     * {@code -XX:CompileCommand=inline,org.lance4j.kernel.Vec::sumLanes} (the launcher, the tests' argLine, the
     * JMH forks); an application embedding the library should pass the same flag.
     *
     * <p>Forced inlining still stops at C2's node limit for one compilation (NodeCountInliningCutoff, not settable in a
     * product JVM): at 512 bits a sum is sixteen extracts, and nine of them in one method (the depthwise weight
     * gradients) went over it — a sum left out of line, its vector boxed, 86 KiB per training step (AVX-512 on a Zen 5
     * guest). Those nine now go in two passes of at most five, and since round ten the depthwise weight gradients and
     * {@code Gemm.ntVector} store their accumulators and use {@link #sumStored} instead (one of the five-sum methods still
     * boxed in about one run of ten). Folding halves first ({@code rearrange} or
     * {@code reinterpretShape}) allocated more: neither is intrinsified for this in JDK 17.
     */
    public static float sumLanes(FloatVector v) {
        switch (v.length()) {
            case 4:
                return 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3);
            case 8:
                return 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
            case 16:
                return 0f + v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7)
                        + v.lane(8) + v.lane(9) + v.lane(10) + v.lane(11) + v.lane(12) + v.lane(13) + v.lane(14) + v.lane(15);
            default:
                float s = 0f;
                for (int i = 0; i < v.length(); i++) s += v.lane(i);
                return s;
        }
    }

    /**
     * {@link #sumLanes} of a vector the caller has stored at a[off] (one vector's floats): the same values summed in the
     * same order, so the same bits — for kernels that store their accumulators and pass the array instead, so that no
     * vector crosses a call, inlined or not (a sum left out of line boxes its vector argument, see above).
     */
    public static float sumStored(float[] a, int off) {
        switch (F.length()) {
            case 4:
                return 0f + a[off] + a[off + 1] + a[off + 2] + a[off + 3];
            case 8:
                return 0f + a[off] + a[off + 1] + a[off + 2] + a[off + 3] + a[off + 4] + a[off + 5] + a[off + 6] + a[off + 7];
            case 16:
                return 0f + a[off] + a[off + 1] + a[off + 2] + a[off + 3] + a[off + 4] + a[off + 5] + a[off + 6] + a[off + 7]
                        + a[off + 8] + a[off + 9] + a[off + 10] + a[off + 11] + a[off + 12] + a[off + 13] + a[off + 14] + a[off + 15];
            default:
                float s = 0f;
                for (int i = 0; i < F.length(); i++) s += a[off + i];
                return s;
        }
    }

    /** "256-bit (8 float lanes)" or "scalar". */
    public static String describe() {
        return ENABLED ? F.vectorBitSize() + "-bit (" + F.length() + " float lanes)" : "scalar";
    }
}
