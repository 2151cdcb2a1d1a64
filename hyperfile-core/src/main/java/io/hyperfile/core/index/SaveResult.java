package io.hyperfile.core.index;

import java.util.List;

/**
 * What {@link MutableBlockIndex#save} did: the new snapshot (its {@link BlockIndex#rootPointer()} and
 * {@link BlockIndex#height()} go into the segment footer) and the nodes it wrote, children before parents, so the
 * caller can put them into the {@link NodeCache}.
 */
public record SaveResult(BlockIndex index, List<SavedNode> writtenNodes, long bytesWritten) {

    /** One node written by save: where it went and the decoded node (which references children by pointer only). */
    public record SavedNode(NodePointer pointer, IndexNode node) {
    }

    public SaveResult {
        writtenNodes = List.copyOf(writtenNodes);
    }

    public int nodesWritten() {
        return writtenNodes.size();
    }
}
