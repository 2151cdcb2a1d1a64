package io.hyperfile.nbd.access;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.protocol.HandshakeSettings;
import io.hyperfile.nbd.protocol.NbdOptionHandler;
import io.hyperfile.nbd.protocol.NbdSession;
import io.hyperfile.nbd.testing.FakeBlockDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The handshake with an {@link ExportAccess} gate, on EmbeddedChannels (whose peer has no IP address, so address and
 * certificate rules never match it and {@code any} does): what a refused client sees, default exports, and
 * per-export connection limits.
 */
class ExportAccessHandshakeTest {
    private final ExportRegistry exports = new ExportRegistry()
            .add(new Export("disk", new FakeBlockDevice(1 << 20, 4096), false, "secret disk"))
            .add(new Export("pub", new FakeBlockDevice(1 << 20, 4096), false, "public disk"));
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    private record OptionReply(int option, int type, String text) {
    }

    private final class Client {
        final EmbeddedChannel channel;
        NbdSession session;

        Client(AccessConfig config, ConnectionLimits limits) {
            channel = new EmbeddedChannel(new NbdOptionHandler(exports, HandshakeSettings.DEFAULT, () -> false,
                    (ctx, s) -> session = s, new ExportAccess(exports, limits), io.hyperfile.nbd.tls.ServerTls.OFF));
            channels.add(channel);
            ByteBuf greeting = channel.readOutbound();
            assertEquals(18, greeting.readableBytes());
            greeting.release();
            channel.writeInbound(Unpooled.buffer(4).writeInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES));
        }

        List<OptionReply> send(int option, byte[] data) {
            channel.writeInbound(Unpooled.buffer().writeLong(IHAVEOPT).writeInt(option).writeInt(data.length).writeBytes(data));
            List<OptionReply> replies = new ArrayList<>();
            ByteBuf out = Unpooled.buffer();
            Object o;
            while ((o = channel.readOutbound()) != null) {
                out.writeBytes((ByteBuf) o);
                ((ByteBuf) o).release();
            }
            // Option replies; after a successful EXPORT_NAME the bytes are its size and flags instead.
            while (out.readableBytes() >= 20 && out.getLong(out.readerIndex()) == OPTION_REPLY_MAGIC) {
                out.readLong();
                int opt = out.readInt();
                int type = out.readInt();
                byte[] d = new byte[out.readInt()];
                out.readBytes(d);
                replies.add(new OptionReply(opt, type, new String(d, StandardCharsets.ISO_8859_1)));
            }
            out.release();
            return replies;
        }

        OptionReply last(List<OptionReply> replies) {
            return replies.get(replies.size() - 1);
        }
    }

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private static byte[] go(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length).putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    private static byte[] meta(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] q = CONTEXT_BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length + 8 + q.length).putInt(n.length).put(n).putInt(1).putInt(q.length).put(q).array();
    }

    private Client client(AccessConfig config) {
        return new Client(config, new ConnectionLimits(config));
    }

    private static AccessConfig allowing(String... specs) {
        return AccessConfig.OPEN.withPolicy(AccessPolicy.parse(List.of(specs)));
    }

    @Test
    void aRefusedClientGetsErrPolicyAndSeesOnlyWhatItMayUse() {
        Client c = client(allowing("disk=10.0.0.0/8,cn:admin", "pub=any"));
        List<OptionReply> list = c.send(OPT_LIST, new byte[0]);
        assertEquals(2, list.size(), list.toString());
        assertEquals(REP_SERVER, list.get(0).type());
        assertEquals("\0\0\0\3pubpublic disk", list.get(0).text());
        assertEquals(REP_ACK, list.get(1).type());
        for (int option : new int[] {OPT_INFO, OPT_GO}) {
            OptionReply r = c.last(c.send(option, go("disk", INFO_NAME, INFO_DESCRIPTION)));
            assertEquals(REP_ERR_POLICY, r.type(), r.toString());
            assertEquals("access to the requested export is denied", r.text());
        }
        // A name that is no export is refused the same way: the client cannot tell which names exist.
        OptionReply nope = c.last(c.send(OPT_GO, go("nope")));
        assertEquals(REP_ERR_POLICY, nope.type());
        assertEquals("access to the requested export is denied", nope.text());
        assertEquals(REP_ACK, c.last(c.send(OPT_STRUCTURED_REPLY, new byte[0])).type());
        assertEquals(REP_ERR_POLICY, c.last(c.send(OPT_SET_META_CONTEXT, meta("disk"))).type());
        assertEquals(REP_ERR_POLICY, c.last(c.send(OPT_LIST_META_CONTEXT, meta("disk"))).type());
        assertNull(c.session);
        assertTrue(c.channel.isActive(), "refusals of GO/INFO keep the connection: the client may ask for another export");
        assertEquals(REP_ACK, c.last(c.send(OPT_GO, go("pub"))).type());
        assertEquals("pub", c.session.export().name());
    }

    @Test
    void exportNameOfARefusedExportClosesTheConnection() {
        Client c = client(allowing("pub=any"));
        assertTrue(c.send(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8)).isEmpty());
        assertNull(c.session);
        assertFalse(c.channel.isActive());
        Client ok = client(allowing("pub=any"));
        ok.send(OPT_EXPORT_NAME, "pub".getBytes(StandardCharsets.UTF_8));
        assertNotNull(ok.session);
    }

    @Test
    void allowedClientsSeeUnknownExportsAsUnknown() {
        Client c = client(allowing("any"));
        OptionReply r = c.last(c.send(OPT_GO, go("nope")));
        assertEquals(REP_ERR_UNKNOWN, r.type());
        assertEquals(2, c.send(OPT_LIST, new byte[0]).stream().filter(x -> x.type() == REP_SERVER).count());
    }

    @Test
    void emptyNameSelectsTheOnlyExportOrTheDefault() {
        Client several = client(AccessConfig.OPEN);
        OptionReply r = several.last(several.send(OPT_GO, go("")));
        assertEquals(REP_ERR_UNKNOWN, r.type());
        assertTrue(r.text().startsWith("no default export: this server has 2 exports"), r.text());
        EmbeddedChannel closed = client(AccessConfig.OPEN).channel;
        closed.writeInbound(Unpooled.buffer().writeLong(IHAVEOPT).writeInt(OPT_EXPORT_NAME).writeInt(0));
        assertFalse(closed.isActive(), "EXPORT_NAME \"\" without a default export closes");

        Client withDefault = client(AccessConfig.OPEN.withDefaultExport("pub"));
        List<OptionReply> replies = withDefault.send(OPT_GO, go("", INFO_NAME));
        assertTrue(replies.stream().anyMatch(x -> x.type() == REP_INFO && x.text().endsWith("pub")), "INFO_NAME gives the real name");
        assertEquals("pub", withDefault.session.export().name());

        exports.remove("disk");
        Client only = client(AccessConfig.OPEN);
        only.send(OPT_EXPORT_NAME, new byte[0]);
        assertEquals("pub", only.session.export().name());
    }

    @Test
    void theDefaultExportIsStillSubjectToTheAllowList() {
        Client c = client(allowing("pub=any").withDefaultExport("disk"));
        OptionReply r = c.last(c.send(OPT_GO, go("")));
        assertEquals(REP_ERR_POLICY, r.type());
        assertEquals("access to the requested export is denied", r.text());
    }

    @Test
    void anExportAtItsLimitRefusesGoUntilAConnectionCloses() {
        AccessConfig config = AccessConfig.OPEN.withLimits(0, 1, Map.of("pub", 2));
        ConnectionLimits limits = new ConnectionLimits(config);
        Client first = new Client(config, limits);
        first.send(OPT_GO, go("disk"));
        assertNotNull(first.session);
        Client second = new Client(config, limits);
        assertEquals(REP_ACK, second.last(second.send(OPT_INFO, go("disk"))).type(), "INFO takes no connection slot");
        OptionReply full = second.last(second.send(OPT_GO, go("disk")));
        assertEquals(REP_ERR_POLICY, full.type());
        assertEquals("export 'disk' has its maximum of 1 connections; try again later", full.text());
        assertTrue(second.channel.isActive());
        Client byName = new Client(config, limits);
        byName.send(OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));
        assertFalse(byName.channel.isActive(), "EXPORT_NAME over the limit closes");
        assertEquals(REP_ACK, second.last(second.send(OPT_GO, go("pub"))).type(), "another export has its own count");
        second.channel.close();
        first.channel.close();
        assertEquals(0, limits.connections("disk"));
        Client third = new Client(config, limits);
        third.send(OPT_GO, go("disk"));
        assertNotNull(third.session, "admitted once the first connection closed");
    }
}
