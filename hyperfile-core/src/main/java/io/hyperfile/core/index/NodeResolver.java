package io.hyperfile.core.index;

/**
 * Gives tree operations the decoded node behind a pointer, synchronously. Either the node is in memory and is
 * returned, or the resolver throws {@link NodeNotLoadedException} and the caller (normally {@link IndexAccess})
 * loads it and retries the whole operation. Tree operations are pure functions of immutable nodes, so a retry is
 * always safe.
 *
 * <p>Implementations must be safe to call from the thread running the operation; the nodes they return are
 * immutable and may be shared between threads.
 */
@FunctionalInterface
public interface NodeResolver {
    /** A resolver that has nothing: enough for trees that were never saved. */
    NodeResolver NONE = pointer -> {
        throw new NodeNotLoadedException(pointer);
    };

    /**
     * The node at {@code pointer}.
     *
     * @throws NodeNotLoadedException if it is not in memory
     */
    IndexNode resolve(NodePointer pointer);
}
