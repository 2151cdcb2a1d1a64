package io.hyperfile.nbd.protocol;

import io.hyperfile.nbd.export.Export;

/**
 * What one connection negotiated during option haggling: the export, whether structured replies are on, the id of
 * the selected {@code base:allocation} context (0 when none is selected), the transmission flags that were sent,
 * and the checkpoint of the selected {@code hyperfile:changed-since:} context (null when none is selected; its id is
 * {@link #CHANGED_SINCE_CONTEXT_ID}).
 */
public record NbdSession(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags,
        String changedSince) {
    public static final int CHANGED_SINCE_CONTEXT_ID = MetaContexts.CHANGED_SINCE_ID;
    /** The BLOCK_STATUS flag of a changed run in the changed-since context. */
    public static final int STATE_CHANGED = MetaContexts.STATE_CHANGED;

    /** A session without a changed-since context. */
    public NbdSession(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags) {
        this(export, structuredReplies, allocationContextId, transmissionFlags, null);
    }

    /** Whether base:allocation was selected. */
    public boolean hasAllocationContext() {
        return allocationContextId != 0;
    }

    /** Whether BLOCK_STATUS may be used (some context was selected for this export). */
    public boolean hasMetaContext() {
        return allocationContextId != 0 || changedSince != null;
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
