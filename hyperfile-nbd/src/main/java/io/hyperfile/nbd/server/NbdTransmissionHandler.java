package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;

import io.hyperfile.core.block.AllocationRun;
import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.block.Durability;
import io.hyperfile.core.block.ZeroOption;
import io.hyperfile.core.volume.BlockDevice;
import io.hyperfile.core.volume.DeviceFailure;
import io.hyperfile.nbd.protocol.NbdConstants;
import io.hyperfile.nbd.protocol.NbdError;
import io.hyperfile.nbd.protocol.NbdReply;
import io.hyperfile.nbd.protocol.NbdRequest;
import io.hyperfile.nbd.protocol.NbdSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transmission phase of one connection: validates each request, translates it into one call on the export's
 * {@link BlockDevice}, and writes the reply when the device's future completes (so replies go out in completion
 * order, cookies echoed). Flags become device options (FUA → {@link Durability#DURABLE}, NO_HOLE →
 * {@link ZeroOption#ALLOCATE}, FAST_ZERO → {@link ZeroOption#FAST_ONLY}); what a request means for the disk is the
 * device's business.
 *
 * <p>Requests are checked by a {@link RequestValidator} (the style guide's error order); while draining they get
 * ESHUTDOWN. Device failures go through {@link NbdErrors}. A rejected WRITE's payload was already consumed by the
 * decoder, so the stream stays in sync.
 *
 * <p>Threading: runs on the channel's event loop and never blocks. Device futures complete on any thread; every
 * completion hops back to the event loop before touching this handler's state or the channel, and if the loop is
 * gone the buffers are released there and then.
 *
 * <p>Backpressure: an {@link InFlightLimiter} counts requests and the bytes they hold; above its high watermark,
 * or while the channel is not writable, auto-read is off (a {@code FlowControlHandler} in front holds back requests
 * already decoded). DISC stops reading, lets outstanding requests finish, then closes.
 *
 * <p>Buffers: a READ's data buffer is allocated here, filled by the device and handed to the encoder; a WRITE's
 * payload is released once the device's future completes.
 */
public final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(NbdTransmissionHandler.class);

    private final NbdSession session;
    private final BlockDevice device;
    private final boolean readOnly;
    private final ServerConfig config;
    private final ServerState server;
    private final InFlightLimiter limiter;
    private final RequestValidator validator;
    /** The export's figures; null when the server counts nothing. */
    private final ExportStats stats;
    private ChannelHandlerContext ctx;
    private boolean discReceived;
    private boolean draining;
    private boolean closing;
    private boolean flushScheduled;
    /**
     * Requests whose last reply was written since the last flush but is released only once it left the process
     * (READ data), and the bytes they hold: one promise per flush covers them all.
     */
    private int sentOnFlush;
    private long heldOnFlush;

    NbdTransmissionHandler(NbdSession session, ServerConfig config, ServerState server, ExportStats stats) {
        this.stats = stats;
        this.session = session;
        this.device = session.export().device();
        this.readOnly = session.export().readOnly();
        this.config = config;
        this.server = server;
        this.limiter = new InFlightLimiter(config.maxInFlightRequests(), config.resumeInFlightRequests(),
                config.maxInFlightBytes(), config.resumeInFlightBytes());
        this.validator = new RequestValidator(session, config.maxPayloadBytes());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (stats != null) {
            stats.connected();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (stats != null) {
            stats.disconnected();
        }
    }

    /** Requests outstanding on this connection (for tests and monitoring; event loop only). */
    int inFlightRequests() {
        return limiter.requests();
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof NbdRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (discReceived || closing) {
            req.release(); // the client must not send anything after DISC; whatever comes is ignored
            return;
        }
        if (req.type() == CMD_DISC) {
            req.release();
            discReceived = true;
            LOG.debug("{}: DISC with {} requests outstanding", ctx.channel(), limiter.requests());
            updateAutoRead();
            closeIfIdle();
            return;
        }
        long held = req.type() == CMD_READ && req.length() <= config.maxPayloadBytes() || req.type() == CMD_WRITE ? req.length() : 0;
        if (limiter.acquire(held)) {
            updateAutoRead();
        }
        long start = 0;
        if (stats != null) {
            stats.received(req.type());
            start = stats.nanoTime();
        }
        try {
            dispatch(req, held, start);
        } catch (RuntimeException e) {
            if (req.refCnt() > 0) {
                req.release();
            }
            rejected(req.type());
            fail(req.cookie(), req.type(), e, held);
        }
    }

    private void dispatch(NbdRequest req, long held, long start) {
        long cookie = req.cookie();
        RequestValidator.Rejection rejection = validator.check(req);
        if (rejection != null) {
            rejected(req.type());
            req.release();
            LOG.debug("{}: {} rejected with {}: {}", ctx.channel(), req, rejection.error(), rejection.message());
            replyError(cookie, rejection.error(), rejection.message(), held, false);
            return;
        }
        if (draining || server.isDraining()) {
            rejected(req.type());
            req.release();
            replyError(cookie, NbdError.ESHUTDOWN, "server is shutting down", held, false);
            return;
        }
        long offset = req.offset();
        long length = req.length();
        Durability durability = req.hasFlag(CMD_FLAG_FUA) ? Durability.DURABLE : Durability.BUFFERED;
        switch (req.type()) {
            case CMD_READ -> read(cookie, offset, (int) length, req.hasFlag(CMD_FLAG_DF), held, req, start);
            case CMD_WRITE -> {
                ByteBuf payload = req.content();
                onLoop(CMD_WRITE, length, start, device.write(offset, payload.nioBuffer(), durability), (v, e) -> {
                    req.release();
                    replyStatus(cookie, CMD_WRITE, e, held);
                }, req::release);
            }
            case CMD_FLUSH -> {
                req.release();
                if (readOnly) {
                    replyStatus(cookie, CMD_FLUSH, null, held); // nothing was written through this export
                } else {
                    onLoop(CMD_FLUSH, 0, start, device.flush(), (v, e) -> replyStatus(cookie, CMD_FLUSH, e, held), null);
                }
            }
            case CMD_TRIM -> {
                req.release();
                onLoop(CMD_TRIM, 0, start, device.trim(offset, length, durability), (v, e) -> replyStatus(cookie, CMD_TRIM, e, held), null);
            }
            case CMD_WRITE_ZEROES -> {
                EnumSet<ZeroOption> options = EnumSet.noneOf(ZeroOption.class);
                if (req.hasFlag(CMD_FLAG_NO_HOLE)) {
                    options.add(ZeroOption.ALLOCATE);
                }
                if (req.hasFlag(CMD_FLAG_FAST_ZERO)) {
                    options.add(ZeroOption.FAST_ONLY);
                }
                req.release();
                onLoop(CMD_WRITE_ZEROES, 0, start, device.writeZeroes(offset, length, options, durability),
                        (v, e) -> replyStatus(cookie, CMD_WRITE_ZEROES, e, held), null);
            }
            case CMD_CACHE -> {
                req.release();
                onLoop(CMD_CACHE, 0, start, device.cache(offset, length), (v, e) -> replyStatus(cookie, CMD_CACHE, e, held), null);
            }
            case CMD_BLOCK_STATUS -> {
                req.release();
                boolean reqOne = req.hasFlag(CMD_FLAG_REQ_ONE);
                CompletableFuture<List<AllocationRun>> allocation = session.hasAllocationContext()
                        ? device.blockStatus(offset, length) : CompletableFuture.completedFuture(null);
                CompletableFuture<List<ChangeRun>> changes = session.changedSince() != null
                        ? device.changedSince(session.changedSince(), offset, length) : CompletableFuture.completedFuture(null);
                onLoop(CMD_BLOCK_STATUS, 0, start, allocation.thenCombine(changes, Status::new), (status, e) -> {
                    if (e != null) {
                        fail(cookie, CMD_BLOCK_STATUS, e, held);
                        return;
                    }
                    boolean changesFollow = session.changedSince() != null;
                    if (session.hasAllocationContext()) {
                        writeReply(ReplyBuilder.blockStatus(ctx.alloc(), cookie, session.allocationContextId(),
                                status.allocation(), reqOne, !changesFollow), held, false, !changesFollow);
                    }
                    if (changesFollow) {
                        writeReply(ReplyBuilder.changeStatus(ctx.alloc(), cookie, status.changes(), reqOne, true), held, false, true);
                    }
                }, null);
            }
            default -> throw new IllegalStateException("validated an unknown command " + req.type());
        }
    }

    /** The answers for the selected contexts of one BLOCK_STATUS (null for a context not selected). */
    private record Status(List<AllocationRun> allocation, List<ChangeRun> changes) {
    }

    /**
     * READ. Structured replies of at least {@code holeReadThreshold} bytes without DF ask the device which parts
     * read as zeros ({@link BlockDevice#readSparse}) and send those as hole chunks; every other READ is one data
     * reply or chunk.
     */
    private void read(long cookie, long offset, int length, boolean df, long held, NbdRequest req, long start) {
        req.release();
        if (length == 0) {
            writeReply(session.structuredReplies() ? NbdReply.none(cookie) : NbdReply.ok(cookie), held, true);
            return;
        }
        ByteBuf data = ctx.alloc().directBuffer(length, length);
        data.writerIndex(length);
        boolean sparse = session.structuredReplies() && !df && length >= config.holeReadThreshold();
        CompletableFuture<List<AllocationRun>> filled;
        try {
            filled = sparse ? device.readSparse(offset, data.nioBuffer(0, length))
                    : device.read(offset, data.nioBuffer(0, length)).thenApply(v -> List.of());
        } catch (RuntimeException e) {
            data.release();
            rejected(CMD_READ);
            fail(cookie, CMD_READ, e, held);
            return;
        }
        onLoop(CMD_READ, length, start, filled, (runs, e) -> {
            if (e != null) {
                data.release();
                fail(cookie, CMD_READ, e, held);
            } else if (!session.structuredReplies()) {
                writeReply(NbdReply.readData(cookie, data), held, true);
            } else {
                List<NbdReply> chunks = ReplyBuilder.readChunks(ctx.alloc(), cookie, offset, data, runs);
                for (int i = 0; i < chunks.size() - 1; i++) {
                    writeReply(chunks.get(i), 0, false, false);
                }
                writeReply(chunks.get(chunks.size() - 1), held, true);
            }
        }, data::release);
    }

    // ---------------------------------------------------------------- completion and replies

    /**
     * Runs {@code action} on the event loop once {@code f}, the device's answer to a request of {@code type} for
     * {@code length} bytes dispatched at {@code start}, completes (counting it first); if the loop no longer takes
     * tasks (server stopped), runs {@code onRejected} instead (to release buffers).
     */
    private <T> void onLoop(int type, long length, long start, CompletableFuture<T> f, BiConsumer<T, Throwable> action,
            Runnable onRejected) {
        if (f.isDone() && ctx.executor().inEventLoop()) {
            // Answered already (a buffered write the volume applied at once): no callback stage to allocate.
            T v = null;
            Throwable e = null;
            try {
                v = f.join();
            } catch (CompletionException | CancellationException x) {
                e = x;
            }
            if (stats != null) {
                stats.completed(type, length, stats.nanoTime() - start, e != null);
            }
            action.accept(v, e);
            return;
        }
        f.whenComplete((v, e) -> {
            if (stats != null) {
                stats.completed(type, length, stats.nanoTime() - start, e != null);
            }
            if (ctx.executor().inEventLoop()) {
                action.accept(v, e);
                return;
            }
            try {
                ctx.executor().execute(() -> action.accept(v, e));
            } catch (RejectedExecutionException r) {
                if (onRejected != null) {
                    onRejected.run();
                }
            }
        });
    }

    private void replyStatus(long cookie, int type, Throwable e, long held) {
        if (e == null) {
            writeReply(NbdReply.ok(cookie), held, false);
        } else {
            fail(cookie, type, e, held);
        }
    }

    private void fail(long cookie, int type, Throwable failure, long held) {
        Throwable e = DeviceFailure.unwrap(failure);
        DeviceFailure kind = DeviceFailure.of(e);
        NbdError error = NbdErrors.of(kind, type);
        if (error == NbdError.EIO) {
            LOG.error("{}: {} cookie 0x{} failed with EIO ({}): {}", ctx.channel(), NbdConstants.commandName(type),
                    Long.toHexString(cookie), kind, e.toString());
        } else {
            LOG.debug("{}: {} cookie 0x{} failed with {}: {}", ctx.channel(), NbdConstants.commandName(type),
                    Long.toHexString(cookie), error, e.toString());
        }
        replyError(cookie, error, NbdConstants.commandName(type) + " failed: " + e.getMessage(), held, type == CMD_READ);
    }

    private void replyError(long cookie, NbdError error, String message, long held, boolean afterWrite) {
        NbdReply reply = session.structuredReplies() ? NbdReply.errorChunk(ctx.alloc(), cookie, error, message)
                : NbdReply.error(cookie, error);
        writeReply(reply, held, afterWrite);
    }

    private void writeReply(NbdReply reply, long held, boolean releaseAfterWrite) {
        writeReply(reply, held, releaseAfterWrite, true);
    }

    /**
     * Writes a reply (flushed soon, together with others completing in the same loop iteration). If {@code last},
     * the request ends: its count and {@code held} bytes are released now, or once the write completed when
     * {@code releaseAfterWrite} (READ data stays counted until it left the process; see {@link #flushNow}).
     */
    private void writeReply(NbdReply reply, long held, boolean releaseAfterWrite, boolean last) {
        if (!ctx.channel().isActive()) {
            reply.release();
            if (last) {
                finish(1, held);
            }
            return;
        }
        ctx.write(reply, ctx.voidPromise());
        if (last && releaseAfterWrite) {
            sentOnFlush++;
            heldOnFlush += held;
        } else if (last) {
            finish(1, held);
        }
        scheduleFlush();
    }

    private void scheduleFlush() {
        if (flushScheduled) {
            return;
        }
        flushScheduled = true;
        try {
            ctx.executor().execute(this::flushNow);
        } catch (RejectedExecutionException e) {
            flushNow();
        }
    }

    /**
     * Flushes the replies written so far. The requests whose replies must leave the process before they stop
     * counting are released by one empty write behind them, which completes once every earlier write did (or failed,
     * when the connection closed).
     */
    private void flushNow() {
        flushScheduled = false;
        if (sentOnFlush > 0) {
            int count = sentOnFlush;
            long held = heldOnFlush;
            sentOnFlush = 0;
            heldOnFlush = 0;
            ctx.write(Unpooled.EMPTY_BUFFER).addListener(f -> finish(count, held));
        }
        ctx.flush();
    }

    private void rejected(int type) {
        if (stats != null) {
            stats.rejected(type);
        }
    }

    /** {@code count} requests, holding {@code held} bytes together, are answered. */
    private void finish(int count, long held) {
        if (stats != null) {
            stats.answered(count);
        }
        if (limiter.release(count, held)) {
            updateAutoRead();
        }
        closeIfIdle();
    }

    // ---------------------------------------------------------------- flow control and lifecycle

    private void updateAutoRead() {
        ChannelConfig c = ctx.channel().config();
        boolean want = !limiter.isPaused() && ctx.channel().isWritable() && !discReceived && !closing;
        if (c.isAutoRead() != want) {
            c.setAutoRead(want);
        }
    }

    /** After DISC or while draining: close once nothing is outstanding and every reply is flushed. */
    private void closeIfIdle() {
        if (!closing && (discReceived || draining) && limiter.requests() == 0) {
            closing = true;
            updateAutoRead();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Server shutdown: new requests get ESHUTDOWN, and the connection closes once outstanding ones finished. */
    void drain() {
        draining = true;
        closeIfIdle();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        LOG.debug("{}: closed with {} requests outstanding", ctx.channel(), limiter.requests());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            LOG.warn("{}: protocol violation, closing the connection: {}", ctx.channel(),
                    cause.getCause() != null ? cause.getCause().toString() : cause.getMessage());
        } else if (cause instanceof IOException) {
            LOG.debug("{}: I/O error, closing the connection: {}", ctx.channel(), cause.toString());
        } else {
            LOG.warn("{}: unexpected error, closing the connection", ctx.channel(), cause);
        }
        closing = true;
        ctx.close();
    }
}
