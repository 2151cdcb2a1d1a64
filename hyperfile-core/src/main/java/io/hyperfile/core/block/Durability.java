package io.hyperfile.core.block;

/** When a mutation's future may complete. */
public enum Durability {
    /** Once readers see the change; it becomes durable with the next flush (or earlier, on the device's own schedule). */
    BUFFERED,
    /**
     * Once the change itself is durable: it survives a crash of this process (NBD FUA). Other buffered changes may
     * become durable with it.
     */
    DURABLE
}
