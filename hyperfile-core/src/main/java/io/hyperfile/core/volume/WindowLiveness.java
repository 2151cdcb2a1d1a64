package io.hyperfile.core.volume;

import io.hyperfile.core.index.LivenessSink;
import io.hyperfile.core.index.NodePointer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one flush window changed in the live bytes of each segment (docs/GC.md, "Incremental liveness"): data blocks
 * and node bytes that became reachable (positive) or unreachable (negative), and the saved subtrees it dropped
 * without loading them (whose contents someone must walk to subtract). Filled while the window is indexed, then
 * read-only.
 */
public final class WindowLiveness implements LivenessSink {
    private final long seq;
    private final Map<Long, Long> blocks = new HashMap<>();
    private final Map<Long, Long> nodeBytes = new HashMap<>();
    private final List<NodePointer> droppedSubtrees = new ArrayList<>();

    WindowLiveness(long seq) {
        this.seq = seq;
    }

    /** The window's segment. */
    public long seq() {
        return seq;
    }

    /** Data blocks that became reachable (+) or unreachable (−), per segment. */
    public Map<Long, Long> blocks() {
        return Collections.unmodifiableMap(blocks);
    }

    /** Node bytes that became reachable (+) or unreachable (−), per segment. */
    public Map<Long, Long> nodeBytes() {
        return Collections.unmodifiableMap(nodeBytes);
    }

    /** Saved subtrees the window dropped whole: everything in them became unreachable. */
    public List<NodePointer> droppedSubtrees() {
        return Collections.unmodifiableList(droppedSubtrees);
    }

    @Override
    public void data(long segmentSeq, long count) {
        blocks.merge(segmentSeq, count, Long::sum);
    }

    @Override
    public void nodeDropped(NodePointer pointer) {
        nodeBytes.merge(pointer.segmentSeq(), (long) -pointer.length(), Long::sum);
    }

    @Override
    public void subtreeDropped(NodePointer pointer) {
        droppedSubtrees.add(pointer);
    }

    /** The window's save wrote {@code bytes} of nodes into its own segment. */
    void nodesWritten(long bytes) {
        if (bytes > 0) {
            nodeBytes.merge(seq, bytes, Long::sum);
        }
    }
}
