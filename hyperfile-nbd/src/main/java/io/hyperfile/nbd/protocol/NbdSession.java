package io.hyperfile.nbd.protocol;

import io.hyperfile.nbd.export.Export;

/**
 * What one connection negotiated during option haggling: the export, whether structured replies are on, the id of
 * the selected {@code base:allocation} context (0 when none is selected), and the transmission flags that were
 * sent.
 */
public record NbdSession(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags) {

    /** Whether BLOCK_STATUS may be used (a context was selected for this export). */
    public boolean hasAllocationContext() {
        return allocationContextId != 0;
    }

    /** The transmission flags for an export (they depend on whether structured replies were negotiated). */
    public static int transmissionFlags(boolean readOnly, boolean structuredReplies) {
        int flags = NbdConstants.TF_HAS_FLAGS | NbdConstants.TF_SEND_FLUSH | NbdConstants.TF_SEND_FUA
                | NbdConstants.TF_CAN_MULTI_CONN | NbdConstants.TF_SEND_CACHE;
        if (readOnly) {
            flags |= NbdConstants.TF_READ_ONLY;
        } else {
            flags |= NbdConstants.TF_SEND_TRIM | NbdConstants.TF_SEND_WRITE_ZEROES | NbdConstants.TF_SEND_FAST_ZERO;
        }
        if (structuredReplies) {
            flags |= NbdConstants.TF_SEND_DF;
        }
        return flags;
    }
}
