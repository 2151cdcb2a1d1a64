package io.hyperfile.core.index;

/**
 * Hears what a change of a {@link MutableBlockIndex} makes reachable and unreachable, so that the live bytes of each
 * segment can be kept without walking the tree (docs/GC.md, "Incremental liveness"). Data is counted where leaves
 * are rebuilt: every DATA entry cut by the replaced range (−) and every entry written (+), so entries that are
 * taken out and put back cancel out. A saved node is reported once, when the tree stops pointing at it; a saved
 * subtree dropped without being loaded is reported as a whole, for someone to walk later. Nodes the change writes
 * are not reported here: {@link MutableBlockIndex#save} returns them.
 */
public interface LivenessSink {
    /** A sink that hears nothing. */
    LivenessSink NONE = new LivenessSink() {
        @Override
        public void data(long segmentSeq, long blocks) {
        }

        @Override
        public void nodeDropped(NodePointer pointer) {
        }

        @Override
        public void subtreeDropped(NodePointer pointer) {
        }
    };

    /** {@code blocks} data blocks of segment {@code segmentSeq} became reachable (positive) or unreachable (negative). */
    void data(long segmentSeq, long blocks);

    /** The saved node at {@code pointer} is no longer reachable; its children were reported on their own. */
    void nodeDropped(NodePointer pointer);

    /** The saved subtree rooted at {@code pointer} was dropped whole without being loaded: none of it is reachable. */
    void subtreeDropped(NodePointer pointer);
}
