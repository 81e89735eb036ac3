package org.lance4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lance4j.kernel.Gemm;
import org.lance4j.kernel.Workers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The three GEMM forms at layer shapes of the zoo's steps (batch 32, 32 px; `./lance4j bench gemm` lists them
 * all and compares with OpenBLAS), on 1 or more kernel threads. Shapes are "M×N×K": conv forward
 * (O, L, C·K·K), weight gradient (O, C·K·K, L), input gradient (C·K·K, L, O).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseSerialGC",
        "-XX:CompileCommand=quiet", "-XX:CompileCommand=inline,org.lance4j.kernel.Vec::sumLanes",
        "-XX:CompileCommand=dontinline,org.lance4j.kernel.Gemm::dot"})
public class GemmBenchmark {
    @Param({"64x1024x576", "128x256x1152", "512x64x4608", "144x24x1024", "32x1024x27"})
    public String shape;

    @Param({"1"})
    public int threads;

    int m, n, k;
    float[] a, b, c;
    Workers w;

    @Setup(Level.Trial)
    public void setUp() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        SplittableRandom r = new SplittableRandom(1);
        a = Fill.uniform(r, m * k);
        b = Fill.uniform(r, k * n);
        c = new float[m * n];
        w = new Workers(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        w.close();
    }

    @Benchmark
    public float[] nn() {
        Gemm.nn(w, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
        return c;
    }

    /** B stored (N, K): the weight-gradient form dY · colᵀ. */
    @Benchmark
    public float[] nt() {
        Gemm.nt(w, m, n, k, a, 0, k, b, 0, k, c, 0, n, false);
        return c;
    }

    /** A stored (K, M): the input-gradient form Wᵀ · dY. */
    @Benchmark
    public float[] tn() {
        Gemm.tn(w, m, n, k, a, 0, m, b, 0, n, c, 0, n, false);
        return c;
    }

    /** The scalar reference of nn, for scale. */
    @Benchmark
    public float[] nnScalarReference() {
        Gemm.nnScalar(m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
        return c;
    }
}
