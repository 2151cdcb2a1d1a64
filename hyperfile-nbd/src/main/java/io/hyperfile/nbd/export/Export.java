package io.hyperfile.nbd.export;

import io.hyperfile.core.volume.Volume;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One export: the name clients ask for, the open volume behind it (shared by every connection to the export, which
 * is what makes {@code CAN_MULTI_CONN} true), whether writes are refused, and a human-readable description.
 *
 * @param name export name: UTF-8, at most 4096 bytes, no NUL ("" is the default export)
 * @param volume the open volume; the registry's owner opens and closes it
 * @param readOnly true to advertise READ_ONLY and refuse WRITE, TRIM and WRITE_ZEROES with EPERM
 * @param description free text shown by {@code NBD_OPT_LIST} and {@code NBD_INFO_DESCRIPTION}; may be empty
 */
public record Export(String name, Volume volume, boolean readOnly, String description) {
    public Export {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(volume, "volume");
        description = description == null ? "" : description;
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 4096 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("export name must be at most 4096 UTF-8 bytes without NUL. name bytes=" + bytes);
        }
        if (description.getBytes(StandardCharsets.UTF_8).length > 4096) {
            throw new IllegalArgumentException("export description must be at most 4096 UTF-8 bytes");
        }
    }

    /** A writable export described by its volume's size. */
    public static Export of(String name, Volume volume) {
        return new Export(name, volume, false, "");
    }

    /** The same export, read-only. */
    public Export asReadOnly() {
        return new Export(name, volume, true, description);
    }

    /** Export size in bytes (the volume's). */
    public long sizeBytes() {
        return volume.sizeBytes();
    }
}
