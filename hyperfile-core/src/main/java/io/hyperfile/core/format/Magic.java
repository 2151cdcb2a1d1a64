package io.hyperfile.core.format;

/**
 * Magic numbers that open Hyperfile structures, gathered here so no two formats pick the same one. Values are
 * chosen to be readable in a hex dump.
 */
public final class Magic {
    /** First byte of an index leaf node: ASCII {@code 'L'}. */
    public static final byte INDEX_LEAF_NODE = 0x4C;

    /** First byte of an index internal node: ASCII {@code 'I'}. */
    public static final byte INDEX_INTERNAL_NODE = 0x49;

    private Magic() {
    }
}
