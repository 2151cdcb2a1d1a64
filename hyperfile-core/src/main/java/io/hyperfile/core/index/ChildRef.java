package io.hyperfile.core.index;

/**
 * One child slot of an internal node while it is being rebuilt: its key (first block), either a pointer to the saved
 * child or the unsaved child itself, and the child's subtree totals.
 */
record ChildRef(long key, NodePointer pointer, IndexNode node, long extents, long blocks, long nodes) {

    static ChildRef of(IndexNode unsaved) {
        return new ChildRef(unsaved.firstBlock(), null, unsaved, unsaved.extentCount(), unsaved.mappedBlocks(),
                unsaved.nodeCount());
    }

    boolean isUnsaved() {
        return node != null;
    }
}
