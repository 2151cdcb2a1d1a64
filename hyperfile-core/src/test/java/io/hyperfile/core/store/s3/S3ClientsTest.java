package io.hyperfile.core.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;

/** The region of the S3 client when a profile is named: the configured one, else the profile's. */
class S3ClientsTest {
    @TempDir
    Path dir;

    @BeforeEach
    void profileFiles() throws Exception {
        assumeTrue(System.getenv("AWS_REGION") == null, "AWS_REGION is set: it would win over the profile");
        Path config = dir.resolve("config");
        Files.writeString(config, "[profile staging]\nregion = ap-south-1\n\n[profile bare]\noutput = json\n");
        Path credentials = dir.resolve("credentials");
        Files.writeString(credentials, "");
        System.setProperty("aws.configFile", config.toString());
        System.setProperty("aws.sharedCredentialsFile", credentials.toString());
    }

    @AfterEach
    void forget() {
        System.clearProperty("aws.configFile");
        System.clearProperty("aws.sharedCredentialsFile");
    }

    @Test
    void aProfileGivesItsRegionUnlessOneIsConfigured() {
        S3StoreConfig.Builder b = S3StoreConfig.builder("bucket").profile("staging");
        assertEquals(Region.AP_SOUTH_1, S3Clients.region(b.build()));
        assertEquals(Region.EU_WEST_1, S3Clients.region(b.region("eu-west-1").build()));
        assertNull(S3Clients.region(S3StoreConfig.builder("bucket").profile("bare").build()), "no region: the SDK's chain");
        assertNull(S3Clients.region(S3StoreConfig.builder("bucket").build()), "no profile: the SDK's chain");
    }
}
