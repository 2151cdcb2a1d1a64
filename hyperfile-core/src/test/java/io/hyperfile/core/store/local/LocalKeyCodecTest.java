package io.hyperfile.core.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LocalKeyCodecTest {
    @Test
    void keepsSafeNamesReadable() {
        assertEquals("volume.json", LocalKeyCodec.encode("volume.json"));
        assertEquals("00000000000000000042", LocalKeyCodec.encode("00000000000000000042"));
        assertEquals("disk_0-a", LocalKeyCodec.encode("disk_0-a"));
    }

    @Test
    void escapesEverythingElseAsAsciiAndRoundTrips() {
        assertEquals("%2Ehidden", LocalKeyCodec.encode(".hidden"));
        assertEquals("a%20b%25c", LocalKeyCodec.encode("a b%c"));
        assertEquals("caf%C3%A9", LocalKeyCodec.encode("caf\u00e9"));
        for (String s : new String[] {".x", "a b", "%%", "\ud83d\ude00", "x.", "..a", "a\\b", "?#&"}) {
            String name = LocalKeyCodec.encode(s);
            assertTrue(name.chars().allMatch(c -> c < 0x80 && c != '/'), name);
            assertTrue(name.charAt(0) != '.', name);
            assertEquals(s, LocalKeyCodec.decode(name));
        }
    }

    @Test
    void foreignNamesDecodeToNull() {
        assertNull(LocalKeyCodec.decode(".tmp-123"));
        assertNull(LocalKeyCodec.decode("bad%zz"));
        assertNull(LocalKeyCodec.decode("trunc%4"));
        assertNull(LocalKeyCodec.decode("caf\u00e9"));
    }

    @Test
    void rejectsSegmentsTooLongForAFileName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalKeyCodec.encode("\u00e9".repeat(50)));
        assertTrue(e.getMessage().startsWith("key segment is too long for a local directory store (300 bytes"), e.getMessage());
    }
}
