package io.hyperfile.nbd.access;

import java.util.Map;
import java.util.Objects;

/**
 * Who may connect and how many: the allow-list, the connection limits and the default export of a server. Immutable;
 * nothing is changeable at runtime. {@link #OPEN} is what a server has without any of it: everyone, no limits, and
 * the only export as the default one.
 *
 * @param policy who may use which export
 * @param maxConnections open connections of the whole server (handshaking or transmitting); one more is closed at
 *     accept, before the greeting. 0: no limit
 * @param maxConnectionsPerExport connections in transmission on one export, for exports without their own limit;
 *     one more gets {@code ERR_POLICY} on GO (and is closed on EXPORT_NAME). 0: no limit
 * @param maxConnectionsByExport per-export limits by name, overriding {@code maxConnectionsPerExport}; a limit for
 *     {@code NAME} also applies to each {@code NAME@SNAPSHOT} (counted per export). 0: no limit
 * @param defaultExport the export an empty name selects; null: the only export, if there is exactly one
 */
public record AccessConfig(AccessPolicy policy, int maxConnections, int maxConnectionsPerExport,
        Map<String, Integer> maxConnectionsByExport, String defaultExport) {

    public static final AccessConfig OPEN = new AccessConfig(AccessPolicy.OPEN, 0, 0, Map.of(), null);

    public AccessConfig {
        Objects.requireNonNull(policy, "policy");
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must not be negative (0: no limit). maxConnections=" + maxConnections);
        }
        if (maxConnectionsPerExport < 0) {
            throw new IllegalArgumentException("maxConnectionsPerExport must not be negative (0: no limit). maxConnectionsPerExport="
                    + maxConnectionsPerExport);
        }
        maxConnectionsByExport = Map.copyOf(maxConnectionsByExport);
        maxConnectionsByExport.forEach((name, n) -> {
            if (n < 0) {
                throw new IllegalArgumentException("the connection limit of export '" + name + "' must not be negative. limit=" + n);
            }
        });
        if (defaultExport != null && defaultExport.isEmpty()) {
            throw new IllegalArgumentException("defaultExport must not be empty (null: the only export)");
        }
    }

    /** The same settings with another policy. */
    public AccessConfig withPolicy(AccessPolicy p) {
        return new AccessConfig(p, maxConnections, maxConnectionsPerExport, maxConnectionsByExport, defaultExport);
    }

    /** The same settings with these server and default per-export limits. */
    public AccessConfig withLimits(int server, int perExport, Map<String, Integer> byExport) {
        return new AccessConfig(policy, server, perExport, byExport, defaultExport);
    }

    /** The same settings with another default export (null: the only export). */
    public AccessConfig withDefaultExport(String name) {
        return new AccessConfig(policy, maxConnections, maxConnectionsPerExport, maxConnectionsByExport, name);
    }

    /** The connection limit of {@code export} (0: none). */
    public int maxConnectionsOf(String export) {
        Integer own = maxConnectionsByExport.get(export);
        int at = export.indexOf('@');
        if (own == null && at > 0) {
            own = maxConnectionsByExport.get(export.substring(0, at));
        }
        return own != null ? own : maxConnectionsPerExport;
    }
}
