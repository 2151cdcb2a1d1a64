package io.hyperfile.nbd.export;

import io.hyperfile.core.volume.BlockDevice;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One export: the name clients ask for, the block device behind it (shared by every connection to the export,
 * which is what makes {@code CAN_MULTI_CONN} true), whether writes are refused, and a human-readable description.
 * A read-only device is always exported read-only.
 *
 * @param name export name: UTF-8, at most 4096 bytes, no NUL ("" is the default export)
 * @param device the device served; the registry's owner opens and closes what is behind it
 * @param readOnly true to advertise READ_ONLY and refuse WRITE, TRIM and WRITE_ZEROES with EPERM (forced true when
 *     the device is read-only)
 * @param description free text shown by {@code NBD_OPT_LIST} and {@code NBD_INFO_DESCRIPTION}; may be empty
 */
public record Export(String name, BlockDevice device, boolean readOnly, String description) {
    public Export {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        readOnly = readOnly || device.isReadOnly();
        description = description == null ? "" : description;
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 4096 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("export name must be at most 4096 UTF-8 bytes without NUL. name bytes=" + bytes);
        }
        if (description.getBytes(StandardCharsets.UTF_8).length > 4096) {
            throw new IllegalArgumentException("export description must be at most 4096 UTF-8 bytes");
        }
    }

    /** An export of the device, writable unless the device is read-only, without description. */
    public static Export of(String name, BlockDevice device) {
        return new Export(name, device, false, "");
    }

    /** The same export, read-only. */
    public Export asReadOnly() {
        return new Export(name, device, true, description);
    }

    /** Export size in bytes (the device's). */
    public long sizeBytes() {
        return device.sizeBytes();
    }
}
