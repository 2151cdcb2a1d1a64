package io.hyperfile.nbd.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.testing.StartTlsClient;
import io.hyperfile.nbd.testing.TestCertificates;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What access control sees: after {@link ServerTls#upgrade} and a handshake with a verified client certificate,
 * {@link TlsPeer#of(Channel)} gives the certificate's subject and CN; without verification it is empty.
 */
class TlsPeerIT {
    @TempDir
    static Path certRoot;
    private static TestCertificates certs;
    private static EventLoopGroup group;

    @BeforeAll
    static void setUp() throws Exception {
        certs = TestCertificates.create(certRoot);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void tearDown() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** The peer the server side saw, once its handshake completed. */
    private static Optional<TlsPeer> peerSeenBy(ServerTls tls, String clientDir) throws Exception {
        CompletableFuture<Optional<TlsPeer>> seen = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                tls.upgrade(ctx, null, 10_000);
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof SslHandshakeCompletionEvent done) {
                                    assertTrue(TlsPeer.isTls(ctx.channel()));
                                    seen.complete(done.isSuccess() ? TlsPeer.of(ctx.channel()) : Optional.empty());
                                }
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        try (Socket plain = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            SSLSocket s = (SSLSocket) StartTlsClient.context(certs.dir(clientDir)).getSocketFactory()
                    .createSocket(plain, "localhost", plain.getPort(), true);
            s.startHandshake();
            return seen.get(20, TimeUnit.SECONDS);
        } finally {
            server.close().sync();
        }
    }

    @Test
    void aVerifiedClientCertificateGivesSubjectAndCommonName() throws Exception {
        ServerTls tls = ServerTls.create(new TlsSettings(TlsMode.REQUIRE, certs.dir("server"), true));
        TlsPeer peer = peerSeenBy(tls, "client").orElseThrow();
        assertEquals(TestCertificates.CLIENT_SUBJECT, peer.subject());
        assertEquals("client-1", peer.commonName());
    }

    @Test
    void withoutVerificationThereIsNoPeer() throws Exception {
        ServerTls tls = ServerTls.create(new TlsSettings(TlsMode.REQUIRE, certs.dir("server"), false));
        assertEquals(Optional.empty(), peerSeenBy(tls, "client"));
    }
}
