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
     * Σ of the lanes in a fixed order, pairwise: lanes 0 + 1, 2 + 3, …, then those sums pairwise, and so on (the
     * order {@link #sumEachStored} sums many vectors in at once). {@code reduceLanes(ADD)} leaves the order open:
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
     * {@code Gemm.ntVector} store their accumulators and sum them from the array instead ({@link #sumStored}, and since
     * round fourteen {@link #sumEachStored}; one of the five-sum methods still boxed in about one run of ten). Folding
     * the halves of one vector in registers ({@code rearrange} or {@code reinterpretShape}) allocated more in round
     * ten; {@link #sumEachStored}'s blends and swaps, with static final masks and shuffles on vectors loaded and stored
     * within one loop body, allocate nothing (the allocation tests, at 512 and 128 bits).
     */
    public static float sumLanes(FloatVector v) {
        switch (v.length()) {
            case 4:
                return (v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3));
            case 8:
                return ((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3))) + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7)));
            case 16:
                return (((v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3))) + ((v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7))))
                        + (((v.lane(8) + v.lane(9)) + (v.lane(10) + v.lane(11))) + ((v.lane(12) + v.lane(13)) + (v.lane(14) + v.lane(15))));
            default:   // no species here has other lengths; kept exact and allocation-free all the same
                return lanesPairwise(v, 0, v.length());
        }
    }

    /** Lanes off … off + n − 1 of v (n a power of two) summed pairwise, as {@link #sumPairwise} sums an array. */
    private static float lanesPairwise(FloatVector v, int off, int n) {
        return n == 1 ? v.lane(off) : lanesPairwise(v, off, n / 2) + lanesPairwise(v, off + n / 2, n / 2);
    }

    /**
     * {@link #sumLanes} of a vector the caller has stored at a[off] (one vector's floats): the same values summed in the
     * same order, so the same bits — for kernels that store their accumulators and pass the array instead, so that no
     * vector crosses a call, inlined or not (a sum left out of line boxes its vector argument, see above).
     */
    public static float sumStored(float[] a, int off) {
        switch (F.length()) {
            case 4:
                return (a[off] + a[off + 1]) + (a[off + 2] + a[off + 3]);
            case 8:
                return ((a[off] + a[off + 1]) + (a[off + 2] + a[off + 3])) + ((a[off + 4] + a[off + 5]) + (a[off + 6] + a[off + 7]));
            case 16:
                return (((a[off] + a[off + 1]) + (a[off + 2] + a[off + 3])) + ((a[off + 4] + a[off + 5]) + (a[off + 6] + a[off + 7])))
                        + (((a[off + 8] + a[off + 9]) + (a[off + 10] + a[off + 11])) + ((a[off + 12] + a[off + 13]) + (a[off + 14] + a[off + 15])));
            default:
                return sumPairwise(a, off, F.length());
        }
    }

    /** a[off], …, a[off + n − 1] (n a power of two) summed pairwise: halves summed the same way, then added. */
    static float sumPairwise(float[] a, int off, int n) {
        return n == 1 ? a[off] : sumPairwise(a, off, n / 2) + sumPairwise(a, off + n / 2, n / 2);
    }

    /*
     * The fold of sumEachStored, one level per lane distance d = 1, 2, 4, 8 (those under the vector's length): lanes
     * whose index has bit d set (FOLD_Md), and each lane swapped with the one d away (FOLD_Sd). A level past the
     * vector's length is never used and holds the identity. Static finals, so that C2 sees constants.
     */
    private static final jdk.incubator.vector.VectorMask<Float> FOLD_M1 = foldMask(1), FOLD_M2 = foldMask(2),
            FOLD_M4 = foldMask(4), FOLD_M8 = foldMask(8);
    private static final jdk.incubator.vector.VectorShuffle<Float> FOLD_S1 = foldSwap(1), FOLD_S2 = foldSwap(2),
            FOLD_S4 = foldSwap(4), FOLD_S8 = foldSwap(8);

    private static jdk.incubator.vector.VectorMask<Float> foldMask(int d) {
        boolean[] bits = new boolean[F.length()];
        for (int q = 0; q < bits.length; q++) bits[q] = d < bits.length && (q & d) != 0;
        return jdk.incubator.vector.VectorMask.fromArray(F, bits, 0);
    }

    private static jdk.incubator.vector.VectorShuffle<Float> foldSwap(int d) {
        return jdk.incubator.vector.VectorShuffle.fromOp(F, q -> d < F.length() ? q ^ d : q);
    }

    /**
     * The lane sums of the n vectors stored at t[0], t[L], …, t[(n − 1)·L] (L = {@link #LANES}; n a power of two,
     * 1 to 16), each left at t[r] for vector r: {@link #sumStored}'s bits for every one of them, in a few vector
     * operations per vector instead of L − 1 scalar additions each (the sums of the dot-product GEMM's blocks).
     *
     * <p>One level per lane distance d = 1, 2, …, L/2: the vectors are taken in pairs (x, y) and each pair becomes one
     * vector whose lane q holds x[q] + x[q ^ d] where q's bit d is clear and y[q] + y[q ^ d] where it is set (two blends,
     * one swap, one add). Lane q of the last vector then holds vector q's pairwise sum: the same additions as
     * {@link #sumStored} makes, some with their operands swapped, which does not change a float sum. When fewer vectors
     * than lanes are left, a vector folds with itself (x[q] + x[q ^ d] in every lane). Vectors stay inside each level's
     * loop: none crosses a call.
     */
    public static void sumEachStored(float[] t, int n) {
        int v = foldLevel(t, n, FOLD_M1, FOLD_S1);
        if (F.length() > 2) v = foldLevel(t, v, FOLD_M2, FOLD_S2);
        if (F.length() > 4) v = foldLevel(t, v, FOLD_M4, FOLD_S4);
        if (F.length() > 8) foldLevel(t, v, FOLD_M8, FOLD_S8);
    }

    /** One level of {@link #sumEachStored}'s fold over the v vectors at t[0], t[L], …; returns how many are left. */
    private static int foldLevel(float[] t, int v, jdk.incubator.vector.VectorMask<Float> bit, jdk.incubator.vector.VectorShuffle<Float> swap) {
        final int l = F.length();
        if (v == 1) {
            FloatVector x = FloatVector.fromArray(F, t, 0);
            x.add(x.rearrange(swap)).intoArray(t, 0);
            return 1;
        }
        for (int g = 0; g < v / 2; g++) {
            FloatVector x = FloatVector.fromArray(F, t, 2 * g * l), y = FloatVector.fromArray(F, t, (2 * g + 1) * l);
            x.blend(y, bit).add(y.blend(x, bit).rearrange(swap)).intoArray(t, g * l);
        }
        return v / 2;
    }

    /** "256-bit (8 float lanes)" or "scalar". */
    public static String describe() {
        return ENABLED ? F.vectorBitSize() + "-bit (" + F.length() + " float lanes)" : "scalar";
    }
}
