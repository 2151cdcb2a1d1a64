package io.hyperfile.nbd.server;

import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.access.ConnectionLimits;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.tls.ServerTls;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An NBD server (fixed newstyle) serving the exports of an {@link ExportRegistry} on a TCP address, a Unix-domain
 * socket ({@link ServerConfig#unixSocket()}) or both, to the clients and within the limits of an {@link AccessConfig}.
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
    private final ConnectionLimits limits;
    private final ServerTls tls;
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
    private UnixSocketListener unixListener;
    private CompletableFuture<Void> shutdown;

    /** Null when the server counts nothing. */
    private final NbdStats stats;

    /** A server open to everyone, without connection limits ({@link AccessConfig#OPEN}). */
    public NbdServer(ServerConfig config, ExportRegistry exports) {
        this(config, exports, AccessConfig.OPEN, ServerTls.OFF);
    }

    /** A server that lets clients use exports as {@code access} says, within its connection limits (docs/ACCESS.md). */
    public NbdServer(ServerConfig config, ExportRegistry exports, AccessConfig access) {
        this(config, exports, access, ServerTls.OFF);
    }

    /** A server offering or requiring TLS as {@code tls} says ({@link ServerTls#OFF}: none), open to everyone. */
    public NbdServer(ServerConfig config, ExportRegistry exports, ServerTls tls) {
        this(config, exports, AccessConfig.OPEN, tls);
    }

    /** A server with access control ({@code access}, docs/ACCESS.md) and TLS ({@code tls}, docs/TLS.md). */
    public NbdServer(ServerConfig config, ExportRegistry exports, AccessConfig access, ServerTls tls) {
        this(config, exports, access, tls, null);
    }

    /** As above, counting connections and requests into {@code stats} (null: counts nothing; docs/METRICS.md). */
    public NbdServer(ServerConfig config, ExportRegistry exports, AccessConfig access, ServerTls tls, NbdStats stats) {
        this.stats = stats;
        this.config = config;
        this.exports = exports;
        this.limits = new ConnectionLimits(access);
        this.tls = tls;
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
        if (config.unixSocket() != null && !epoll) {
            throw new IOException("cannot listen on the Unix socket " + config.unixSocket() + ": it needs Netty's epoll"
                    + " transport (Linux), which is not available here: " + Epoll.unavailabilityCause());
        }
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
                .childHandler(new NbdChannelInitializer(config, exports, state, limits, tls, stats));
        try {
            if (config.tcp()) {
                serverChannel = b.bind(config.bindAddress(), config.port()).sync().channel();
            }
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            group = null;
            throw new IOException("cannot listen on " + config.bindAddress() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        if (config.unixSocket() != null) {
            unixListener = new UnixSocketListener(config.unixSocket());
            try {
                unixListener.bind(group, new NbdChannelInitializer(config, exports, state, limits, tls, stats));
            } catch (IOException e) {
                unixListener = null;
                if (serverChannel != null) {
                    serverChannel.close();
                }
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                group = null;
                throw e;
            }
        }
        LOG.info("NBD server listening on {} with {} exports ({} transport, {})", listeningOn(), exports.size(), transportName,
                tls);
        return this;
    }

    private String listeningOn() {
        List<String> on = new ArrayList<>();
        if (serverChannel != null) {
            on.add(String.valueOf(serverChannel.localAddress()));
        }
        if (unixListener != null) {
            on.add("unix:" + unixListener.path());
        }
        return String.join(" and ", on);
    }

    /** The Unix-domain socket listened on, or null if none. */
    public synchronized Path unixSocket() {
        return unixListener == null ? null : unixListener.path();
    }

    /** Connection counts against the limits of the server's {@link AccessConfig}. */
    public ConnectionLimits limits() {
        return limits;
    }

    /** The socket transport in use: "epoll" or "nio" (null before {@link #start}). */
    public synchronized String transport() {
        return transportName;
    }

    /** Whether the server listens on TCP (it may listen on a Unix-domain socket only). */
    public synchronized boolean listensOnTcp() {
        return serverChannel != null;
    }

    /** The bound TCP address (useful with port 0). */
    public synchronized InetSocketAddress localAddress() {
        if (serverChannel == null) {
            throw new IllegalStateException(group == null ? "server not started" : "server does not listen on TCP");
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
        if (serverChannel != null) {
            serverChannel.close();
        }
        if (unixListener != null) {
            unixListener.close();
        }
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
        LOG.info("NBD server on {} shutting down: draining {} connections", listeningOn(), closed.size());
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
