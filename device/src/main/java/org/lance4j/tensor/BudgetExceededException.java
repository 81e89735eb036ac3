package org.lance4j.tensor;

/**
 * A request to a budgeted arena that would take it past its byte budget. Names the arena, the owner
 * (the layer), the bytes asked for and the bytes left, so that a user can see which layer did not fit.
 */
public class BudgetExceededException extends RuntimeException {
    public final String arena;
    public final String owner;
    public final long bytesAsked;
    public final long bytesLeft;
    public final long budget;

    public BudgetExceededException(String arena, String owner, long bytesAsked, long bytesLeft, long budget) {
        super(String.format("%s: layer '%s' asked for %d bytes but only %d of the %d-byte budget are left;"
                + " raise the budget or train fewer layers / a smaller batch", arena, owner, bytesAsked, bytesLeft, budget));
        this.arena = arena;
        this.owner = owner;
        this.bytesAsked = bytesAsked;
        this.bytesLeft = bytesLeft;
        this.budget = budget;
    }
}
