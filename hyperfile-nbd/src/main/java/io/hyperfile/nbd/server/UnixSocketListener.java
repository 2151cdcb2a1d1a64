package io.hyperfile.nbd.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix-domain socket listener of an {@link NbdServer} (Netty's epoll domain sockets). Before binding it removes a
 * stale socket file, one nothing listens on (a server that was killed leaves its file behind), but it refuses to
 * touch a path that is not a socket or one another server listens on. {@link #close()} deletes the file. Who may
 * connect is decided by the file's permissions (the process umask; the directory's permissions are the usual way to
 * restrict it). Not thread-safe: the server's lifecycle methods call it under their lock.
 */
final class UnixSocketListener {
    private static final Logger LOG = LoggerFactory.getLogger(UnixSocketListener.class);

    private final Path path;
    private Channel channel;

    UnixSocketListener(Path path) {
        this.path = path.toAbsolutePath();
    }

    Path path() {
        return path;
    }

    /** Removes a stale socket file at the path, binds and returns once it accepts connections. */
    void bind(EventLoopGroup group, NbdChannelInitializer initializer) throws IOException {
        removeStale(path);
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.ALLOCATOR, NbdServer.ALLOCATOR)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(4 << 20, 16 << 20))
                .childHandler(initializer);
        try {
            channel = b.bind(new DomainSocketAddress(path.toString())).sync().channel();
        } catch (Exception e) {
            throw new IOException("cannot listen on the Unix socket " + path + ": " + e.getMessage(), e);
        }
    }

    /** Stops accepting and deletes the socket file (idempotent). */
    void close() {
        if (channel == null) {
            return;
        }
        channel.close().syncUninterruptibly();
        channel = null;
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("could not delete the Unix socket {}: {}", path, e.toString());
        }
    }

    /**
     * Deletes the socket file at {@code path} if nothing listens on it; fails with one line if the path is something
     * else than a socket or a server listens there.
     */
    static void removeStale(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (!attrs.isOther()) {
            throw new IOException("cannot listen on the Unix socket " + path + ": the path exists and is not a socket;"
                    + " remove it or choose another path");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new IOException("cannot listen on the Unix socket " + path + ": another server listens on it; stop it"
                    + " or choose another path");
        } catch (ConnectException e) {
            Files.deleteIfExists(path);
            LOG.info("removed the stale Unix socket {} (nothing listened on it)", path);
        }
    }
}
