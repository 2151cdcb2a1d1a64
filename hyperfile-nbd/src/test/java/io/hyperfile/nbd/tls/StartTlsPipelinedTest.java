package io.hyperfile.nbd.tls;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.protocol.ExportGate;
import io.hyperfile.nbd.protocol.HandshakeSettings;
import io.hyperfile.nbd.protocol.NbdOptionHandler;
import io.hyperfile.nbd.testing.StartTlsClient;
import io.hyperfile.nbd.testing.TestCertificates;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS on an EmbeddedChannel: the ACK goes out in plain text before the SslHandler is inserted at the front, and
 * bytes a client sent right behind STARTTLS (its ClientHello, without waiting for the ACK) reach the SslHandler
 * rather than being read as options.
 */
class StartTlsPipelinedTest {
    @TempDir
    static Path certRoot;
    private static TestCertificates certs;
    private EmbeddedChannel channel;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certRoot);
    }

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf startTlsOption() {
        return Unpooled.buffer().writeLong(IHAVEOPT).writeInt(OPT_STARTTLS).writeInt(0);
    }

    private ByteBuf outbound() {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        return all;
    }

    @Test
    void aClientHelloSentBehindStartTlsIsHandedToTls() throws Exception {
        ServerTls tls = ServerTls.create(new TlsSettings(TlsMode.REQUIRE, certs.dir("server"), false));
        ExportRegistry registry = new ExportRegistry();
        channel = new EmbeddedChannel(new NbdOptionHandler(registry, HandshakeSettings.DEFAULT, () -> false,
                (ctx, s) -> { }, ExportGate.open(registry), tls));
        outbound().release(); // greeting
        SSLEngine client = StartTlsClient.context(certs.dir("client-anonymous")).createSSLEngine("localhost", 10809);
        client.setUseClientMode(true);
        ByteBuffer hello = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        client.wrap(ByteBuffer.allocate(0), hello);
        hello.flip();

        ByteBuf in = Unpooled.buffer().writeInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES).writeBytes(startTlsOption())
                .writeBytes(hello);
        channel.writeInbound(in);

        ByteBuf out = outbound();
        try {
            assertEquals(OPTION_REPLY_MAGIC, out.readLong());
            assertEquals(OPT_STARTTLS, out.readInt());
            assertEquals(REP_ACK, out.readInt());
            assertEquals(0, out.readInt());
            assertTrue(out.isReadable(), "the server answered the ClientHello");
            assertEquals(0x16, out.getUnsignedByte(out.readerIndex()), "a TLS handshake record (ServerHello), not an option reply");
            assertTrue(channel.pipeline().first() instanceof SslHandler);
            assertTrue(channel.isOpen());
        } finally {
            out.release();
        }
    }

    @Test
    void plainOptionsBehindStartTlsAreNotReadAsOptions() throws Exception {
        ServerTls tls = ServerTls.create(new TlsSettings(TlsMode.ON, certs.dir("server"), false));
        ExportRegistry registry = new ExportRegistry();
        channel = new EmbeddedChannel(new NbdOptionHandler(registry, HandshakeSettings.DEFAULT, () -> false,
                (ctx, s) -> { }, ExportGate.open(registry), tls));
        outbound().release();
        ByteBuf in = Unpooled.buffer().writeInt(FLAG_C_FIXED_NEWSTYLE).writeBytes(startTlsOption())
                .writeLong(IHAVEOPT).writeInt(OPT_LIST).writeInt(0);
        channel.writeInbound(in);
        ByteBuf out = outbound();
        try {
            out.skipBytes(8 + 4);
            assertEquals(REP_ACK, out.readInt());
            out.skipBytes(4);
            assertFalse(out.isReadable(), "no reply to the LIST that was sent in plain text after STARTTLS");
            assertFalse(channel.isOpen(), "what follows STARTTLS must be TLS: plain bytes fail the handshake and close");
        } finally {
            out.release();
        }
    }
}
