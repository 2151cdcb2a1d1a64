package io.hyperfile.nbd.access;

import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.protocol.ExportGate;
import io.netty.channel.Channel;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ExportGate} of a server: its {@link AccessPolicy}, its per-export {@link ConnectionLimits} and its
 * default export. Refusals are logged at INFO with the client and the export; the client itself is told only that
 * access was denied. Thread-safe.
 */
public final class ExportAccess implements ExportGate {
    private static final Logger LOG = LoggerFactory.getLogger(ExportAccess.class);
    /** The whole ERR_POLICY text of a refusal: it names nothing, not even the default export an empty name stood for. */
    static final String DENIED = "access to the requested export is denied";

    private final AccessConfig config;
    private final ExportRegistry exports;
    private final ConnectionLimits limits;

    public ExportAccess(ExportRegistry exports, ConnectionLimits limits) {
        this.config = limits.config();
        this.exports = exports;
        this.limits = limits;
    }

    /**
     * "" selects an export named "" if there is one, else the configured default export, else the only export of the
     * registry; with several exports and no default it stays "" (unknown).
     */
    @Override
    public String resolve(String requested) {
        if (!requested.isEmpty() || exports.find("").isPresent()) {
            return requested;
        }
        if (config.defaultExport() != null) {
            return config.defaultExport();
        }
        List<Export> all = exports.list();
        return all.size() == 1 ? all.get(0).name() : requested;
    }

    @Override
    public Optional<String> refusal(Channel channel, String export) {
        Peer peer = Peer.of(channel);
        if (config.policy().allows(export, peer)) {
            return Optional.empty();
        }
        LOG.info("{}: refused export '{}' to {}: no allow rule of the export matches", channel, export, peer.describe());
        return Optional.of(DENIED);
    }

    @Override
    public boolean isListed(Channel channel, String export) {
        return config.policy().allows(export, Peer.of(channel));
    }

    @Override
    public Optional<String> admit(Channel channel, Export export) {
        if (limits.tryAdmit(channel, export.name())) {
            return Optional.empty();
        }
        int max = config.maxConnectionsOf(export.name());
        LOG.info("{}: refused a connection to export '{}': it has its maximum of {} connections", channel, export.name(), max);
        return Optional.of("export '" + export.name() + "' has its maximum of " + max + " connections; try again later");
    }

    @Override
    public String unknownExportMessage(String name) {
        if (name.isEmpty() && exports.unavailableMessage(name).isEmpty()) {
            return "no default export: this server has " + exports.size() + " exports; ask for one by name (a LIST shows"
                    + " them)";
        }
        return exports.unknownExportMessage(name);
    }
}
