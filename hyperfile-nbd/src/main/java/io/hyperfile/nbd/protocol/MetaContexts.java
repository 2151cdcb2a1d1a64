package io.hyperfile.nbd.protocol;

import static io.hyperfile.nbd.protocol.NbdConstants.CONTEXT_BASE_ALLOCATION;

import io.hyperfile.core.volume.VolumeBlockDevice;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The metadata contexts the server offers, and the matching of LIST/SET_META_CONTEXT queries against them:
 *
 * <ul>
 *   <li>{@code base:allocation} (id {@value #ALLOCATION_ID}): holes and zeroes, from the volume's index;</li>
 *   <li>{@code hyperfile:changed-since:CHECKPOINT} (id {@value #CHANGED_SINCE_ID}): which blocks changed since a
 *       checkpoint of the export's volume, flag 1 ({@value #STATE_CHANGED}) for changed, 0 for unchanged (as qemu's
 *       {@code qemu:dirty-bitmap:} contexts use bit 0). {@code CHECKPOINT} is what follows {@code VOLUME@} in a
 *       checkpoint reference: {@code seq:N}, a snapshot name, or {@code time:ISO-8601}. It is checked for form here
 *       and resolved at the first BLOCK_STATUS (option haggling never waits for the store); one per connection.</li>
 * </ul>
 *
 * Stateless: the option handler keeps what was selected. The request's wire form is
 * {@code u32 export name length, name, u32 n, n × (u32 query length, query)}.
 */
final class MetaContexts {
    static final int ALLOCATION_ID = 1;
    static final int CHANGED_SINCE_ID = 2;
    static final int STATE_CHANGED = 1;
    static final String CHANGED_SINCE = "hyperfile:changed-since:";

    private MetaContexts() {
    }

    /** A parsed request; {@code error} is non-null (and the rest unset) if it was malformed. */
    record Request(String exportName, List<String> queries, String error) {
    }

    /** What a request selects (SET) or lists (LIST): base:allocation or not, and the changed-since checkpoint or null. */
    record Selection(boolean allocation, String changedSince) {
        static final Selection NONE = new Selection(false, null);

        /** The context replies to send, in order; id 0 for LIST. */
        List<Reply> replies(boolean set) {
            List<Reply> out = new ArrayList<>(2);
            if (allocation) {
                out.add(new Reply(set ? ALLOCATION_ID : 0, CONTEXT_BASE_ALLOCATION));
            }
            if (changedSince != null) {
                out.add(new Reply(set ? CHANGED_SINCE_ID : 0, CHANGED_SINCE + changedSince));
            }
            return out;
        }
    }

    /** One {@code REP_META_CONTEXT}: the context's id and full name. */
    record Reply(int id, String name) {
    }

    static Request parse(ByteBuf data, int maxStringBytes, String optionName) {
        String name = readString32(data, maxStringBytes);
        if (name == null || data.readableBytes() < 4) {
            return new Request(null, null, "malformed " + optionName + " request");
        }
        long n = data.readUnsignedInt();
        List<String> queries = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            String query = readString32(data, maxStringBytes);
            if (query == null) {
                return new Request(null, null, "malformed " + optionName + " request: query " + i + " overruns the data");
            }
            queries.add(query);
        }
        if (data.isReadable()) {
            return new Request(null, null, "malformed " + optionName + " request: trailing bytes");
        }
        return new Request(name, queries, null);
    }

    /**
     * The contexts {@code queries} select (SET) or list (LIST; no queries lists base:allocation). Unknown or
     * ill-formed names are left out, as the protocol asks; of several changed-since queries SET takes the first.
     */
    static Selection match(List<String> queries, boolean set) {
        boolean allocation = !set && queries.isEmpty();
        String changedSince = null;
        for (String q : queries) {
            allocation |= q.equals(CONTEXT_BASE_ALLOCATION) || (!set && q.equals("base:"));
            if (changedSince == null && q.startsWith(CHANGED_SINCE)) {
                String tail = q.substring(CHANGED_SINCE.length());
                if (VolumeBlockDevice.isCheckpointName(tail)) {
                    changedSince = tail;
                }
            }
        }
        return new Selection(allocation, changedSince);
    }

    static String readString32(ByteBuf data, int maxStringBytes) {
        if (data.readableBytes() < 4) {
            return null;
        }
        long len = data.readUnsignedInt();
        if (len > data.readableBytes() || len > maxStringBytes) {
            return null;
        }
        String s = data.toString(data.readerIndex(), (int) len, StandardCharsets.UTF_8);
        data.skipBytes((int) len);
        return s;
    }
}
