package org.lance4j.tensor;

/**
 * The backward-held arena: everything a forward pass keeps for the backward pass (inputs of trained
 * layers or their compressed cores, masks, normalized activations, pooling indices) lives here and
 * nowhere else. It is a stack: forward reserves in topological order and backward releases in the
 * reverse order, so the peak is exactly the largest amount held at once. Reservations past the byte
 * budget raise {@link BudgetExceededException} naming the layer; the peak is tracked in bytes over
 * float and int storage together.
 *
 * <p>Capacity is fixed when the graph is planned (the planned need, capped by the budget). Views are
 * created at plan time; {@link #reserve} only moves their offset, so a step allocates nothing.
 */
public final class BackwardArena {
    public static final String NAME = "backward-held arena";
    private final long budgetBytes;
    private float[] f = new float[0];
    private int[] ints = new int[0];
    private int topF;
    private int topI;
    private int residentF;   // floats below this mark stay for the life of the graph (fixed bases)
    private long peakBytes;

    /** @param budgetBytes byte budget; {@link Long#MAX_VALUE} for none */
    public BackwardArena(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("the backward-held budget must be positive, got " + budgetBytes + " bytes");
        }
        this.budgetBytes = budgetBytes;
    }

    /**
     * Reserves a view for the life of the graph — fixed factor matrices that backward reads every step.
     * Only at planning time, before any step; counted in the held bytes and the peak like the rest.
     */
    public void reserveResident(Tensor view, String owner) {
        if (topF != residentF || topI != 0) throw new IllegalStateException("resident reservations are made at planning time only");
        reserve(view, owner);
        residentF = topF;
    }

    /** Sizes the storage for a planned need (floats, ints); called by the planner, never in a step. */
    public void ensureCapacity(long floats, long intCount) {
        if (topF != 0 || topI != 0) throw new IllegalStateException("cannot resize the backward-held arena while it holds data");
        long capF = Math.min(floats, budgetBytes / 4);
        long capI = Math.min(intCount, budgetBytes / 4);
        if (capF > Integer.MAX_VALUE - 8 || capI > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the backward-held arena would need more than 2^31 elements; use a smaller batch or budget");
        }
        if (f.length < capF) f = new float[(int) capF];
        if (ints.length < capI) ints = new int[(int) capI];
    }

    public void reserve(Tensor view, String owner) {
        int n = view.size();
        check(owner, 4L * n);
        if (topF + n > f.length) {
            throw new IllegalStateException("backward-held arena was planned too small for " + owner + " (" + view + "); this is a planner bug");
        }
        view.data = f;
        view.offset = topF;
        topF += n;
        track();
    }

    /**
     * Reserves only the first {@code floats} elements of a view planned at its largest size — for
     * stores whose size varies from step to step (HOSVD's ranks); release with the same count.
     */
    public void reserve(Tensor view, int floats, String owner) {
        if (floats < 0 || floats > view.size()) throw new IllegalArgumentException(owner + ": " + floats + " floats do not fit " + view);
        check(owner, 4L * floats);
        if (topF + floats > f.length) {
            throw new IllegalStateException("backward-held arena was planned too small for " + owner + " (" + view + "); this is a planner bug");
        }
        view.data = f;
        view.offset = topF;
        topF += floats;
        track();
    }

    public void release(Tensor view, int floats) {
        if (view.data != f || view.offset + floats != topF || view.offset < residentF) {
            throw new IllegalStateException("backward-held arena released out of order: " + view);
        }
        topF = view.offset;
    }

    public void reserve(IntView view, String owner) {
        int n = view.length;
        check(owner, 4L * n);
        if (topI + n > ints.length) {
            throw new IllegalStateException("backward-held arena was planned too small for " + owner + " (" + view.name + "); this is a planner bug");
        }
        view.data = ints;
        view.offset = topI;
        topI += n;
        track();
    }

    /** Releases the most recent float reservation, which must be {@code view}. */
    public void release(Tensor view) {
        if (view.data != f || view.offset + view.size() != topF || view.offset < residentF) {
            throw new IllegalStateException("backward-held arena released out of order: " + view);
        }
        topF = view.offset;
    }

    public void release(IntView view) {
        if (view.data != ints || view.offset + view.length != topI) {
            throw new IllegalStateException("backward-held arena released out of order: " + view.name);
        }
        topI = view.offset;
    }

    private void check(String owner, long bytes) {
        long left = budgetBytes - heldBytes();
        if (bytes > left) {
            throw new BudgetExceededException(NAME, owner, bytes, left, budgetBytes);
        }
    }

    private void track() {
        long h = heldBytes();
        if (h > peakBytes) peakBytes = h;
    }

    /** Drops everything a step holds (after an aborted step); resident reservations stay. */
    public void clear() {
        topF = residentF;
        topI = 0;
    }

    public long heldBytes() {
        return 4L * topF + 4L * topI;
    }

    public long peakBytes() {
        return peakBytes;
    }

    public void resetPeak() {
        peakBytes = heldBytes();
    }

    public long budgetBytes() {
        return budgetBytes;
    }
}
