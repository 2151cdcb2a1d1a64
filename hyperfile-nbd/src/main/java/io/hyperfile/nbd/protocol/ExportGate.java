package io.hyperfile.nbd.protocol;

import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.netty.channel.Channel;
import java.util.Optional;

/**
 * What the handshake asks before it lets a connection see or use an export: which export an empty name selects,
 * whether this client may use an export (otherwise {@code ERR_POLICY}, and the export is left out of LIST), and
 * whether the export has room for one more connection. Called on the channel's event loop; must not block.
 */
public interface ExportGate {

    /** The name a client's requested name stands for: itself, or for "" the default export's name if there is one. */
    String resolve(String requested);

    /** Why this connection may not use the export named {@code export} (the ERR_POLICY text), or empty if it may. */
    Optional<String> refusal(Channel channel, String export);

    /** Whether LIST shows this connection the export named {@code export} (the same decision as {@link #refusal}, not logged). */
    boolean isListed(Channel channel, String export);

    /**
     * On GO/EXPORT_NAME: counts the connection against the export until it closes, or returns why it cannot (the
     * ERR_POLICY text: the export has its maximum of connections).
     */
    Optional<String> admit(Channel channel, Export export);

    /** What to tell a client that asked for {@code name}, which is not an export. */
    String unknownExportMessage(String name);

    /** Everyone may use every export, without limits; "" selects only an export named "" (the registry's rule). */
    static ExportGate open(ExportRegistry exports) {
        return new ExportGate() {
            @Override
            public String resolve(String requested) {
                return requested;
            }

            @Override
            public Optional<String> refusal(Channel channel, String export) {
                return Optional.empty();
            }

            @Override
            public boolean isListed(Channel channel, String export) {
                return true;
            }

            @Override
            public Optional<String> admit(Channel channel, Export export) {
                return Optional.empty();
            }

            @Override
            public String unknownExportMessage(String name) {
                return exports.unknownExportMessage(name);
            }
        };
    }
}
