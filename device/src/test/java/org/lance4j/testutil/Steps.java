package org.lance4j.testutil;

import org.lance4j.graph.Graph;

/** One training step of a planned graph with a chosen output gradient (the compression tests' common step). */
public final class Steps {
    private Steps() { }

    /** Input x, zeroed gradients, forward in training mode, output gradient dy, backward; returns g. */
    public static Graph withOutputGrad(Graph g, float[] x, float[] dy) {
        g.input().copyFrom(x, 0);
        g.zeroGrads();
        g.forwardTraining();
        g.outputGrad().copyFrom(dy, 0);
        g.backward();
        return g;
    }
}
