package io.hyperfile.core.index;

import io.hyperfile.core.HyperfileException;

import java.util.List;

/**
 * Control flow, not an error: a {@link NodeResolver} does not have a node in memory. Tree operations let it
 * propagate; {@link IndexAccess#run} catches it, loads the nodes named here and runs the operation again. An
 * operation may name several nodes at once (all the children a range read needs) so they load in parallel.
 * Carries no stack trace.
 */
public final class NodeNotLoadedException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    private final transient List<NodePointer> pointers;

    public NodeNotLoadedException(NodePointer pointer) {
        this(List.of(pointer));
    }

    public NodeNotLoadedException(List<NodePointer> pointers) {
        super("index nodes not loaded: " + pointers);
        if (pointers.isEmpty()) {
            throw new IllegalArgumentException("pointers must not be empty");
        }
        this.pointers = List.copyOf(pointers);
    }

    /** The first node missing. */
    public NodePointer pointer() {
        return pointers.get(0);
    }

    /** Every node the operation found missing (at least one). */
    public List<NodePointer> pointers() {
        return pointers;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
