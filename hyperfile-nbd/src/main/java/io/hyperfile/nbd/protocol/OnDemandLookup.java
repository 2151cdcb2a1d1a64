package io.hyperfile.nbd.protocol;

import static io.hyperfile.nbd.protocol.NbdConstants.*;

import io.hyperfile.nbd.export.ExportRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Before the handshake answers an option that names an export (EXPORT_NAME, INFO, GO, LIST/SET_META_CONTEXT): if the
 * name is no export but one the registry opens on demand ({@link ExportRegistry.OnDemand}) and the client may use it,
 * starts that open ({@link #start}); the option handler stops reading meanwhile and answers the option as usual once
 * the open completed ({@link #whenOpened}). Also reads the handshake's length-prefixed strings. Stateless.
 */
final class OnDemandLookup {
    private OnDemandLookup() {
    }

    /** The open started for the export {@code option}'s data names, or empty if there is nothing to wait for. */
    static Optional<CompletableFuture<Optional<String>>> start(ExportRegistry exports, ExportGate gate, Channel channel,
            int option, ByteBuf data) {
        String name = name(option, data);
        if (name == null || name.isEmpty()) {
            return Optional.empty();
        }
        name = gate.resolve(name);
        if (exports.find(name).isPresent() || !gate.isListed(channel, name)) {
            return Optional.empty(); // served already, or refused: the option handler answers as usual
        }
        return exports.openOnDemand(name);
    }

    /** Answers an option once its export opened; returns whether the handshake goes on (no transmission yet). */
    @FunctionalInterface
    interface Answer {
        boolean answer(String failure);
    }

    /** Reads what arrived while waiting. */
    @FunctionalInterface
    interface Resume {
        void resume() throws Exception;
    }

    /**
     * Once {@code opening} completed, on the channel's event loop and unless the channel closed or stopped waiting
     * meanwhile: turns auto-read back on, calls {@code answer} with the reason the export could not be opened (null if
     * it was), and then, if the handshake goes on, {@code resume}. Releases {@code held} (the copy of the option's data)
     * in every case.
     */
    static void whenOpened(ChannelHandlerContext ctx, CompletableFuture<Optional<String>> opening, ByteBuf held,
            BooleanSupplier stillWaiting, Answer answer, Resume resume) {
        opening.whenCompleteAsync((failure, e) -> {
            try {
                if (!stillWaiting.getAsBoolean() || !ctx.channel().isActive()) {
                    return; // closed meanwhile (handshake timeout, client gone)
                }
                ctx.channel().config().setAutoRead(true);
                String why = e != null ? "cannot open the export: " + e.getMessage() : failure.orElse(null);
                if (answer.answer(why)) {
                    resume.resume();
                }
            } catch (Exception ex) {
                ctx.fireExceptionCaught(ex);
            } finally {
                held.release();
            }
        }, ctx.executor());
    }

    /** The export name in {@code option}'s data (not consumed), or null if it names none or is malformed. */
    static String name(int option, ByteBuf data) {
        return switch (option) {
            case OPT_EXPORT_NAME -> data.toString(StandardCharsets.UTF_8);
            case OPT_INFO, OPT_GO, OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> string32(data);
            default -> null;
        };
    }

    /** The {@code u32 length, bytes} string at the start of {@code data}, without consuming it; null if malformed. */
    private static String string32(ByteBuf data) {
        return readString32(data.duplicate());
    }

    /** Reads {@code u32 length, bytes} as UTF-8; null if the length overruns the data or exceeds the string limit. */
    static String readString32(ByteBuf data) {
        if (data.readableBytes() < 4) {
            return null;
        }
        long len = data.readUnsignedInt();
        if (len > data.readableBytes() || len > MAX_STRING_BYTES) {
            return null;
        }
        String s = data.toString(data.readerIndex(), (int) len, StandardCharsets.UTF_8);
        data.skipBytes((int) len);
        return s;
    }
}
