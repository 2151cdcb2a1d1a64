package io.hyperfile.nbd.protocol;

import static io.hyperfile.nbd.protocol.NbdConstants.*;

import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.tls.ServerTls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handshake: sends the fixed-newstyle greeting, reads the client flags, then answers options one at a time
 * until {@code EXPORT_NAME} or a successful {@code GO} enters transmission (see {@link TransmissionStarter}).
 *
 * <pre>
 * server greeting: "NBDMAGIC" | "IHAVEOPT" | u16 flags (FIXED_NEWSTYLE | NO_ZEROES)
 * client flags:    u32 (C_FIXED_NEWSTYLE, C_NO_ZEROES; any other bit closes the connection)
 * option:          u64 "IHAVEOPT" | u32 option | u32 length | data
 * option reply:    u64 0x3e889045565a9 | u32 option | u32 reply type | u32 length | data
 * </pre>
 *
 * Options: EXPORT_NAME, ABORT, LIST, STARTTLS (see {@link ServerTls}: ERR_POLICY when TLS is off; ACK and the switch
 * to TLS when on; ERR_INVALID once TLS is running; with TLS required, every other option but ABORT gets ERR_TLS_REQD
 * before TLS and EXPORT_NAME closes the connection), INFO, GO (INFO_EXPORT, NAME,
 * DESCRIPTION, BLOCK_SIZE), STRUCTURED_REPLY, LIST/SET_META_CONTEXT (base:allocation and
 * hyperfile:changed-since:CHECKPOINT, see {@link MetaContexts}). Names go through the
 * {@link ExportGate}: an empty name may select a default export, a client the gate refuses gets ERR_POLICY (EXPORT_NAME:
 * the connection closes) and does not see the export in LIST, and GO to an export at its connection limit gets
 * ERR_POLICY. An unknown export gets
 * ERR_UNKNOWN with the registry's text for it (which says so when the name is one the server is still opening). Any other option has its
 * data consumed and gets ERR_UNSUP. Option data longer than the configured cap is skipped without being buffered
 * and gets ERR_TOO_BIG. While the server drains, options get ERR_SHUTDOWN. A bad option magic, unknown client flags
 * or an unknown export in EXPORT_NAME (which has no error reply) close the connection, as does a handshake that
 * takes longer than the configured timeout. Not thread-safe: one per channel, on its event loop.
 */
public final class NbdOptionHandler extends ByteToMessageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(NbdOptionHandler.class);
    private static final int KNOWN_CLIENT_FLAGS = FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES;

    private enum State { CLIENT_FLAGS, OPTION_HEADER, OPTION_DATA, SKIP, WAITING, DONE }

    private final ExportRegistry exports;
    private final HandshakeSettings settings;
    private final BooleanSupplier draining;
    private final TransmissionStarter starter;
    private final ExportGate gate;
    private final ServerTls tls;

    private State state = State.CLIENT_FLAGS;
    private boolean noZeroes;
    private boolean structuredReplies;
    /** Export name the metadata contexts were selected for (null: none), and what was selected. */
    private String contextExport;
    private MetaContexts.Selection contexts = MetaContexts.Selection.NONE;
    private int option;
    private long optionLength;
    private long skipRemaining;
    private ScheduledFuture<?> timeout;
    /** STARTTLS was acknowledged: everything read since is TLS. */
    private boolean tlsActive;
    /** STARTTLS was just acknowledged; the decode loop hands the channel to TLS before reading on. */
    private boolean tlsStarting;
    /** While an option is replayed after an on-demand open failed: the export's name and why, else null. */
    private String onDemandName;
    private String onDemandFailure;

    /** A handler that lets everyone use every export ({@link ExportGate#open}), without TLS. */
    public NbdOptionHandler(ExportRegistry exports, HandshakeSettings settings, BooleanSupplier draining,
            TransmissionStarter starter) {
        this(exports, settings, draining, starter, ExportGate.open(exports), ServerTls.OFF);
    }

    /**
     * A handler that asks {@code gate} which export a name selects and who may use it (see {@link ExportGate}), and
     * offers or requires TLS as {@code tls} says ({@link ServerTls#OFF}: STARTTLS gets ERR_POLICY).
     */
    public NbdOptionHandler(ExportRegistry exports, HandshakeSettings settings, BooleanSupplier draining,
            TransmissionStarter starter, ExportGate gate, ServerTls tls) {
        this.exports = exports;
        this.settings = settings;
        this.draining = draining;
        this.starter = starter;
        this.gate = gate;
        this.tls = tls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ByteBuf greeting = ctx.alloc().buffer(18).writeLong(NBDMAGIC).writeLong(IHAVEOPT)
                .writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        ctx.writeAndFlush(greeting);
        if (settings.handshakeTimeoutMillis() > 0) {
            timeout = ctx.executor().schedule(() -> {
                if (state != State.DONE) {
                    LOG.debug("{}: handshake not finished after {} ms; closing", ctx.channel(), settings.handshakeTimeoutMillis());
                    ctx.close();
                }
            }, settings.handshakeTimeoutMillis(), TimeUnit.MILLISECONDS);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimeout();
        super.channelInactive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (state != State.DONE && state != State.WAITING) { // WAITING: input stays buffered, auto-read is off
            switch (state) {
                case CLIENT_FLAGS -> {
                    if (in.readableBytes() < 4) {
                        return;
                    }
                    int flags = in.readInt();
                    if ((flags & ~KNOWN_CLIENT_FLAGS) != 0) {
                        closeOnViolation(ctx, in, "unknown client flags 0x" + Integer.toHexString(flags));
                        return;
                    }
                    noZeroes = (flags & FLAG_C_NO_ZEROES) != 0;
                    state = State.OPTION_HEADER;
                }
                case OPTION_HEADER -> {
                    if (in.readableBytes() < 16) {
                        return;
                    }
                    long magic = in.readLong();
                    if (magic != IHAVEOPT) {
                        closeOnViolation(ctx, in, "bad option magic 0x" + Long.toHexString(magic));
                        return;
                    }
                    option = in.readInt();
                    optionLength = in.readUnsignedInt();
                    if (optionLength > settings.maxOptionBytes()) {
                        if (option == OPT_EXPORT_NAME) {
                            closeOnViolation(ctx, in, "EXPORT_NAME of " + optionLength + " bytes");
                            return;
                        }
                        skipRemaining = optionLength;
                        state = State.SKIP;
                    } else {
                        state = State.OPTION_DATA;
                    }
                }
                case SKIP -> {
                    int n = (int) Math.min(in.readableBytes(), skipRemaining);
                    in.skipBytes(n);
                    skipRemaining -= n;
                    if (skipRemaining > 0) {
                        return;
                    }
                    state = State.OPTION_HEADER;
                    if (tls.isRequired() && !tlsActive) {
                        replyError(ctx, REP_ERR_TLS_REQD, "this server requires TLS: send STARTTLS first");
                    } else {
                        replyError(ctx, REP_ERR_TOO_BIG, "option data of " + optionLength + " bytes exceeds the limit of "
                                + settings.maxOptionBytes());
                    }
                    ctx.flush();
                }
                case OPTION_DATA -> {
                    if (in.readableBytes() < optionLength) {
                        return;
                    }
                    ByteBuf data = in.readSlice((int) optionLength);
                    state = State.OPTION_HEADER;
                    if (waitForOnDemandExport(ctx, data)) {
                        return;
                    }
                    handleOption(ctx, data);
                    ctx.flush();
                    if (tlsStarting) {
                        tlsStarting = false;
                        tls.upgrade(ctx, in.isReadable() ? in.readRetainedSlice(in.readableBytes()) : null,
                                settings.handshakeTimeoutMillis());
                        return;
                    }
                }
                default -> throw new IllegalStateException(state.toString());
            }
        }
    }

    /**
     * If the option names an export the registry opens on demand (see {@link OnDemandLookup}), stops reading, keeps a
     * copy of the option's data and returns true; once the open completes, the option is answered as usual on this
     * channel's event loop (the export is then registered, or the client is told why not) and reading goes on.
     */
    private boolean waitForOnDemandExport(ChannelHandlerContext ctx, ByteBuf data) {
        if (draining.getAsBoolean() || (tls.isRequired() && !tlsActive)) {
            return false;
        }
        Optional<java.util.concurrent.CompletableFuture<Optional<String>>> opening =
                OnDemandLookup.start(exports, gate, ctx.channel(), option, data);
        if (opening.isEmpty()) {
            return false;
        }
        ByteBuf held = ctx.alloc().buffer(data.readableBytes()).writeBytes(data);
        int heldOption = option;
        state = State.WAITING;
        ctx.channel().config().setAutoRead(false);
        OnDemandLookup.whenOpened(ctx, opening.get(), held, () -> state == State.WAITING, failure -> {
            state = State.OPTION_HEADER;
            option = heldOption;
            onDemandName = gate.resolve(OnDemandLookup.name(heldOption, held));
            onDemandFailure = failure;
            try {
                handleOption(ctx, held);
            } finally {
                onDemandName = null;
                onDemandFailure = null;
            }
            ctx.flush();
            return state != State.DONE;
        }, () -> channelRead(ctx, Unpooled.EMPTY_BUFFER));
        return true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (state == State.WAITING) {
            ctx.fireChannelReadComplete(); // not super's: it would read on although auto-read is off
            return;
        }
        super.channelReadComplete(ctx);
    }

    /** What to tell a client that asked for {@code name}, which is not an export. */
    private String unknownExport(String name) {
        return onDemandFailure != null && name.equals(onDemandName) ? onDemandFailure : gate.unknownExportMessage(name);
    }

    private void handleOption(ChannelHandlerContext ctx, ByteBuf data) {
        LOG.trace("{}: option {} with {} bytes", ctx.channel(), optionName(option), data.readableBytes());
        if (option == OPT_ABORT) {
            reply(ctx, REP_ACK, Unpooled.EMPTY_BUFFER);
            state = State.DONE;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (draining.getAsBoolean()) {
            if (option == OPT_EXPORT_NAME) {
                closeOnViolation(ctx, data, "server is shutting down");
                return;
            }
            replyError(ctx, REP_ERR_SHUTDOWN, "server is shutting down");
            return;
        }
        if (tls.isRequired() && !tlsActive && option != OPT_STARTTLS) {
            if (option == OPT_EXPORT_NAME) {
                closeOnViolation(ctx, data, "EXPORT_NAME before STARTTLS on a server that requires TLS");
                return;
            }
            replyError(ctx, REP_ERR_TLS_REQD, "this server requires TLS: send STARTTLS first");
            return;
        }
        switch (option) {
            case OPT_EXPORT_NAME -> exportName(ctx, data);
            case OPT_LIST -> list(ctx, data);
            case OPT_STARTTLS -> startTls(ctx, data);
            case OPT_INFO, OPT_GO -> infoOrGo(ctx, data, option == OPT_GO);
            case OPT_STRUCTURED_REPLY -> {
                if (data.isReadable()) {
                    replyError(ctx, REP_ERR_INVALID, "STRUCTURED_REPLY takes no data");
                } else {
                    structuredReplies = true;
                    reply(ctx, REP_ACK, Unpooled.EMPTY_BUFFER);
                }
            }
            case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(ctx, data, option == OPT_SET_META_CONTEXT);
            default -> replyError(ctx, REP_ERR_UNSUP, "option " + optionName(option) + " is not supported");
        }
    }

    /** ACK, then (once the decode loop regains control) TLS; the options negotiated so far are forgotten. */
    private void startTls(ChannelHandlerContext ctx, ByteBuf data) {
        if (data.isReadable()) {
            replyError(ctx, REP_ERR_INVALID, "STARTTLS takes no data");
        } else if (!tls.isOffered()) {
            replyError(ctx, REP_ERR_POLICY, "TLS is not configured on this server");
        } else if (tlsActive) {
            replyError(ctx, REP_ERR_INVALID, "TLS is already running on this connection");
        } else {
            reply(ctx, REP_ACK, Unpooled.EMPTY_BUFFER);
            tlsActive = true;
            tlsStarting = true;
            structuredReplies = false;
            contextExport = null;
        }
    }

    private void exportName(ChannelHandlerContext ctx, ByteBuf data) {
        String name = gate.resolve(data.toString(StandardCharsets.UTF_8));
        Optional<String> refused = gate.refusal(ctx.channel(), name);
        Optional<Export> export = exports.find(name);
        if (refused.isEmpty() && export.isEmpty()) {
            refused = Optional.of("EXPORT_NAME for an unknown export: " + unknownExport(name));
        }
        if (refused.isEmpty()) {
            refused = gate.admit(ctx.channel(), export.get());
        }
        if (refused.isPresent()) { // EXPORT_NAME has no error reply
            closeOnViolation(ctx, data, refused.get());
            return;
        }
        int flags = NbdSession.transmissionFlags(export.get().readOnly(), structuredReplies);
        ByteBuf reply = ctx.alloc().buffer(noZeroes ? 10 : 134).writeLong(export.get().sizeBytes()).writeShort(flags);
        if (!noZeroes) {
            reply.writeZero(124);
        }
        ctx.write(reply);
        enterTransmission(ctx, export.get(), flags);
    }

    private void list(ChannelHandlerContext ctx, ByteBuf data) {
        if (data.isReadable()) {
            replyError(ctx, REP_ERR_INVALID, "LIST takes no data");
            return;
        }
        for (Export e : exports.list()) {
            if (!gate.isListed(ctx.channel(), e.name())) {
                continue; // not listed to a client that may not use it
            }
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            byte[] description = e.description().getBytes(StandardCharsets.UTF_8);
            reply(ctx, REP_SERVER, ctx.alloc().buffer(4 + name.length + description.length)
                    .writeInt(name.length).writeBytes(name).writeBytes(description));
        }
        reply(ctx, REP_ACK, Unpooled.EMPTY_BUFFER);
    }

    /** INFO and GO: {@code u32 name length, name, u16 n, n × u16 info type}. */
    private void infoOrGo(ChannelHandlerContext ctx, ByteBuf data, boolean go) {
        String name = OnDemandLookup.readString32(data);
        if (name == null || data.readableBytes() < 2) {
            replyError(ctx, REP_ERR_INVALID, "malformed " + optionName(option) + " request");
            return;
        }
        int n = data.readUnsignedShort();
        if (data.readableBytes() != 2 * n) {
            replyError(ctx, REP_ERR_INVALID, "malformed " + optionName(option) + " request: " + n
                    + " info requests in " + data.readableBytes() + " bytes");
            return;
        }
        boolean wantName = false;
        boolean wantDescription = false;
        for (int i = 0; i < n; i++) {
            int info = data.readUnsignedShort();
            wantName |= info == INFO_NAME;
            wantDescription |= info == INFO_DESCRIPTION;
        }
        name = gate.resolve(name);
        if (refusedPolicy(ctx, name)) {
            return;
        }
        Optional<Export> found = exports.find(name);
        if (found.isEmpty()) {
            replyError(ctx, REP_ERR_UNKNOWN, unknownExport(name));
            return;
        }
        Export export = found.get();
        Optional<String> full = go ? gate.admit(ctx.channel(), export) : Optional.empty();
        if (full.isPresent()) {
            replyError(ctx, REP_ERR_POLICY, full.get());
            return;
        }
        int flags = NbdSession.transmissionFlags(export.readOnly(), structuredReplies);
        reply(ctx, REP_INFO, ctx.alloc().buffer(12).writeShort(INFO_EXPORT).writeLong(export.sizeBytes()).writeShort(flags));
        if (wantName) {
            byte[] b = export.name().getBytes(StandardCharsets.UTF_8);
            reply(ctx, REP_INFO, ctx.alloc().buffer(2 + b.length).writeShort(INFO_NAME).writeBytes(b));
        }
        if (wantDescription && !export.description().isEmpty()) {
            byte[] b = export.description().getBytes(StandardCharsets.UTF_8);
            reply(ctx, REP_INFO, ctx.alloc().buffer(2 + b.length).writeShort(INFO_DESCRIPTION).writeBytes(b));
        }
        // Block sizes are sent whether asked or not: clients that did not ask may ignore them (the kernel does),
        // and ours are the spec's defaults, so nobody is required to ask.
        reply(ctx, REP_INFO, ctx.alloc().buffer(14).writeShort(INFO_BLOCK_SIZE).writeInt(settings.minimumBlockSize())
                .writeInt(settings.preferredBlockSize()).writeInt(settings.maximumPayload()));
        reply(ctx, REP_ACK, Unpooled.EMPTY_BUFFER);
        if (go) {
            enterTransmission(ctx, export, flags);
        }
    }

    /** LIST/SET_META_CONTEXT; the contexts and their matching are in {@link MetaContexts}. */
    private void metaContext(ChannelHandlerContext ctx, ByteBuf data, boolean set) {
        if (set) {
            contextExport = null; // SET replaces the selection, even when it fails
            contexts = MetaContexts.Selection.NONE;
        }
        if (!structuredReplies) {
            replyError(ctx, REP_ERR_INVALID, "negotiate STRUCTURED_REPLY before " + optionName(option));
            return;
        }
        MetaContexts.Request request = MetaContexts.parse(data, MAX_STRING_BYTES, optionName(option));
        if (request.error() != null) {
            replyError(ctx, REP_ERR_INVALID, request.error());
            return;
        }
        String name = gate.resolve(request.exportName());
        if (refusedPolicy(ctx, name)) {
            return;
        }
        if (exports.find(name).isEmpty()) {
            replyError(ctx, REP_ERR_UNKNOWN, unknownExport(name));
            return;
        }
        MetaContexts.Selection selection = MetaContexts.match(request.queries(), set);
        for (MetaContexts.Reply c : selection.replies(set)) {
            byte[] b = c.name().getBytes(StandardCharsets.UTF_8);
            reply(ctx, REP_META_CONTEXT, ctx.alloc().buffer(4 + b.length).writeInt(c.id()).writeBytes(b));
        }
        if (set) {
            contextExport = name;
            contexts = selection;
        }
        reply(ctx, REP_ACK, Unpooled.EMPTY_BUFFER);
    }

    private void enterTransmission(ChannelHandlerContext ctx, Export export, int flags) {
        state = State.DONE;
        cancelTimeout();
        MetaContexts.Selection selected = structuredReplies && export.name().equals(contextExport) ? contexts
                : MetaContexts.Selection.NONE;
        NbdSession session = new NbdSession(export, structuredReplies, selected.allocation() ? MetaContexts.ALLOCATION_ID : 0,
                flags, selected.changedSince());
        LOG.debug("{}: entering transmission on export '{}' (structured replies {}, flags 0x{})", ctx.channel(),
                export.name(), structuredReplies, Integer.toHexString(flags));
        ctx.flush();
        starter.start(ctx, session);
        ctx.pipeline().remove(this);
    }

    /** Answers ERR_POLICY and returns true if the gate refuses this connection the export. */
    private boolean refusedPolicy(ChannelHandlerContext ctx, String name) {
        Optional<String> refused = gate.refusal(ctx.channel(), name);
        refused.ifPresent(why -> replyError(ctx, REP_ERR_POLICY, why));
        return refused.isPresent();
    }

    private void reply(ChannelHandlerContext ctx, int type, ByteBuf data) {
        ByteBuf header = ctx.alloc().buffer(20).writeLong(OPTION_REPLY_MAGIC).writeInt(option).writeInt(type)
                .writeInt(data.readableBytes());
        ctx.write(header);
        if (data.isReadable()) {
            ctx.write(data);
        } else {
            data.release();
        }
    }

    private void replyError(ChannelHandlerContext ctx, int type, String message) {
        LOG.debug("{}: option {} answered 0x{}: {}", ctx.channel(), optionName(option), Integer.toHexString(type), message);
        byte[] text = NbdReply.truncatedUtf8(message, 256);
        reply(ctx, type, ctx.alloc().buffer(text.length).writeBytes(text));
    }

    private void closeOnViolation(ChannelHandlerContext ctx, ByteBuf in, String why) {
        LOG.debug("{}: closing during handshake: {}", ctx.channel(), why);
        state = State.DONE;
        in.skipBytes(in.readableBytes());
        cancelTimeout();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }
}
