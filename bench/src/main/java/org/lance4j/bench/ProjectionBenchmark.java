package org.lance4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lance4j.kernel.ModeOps;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * LANCE's forward projection S = X ×_C U_Cᵀ ×_H U_Hᵀ ×_W U_Wᵀ of a batch (B, C, H, W) onto fixed bases, and
 * the per-mode Grams calibration accumulates, at a ResNet18-like layer input (batch 32).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseSerialGC",
        "-XX:CompileCommand=quiet", "-XX:CompileCommand=inline,org.lance4j.kernel.Vec::sumLanes",
        "-XX:CompileCommand=dontinline,org.lance4j.kernel.Gemm::dot"})
public class ProjectionBenchmark {
    /** "C×H×W/rC×rH×rW". */
    @Param({"256x4x4/24x3x3", "128x8x8/16x5x5", "512x2x2/8x2x2"})
    public String shape;

    final int b = 32;
    int c, h, w, rc, rh, rw;
    float[] x, uc, uh, uw, core, ws, gB, gC, gH, gW;

    @Setup
    public void setUp() {
        String[] a = shape.split("[x/]");
        c = Integer.parseInt(a[0]);
        h = Integer.parseInt(a[1]);
        w = Integer.parseInt(a[2]);
        rc = Integer.parseInt(a[3]);
        rh = Integer.parseInt(a[4]);
        rw = Integer.parseInt(a[5]);
        SplittableRandom r = new SplittableRandom(3);
        x = Fill.uniform(r, b * c * h * w);
        uc = Fill.uniform(r, c * rc);
        uh = Fill.uniform(r, h * rh);
        uw = Fill.uniform(r, w * rw);
        core = new float[b * rc * rh * rw];
        ws = new float[ModeOps.projectWorkspace(b, c, h, rc, rh, rw, false)];
        gB = new float[b * b];
        gC = new float[c * c];
        gH = new float[h * h];
        gW = new float[w * w];
    }


    @Benchmark
    public float[] project() {
        ModeOps.project(x, 0, b, c, h, w, null, 0, b, uc, 0, rc, uh, 0, rh, uw, 0, rw, core, 0, ws, 0);
        return core;
    }

    @Benchmark
    public float[] modeGrams() {
        java.util.Arrays.fill(gC, 0f);
        java.util.Arrays.fill(gH, 0f);
        java.util.Arrays.fill(gW, 0f);
        ModeOps.gram(x, 0, b, c, h, w, null, gC, gH, gW);
        return gC;
    }
}
