package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;

import io.hyperfile.nbd.protocol.NbdConstants;
import io.hyperfile.nbd.protocol.NbdError;
import io.hyperfile.nbd.protocol.NbdRequest;
import io.hyperfile.nbd.protocol.NbdSession;

/**
 * Decides whether a transmission request may run, in the style guide's order (§4): unknown command or a flag
 * unknown or not valid for the command → EINVAL; range beyond the export (unsigned) → ENOSPC for WRITE and
 * WRITE_ZEROES, EINVAL otherwise; READ above the maximum payload → EINVAL; a write to a read-only export → EPERM;
 * BLOCK_STATUS without a selected context (or of zero bytes) → EINVAL. Protocol checks only: whether a request can
 * be done (a FAST_ZERO that would not be fast, say) is the block device's answer. Immutable; one per connection.
 */
final class RequestValidator {
    /** Why a request is refused. */
    record Rejection(NbdError error, String message) {
    }

    private final NbdSession session;
    private final long size;
    private final boolean readOnly;
    private final long maxPayload;

    RequestValidator(NbdSession session, long maxPayload) {
        this.session = session;
        this.size = session.export().sizeBytes();
        this.readOnly = session.export().readOnly();
        this.maxPayload = maxPayload;
    }

    /** Null if the request may run. */
    Rejection check(NbdRequest req) {
        int type = req.type();
        int allowed = CMD_FLAG_FUA;
        switch (type) {
            case CMD_READ -> allowed |= session.structuredReplies() ? CMD_FLAG_DF : 0;
            case CMD_WRITE, CMD_FLUSH, CMD_TRIM, CMD_CACHE -> {
            }
            case CMD_WRITE_ZEROES -> allowed |= CMD_FLAG_NO_HOLE | (readOnly ? 0 : CMD_FLAG_FAST_ZERO);
            case CMD_BLOCK_STATUS -> allowed |= CMD_FLAG_REQ_ONE;
            default -> {
                return new Rejection(NbdError.EINVAL, "unknown command " + type);
            }
        }
        if ((req.flags() & ~allowed) != 0) {
            return new Rejection(NbdError.EINVAL, "flags 0x" + Integer.toHexString(req.flags()) + " are not valid for "
                    + NbdConstants.commandName(type));
        }
        if (type == CMD_FLUSH) {
            return null;
        }
        long offset = req.offset();
        long length = req.length();
        if (Long.compareUnsigned(offset, size) > 0 || length > size - offset) {
            boolean write = type == CMD_WRITE || type == CMD_WRITE_ZEROES;
            return new Rejection(write ? NbdError.ENOSPC : NbdError.EINVAL, NbdConstants.commandName(type) + " of "
                    + length + " bytes at offset " + Long.toUnsignedString(offset)
                    + " reaches beyond the end of the export (" + size + " bytes)");
        }
        if (type == CMD_READ && length > maxPayload) {
            return new Rejection(NbdError.EINVAL, "READ of " + length + " bytes exceeds the maximum payload of "
                    + maxPayload + " bytes");
        }
        if (readOnly && (type == CMD_WRITE || type == CMD_TRIM || type == CMD_WRITE_ZEROES)) {
            return new Rejection(NbdError.EPERM, "export '" + session.export().name() + "' is read-only");
        }
        if (type == CMD_BLOCK_STATUS && !session.hasMetaContext()) {
            return new Rejection(NbdError.EINVAL, "BLOCK_STATUS needs a metadata context selected with SET_META_CONTEXT");
        }
        if (type == CMD_BLOCK_STATUS && length == 0) {
            return new Rejection(NbdError.EINVAL, "BLOCK_STATUS of zero bytes");
        }
        return null;
    }
}
