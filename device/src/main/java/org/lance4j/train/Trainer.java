package org.lance4j.train;

import org.lance4j.graph.Graph;
import org.lance4j.tensor.Shape;

/**
 * One training step on one batch — zero gradients, forward keeping what backward needs, loss,
 * backward, optimizer — timed by part. Console-free: callers read the loss and the timer.
 */
public final class Trainer {
    private final Graph graph;
    private final Sgd sgd;
    private final StepTimer timer;
    private final GradientProjection projection;   // GPM, or null

    public Trainer(Graph graph, Sgd sgd, int timerWindow) {
        this(graph, sgd, timerWindow, null);
    }

    /** @param projection GPM: applied to the weight gradients after backward, before the update (null: none) */
    public Trainer(Graph graph, Sgd sgd, int timerWindow, GradientProjection projection) {
        this.graph = graph;
        this.sgd = sgd;
        this.timer = new StepTimer(timerWindow);
        this.projection = projection;
    }

    /** @return the mean loss of the batch before the update */
    public double step(float[] images, int imageOff, Shape batchShape, int[] labels, int labelOff) {
        graph.setInput(images, imageOff, batchShape);
        long t0 = System.nanoTime();
        graph.zeroGrads();
        graph.forwardTraining();
        double loss = graph.lossAndGrad(labels, labelOff);
        long t1 = System.nanoTime();
        graph.backward();
        if (projection != null) projection.apply();
        long t2 = System.nanoTime();
        sgd.step();
        long t3 = System.nanoTime();
        timer.record(t1 - t0, t2 - t1, t3 - t2);
        return loss;
    }

    public StepTimer timer() {
        return timer;
    }

    public Graph graph() {
        return graph;
    }

    public Sgd optimizer() {
        return sgd;
    }
}
