package io.hyperfile.nbd.server;

import io.hyperfile.nbd.export.ExportRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An NBD server (fixed newstyle) serving the exports of an {@link ExportRegistry} on one TCP address.
 *
 * <p>Lifecycle: {@link #start()} binds and returns; {@link #shutdown()} stops gracefully: it stops accepting,
 * closes connections still haggling, answers new requests with ESHUTDOWN, waits (up to
 * {@link ServerConfig#shutdownTimeout()}) for outstanding requests to finish and their connections to close, then
 * stops the event loops. It does not close what is behind the exports: the caller closes its volumes after the
 * server stopped (a volume's close flushes it). {@link #close()} is {@link #shutdown()} waited for.
 *
 * <p>Thread-safe. Must not be closed from one of its own event-loop threads.
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);

    private final ServerConfig config;
    private final ExportRegistry exports;
    private final ServerState state = new ServerState();
    /**
     * The allocator of every connection (request cumulation, replies). Pooled arenas: READ replies of 64 KiB-4 MiB
     * come from reused chunks; Netty 4.2's default adaptive allocator gave each 1 MiB reply freshly zeroed memory
     * (5 ms of CPU per MiB in profiles here).
     */
    public static final PooledByteBufAllocator ALLOCATOR = PooledByteBufAllocator.DEFAULT;

    private EventLoopGroup group;
    private String transportName;
    private Channel serverChannel;
    private CompletableFuture<Void> shutdown;

    private final NbdStats stats;

    public NbdServer(ServerConfig config, ExportRegistry exports) {
        this(config, exports, null);
    }

    /** A server that counts connections and requests into {@code stats} (null: counts nothing). */
    public NbdServer(ServerConfig config, ExportRegistry exports, NbdStats stats) {
        this.config = config;
        this.exports = exports;
        this.stats = stats;
    }

    /** Binds the listening socket; returns once it accepts connections. */
    public synchronized NbdServer start() throws IOException {
        if (group != null) {
            throw new IllegalStateException("server already started");
        }
        boolean epoll = switch (config.transport()) {
            case NIO -> false;
            case AUTO -> Epoll.isAvailable();
            case EPOLL -> {
                Epoll.ensureAvailability();
                yield true;
            }
        };
        group = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("hf-nbd", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        transportName = epoll ? "epoll" : "nio";
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOCATOR, ALLOCATOR)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(4 << 20, 16 << 20))
                .childHandler(new NbdChannelInitializer(config, exports, state, stats));
        try {
            serverChannel = b.bind(config.bindAddress(), config.port()).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            group = null;
            throw new IOException("cannot listen on " + config.bindAddress() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        LOG.info("NBD server listening on {} with {} exports ({} transport)", serverChannel.localAddress(), exports.size(),
                transportName);
        return this;
    }

    /** The socket transport in use: "epoll" or "nio" (null before {@link #start}). */
    public synchronized String transport() {
        return transportName;
    }

    /** The bound address (useful with port 0). */
    public synchronized InetSocketAddress localAddress() {
        if (serverChannel == null) {
            throw new IllegalStateException("server not started");
        }
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The bound port. */
    public int port() {
        return localAddress().getPort();
    }

    /** Number of open client connections (handshaking or transmitting). */
    public int connectionCount() {
        return state.connections().size();
    }

    /** Starts a graceful shutdown (idempotent); the future completes once the event loops stopped. */
    public synchronized CompletableFuture<Void> shutdown() {
        if (shutdown != null) {
            return shutdown;
        }
        shutdown = new CompletableFuture<>();
        if (group == null) {
            shutdown.complete(null);
            return shutdown;
        }
        state.startDraining();
        serverChannel.close();
        List<CompletableFuture<Void>> closed = new ArrayList<>();
        for (Channel ch : state.connections()) {
            CompletableFuture<Void> c = new CompletableFuture<>();
            ch.closeFuture().addListener(f -> c.complete(null));
            closed.add(c);
            ch.eventLoop().execute(() -> {
                NbdTransmissionHandler h = ch.pipeline().get(NbdTransmissionHandler.class);
                if (h != null) {
                    h.drain();
                } else {
                    ch.close(); // still haggling: nothing in flight
                }
            });
        }
        LOG.info("NBD server on {} shutting down: draining {} connections", serverChannel.localAddress(), closed.size());
        EventLoopGroup g = group;
        CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new))
                .orTimeout(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.warn("NBD server: requests still outstanding after {}; closing the connections anyway",
                                config.shutdownTimeout());
                        state.connections().close();
                    }
                    g.shutdownGracefully(0, 5, TimeUnit.SECONDS).addListener(f -> {
                        LOG.info("NBD server stopped");
                        shutdown.complete(null);
                    });
                });
        return shutdown;
    }

    /** Shuts down gracefully and waits for it (see {@link #shutdown()}). */
    @Override
    public void close() {
        CompletableFuture<Void> f = shutdown();
        try {
            f.get(config.shutdownTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("NBD server did not stop cleanly: {}", e.toString());
        }
    }
}
