package io.hyperfile.core.cache;

import io.hyperfile.core.segment.SegmentKeys;

/**
 * A segment key taken apart: the volume prefix ({@code ""} or ending in '/') and the seq. Only keys of the exact
 * form {@code <prefix>seg/<20 digits>} are segments (see {@link SegmentKeys}).
 */
record SegmentName(String prefix, long seq) {
    private static final String SEG = "seg/";
    private static final int SEG_KEY_TAIL = SEG.length() + 20;

    /** The segment {@code key} names, or null if it is not a segment key. */
    static SegmentName parse(String key) {
        int head = key.length() - SEG_KEY_TAIL;
        if (head < 0 || !key.startsWith(SEG, head) || (head > 0 && key.charAt(head - 1) != '/')) {
            return null;
        }
        String prefix = key.substring(0, head);
        long seq = SegmentKeys.parseSegment(prefix, key);
        return seq > 0 ? new SegmentName(prefix, seq) : null;
    }
}
