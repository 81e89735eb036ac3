package org.lance4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lance4j.kernel.Depthwise;
import org.lance4j.kernel.Im2col;
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
 * Depthwise 3 × 3 forward and backward of one image (C channels), by the three paths: per-plane scalar
 * reference, per-plane vector kernels (vectors along the plane: the sampled kernels on these shapes, phase planes
 * on others — {@code Depthwise.forward} picks), channels last (vectors across channels). The layer picks the
 * per-plane path for outputs of ≥ 64 elements and channels last below; these numbers are why.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseSerialGC",
        "-XX:CompileCommand=quiet", "-XX:CompileCommand=inline,org.lance4j.kernel.Vec::sumLanes",
        "-XX:CompileCommand=dontinline,org.lance4j.kernel.Gemm::dot"})
public class DepthwiseBenchmark {
    /** "C×H×W/stride": MobileNetV2 at 32 px, early (large planes) to late (small planes). */
    @Param({"96x32x32/1", "144x16x16/2", "384x4x4/1", "960x2x2/1"})
    public String shape;

    int c, h, w, s, oh, ow;
    final int k = 3, p = 1;
    float[] x, wt, y, dy, dw, dx, ws;

    @Setup
    public void setUp() {
        String[] a = shape.split("[x/]");
        c = Integer.parseInt(a[0]);
        h = Integer.parseInt(a[1]);
        w = Integer.parseInt(a[2]);
        s = Integer.parseInt(a[3]);
        oh = Im2col.outSize(h, k, s, p);
        ow = Im2col.outSize(w, k, s, p);
        SplittableRandom r = new SplittableRandom(2);
        x = Fill.uniform(r, c * h * w);
        wt = Fill.uniform(r, c * k * k);
        dy = Fill.uniform(r, c * oh * ow);
        y = new float[c * oh * ow];
        dw = new float[c * k * k];
        dx = new float[c * h * w];
        ws = new float[(int) Math.max(Depthwise.channelsLastFloats(c, h, w, k, s, p), Depthwise.workspaceFloats(h, w, k, s, p))];
    }


    @Benchmark
    public float[] forwardScalarPerPlane() {
        for (int ch = 0; ch < c; ch++) Depthwise.forwardScalar(x, ch * h * w, h, w, wt, ch * k * k, k, s, p, y, ch * oh * ow);
        return y;
    }

    @Benchmark
    public float[] forwardVectorPerPlane() {
        for (int ch = 0; ch < c; ch++) Depthwise.forward(x, ch * h * w, h, w, wt, ch * k * k, k, s, p, y, ch * oh * ow, ws, 0);
        return y;
    }

    @Benchmark
    public float[] forwardChannelsLast() {
        Depthwise.forwardChannelsLast(x, 0, c, h, w, wt, 0, k, s, p, y, 0, ws, 0);
        return y;
    }

    @Benchmark
    public float[] backwardVectorPerPlane() {
        for (int ch = 0; ch < c; ch++) {
            Depthwise.backwardWeight(x, ch * h * w, h, w, dy, ch * oh * ow, k, s, p, dw, ch * k * k, ws, 0);
            Depthwise.backwardInput(dy, ch * oh * ow, h, w, wt, ch * k * k, k, s, p, dx, ch * h * w, ws, 0);
        }
        return dx;
    }

    @Benchmark
    public float[] backwardChannelsLast() {
        Depthwise.backwardChannelsLast(x, 0, dy, 0, c, h, w, wt, 0, k, s, p, dw, 0, dx, 0, ws, 0);
        return dx;
    }
}
