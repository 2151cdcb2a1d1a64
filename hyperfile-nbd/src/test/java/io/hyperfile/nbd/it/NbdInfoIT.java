package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.testing.ServerFixture;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** nbdinfo (libnbd) sees the options, flags, contexts and block sizes we advertise. */
class NbdInfoIT {
    private static ServerFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("nbdinfo");
        fixture = new ServerFixture();
        fixture.addVolume("disk", 1L << 30);
        fixture.addExport(new Export("snap", fixture.exports.find("disk").orElseThrow().device(), true, "read-only view"));
        fixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** The value of a top-level key in nbdinfo's JSON for one export (our own JSON has one export per call). */
    private static String json(String out, String key) {
        int i = out.indexOf("\"" + key + "\":");
        assertTrue(i >= 0, key + " missing from " + out);
        int start = i + key.length() + 3;
        int end = start;
        while (end < out.length() && ",\n}".indexOf(out.charAt(end)) < 0) {
            end++;
        }
        return out.substring(start, end).trim();
    }

    @Test
    void jsonShowsEveryFlagAndContext() throws Exception {
        String out = Tools.ok(60, "nbdinfo", "--json", fixture.uri("disk"));
        assertEquals("\"newstyle-fixed\"", json(out, "protocol"));
        assertEquals("true", json(out, "structured"));
        for (String flag : List.of("can_cache", "can_df", "can_fast_zero", "can_flush", "can_fua", "can_multi_conn",
                "can_trim", "can_zero")) {
            assertEquals("true", json(out, flag), flag);
        }
        assertEquals("false", json(out, "is_read_only"));
        assertEquals("1", json(out, "block_size_minimum"));
        assertEquals("4096", json(out, "block_size_preferred"));
        assertEquals("33554432", json(out, "block_size_maximum"));
        assertEquals("1073741824", json(out, "export-size"));
        assertTrue(out.contains("\"base:allocation\""), out);
    }

    @Test
    void readOnlyExportAndListing() throws Exception {
        String out = Tools.ok(60, "nbdinfo", "--json", fixture.uri("snap"));
        assertEquals("true", json(out, "is_read_only"));
        assertEquals("false", json(out, "can_trim"));
        assertEquals("false", json(out, "can_zero"));
        String list = Tools.ok(60, "nbdinfo", "--list", "--json", "nbd://127.0.0.1:" + fixture.port() + "/");
        assertTrue(list.contains("\"export-name\": \"disk\""), list);
        assertTrue(list.contains("\"export-name\": \"snap\""), list);
        assertTrue(list.contains("read-only view"), list);
    }

    @Test
    void unknownExportIsRefused() throws Exception {
        Tools.Result r = Tools.run(60, List.of("nbdinfo", fixture.uri("nope")));
        assertNotEquals(0, r.exitCode());
        assertTrue(r.output().contains("nope"), r.output());
    }
}
