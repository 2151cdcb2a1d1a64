package io.hyperfile.nbd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class LeakDetectionTest {
    @Test
    void samplesOneBufferInAThousandAndTwentyFourUnlessTheJvmWasToldOtherwise() {
        Properties none = new Properties();
        assertEquals("1024", LeakDetection.applyDefault(none));
        assertEquals("1024", none.getProperty(LeakDetection.SAMPLING_INTERVAL_PROPERTY));

        Properties given = new Properties();
        given.setProperty(LeakDetection.SAMPLING_INTERVAL_PROPERTY, "1");
        assertEquals("1", LeakDetection.applyDefault(given));
        assertEquals("1", given.getProperty(LeakDetection.SAMPLING_INTERVAL_PROPERTY));
    }
}
