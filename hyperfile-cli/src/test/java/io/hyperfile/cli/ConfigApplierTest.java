package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.s3.S3PutOptions;
import io.hyperfile.core.store.s3.S3StoreConfig;
import io.hyperfile.core.volume.VolumeConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * Values of the configuration file and the environment reach the options: command line over file over environment
 * over defaults, for any option shape (a mixin written without knowing about the file, as new options are).
 */
class ConfigApplierTest {
    /** Options of the shapes other mixins use, declared the plain picocli way. */
    static final class AccessOptions {
        @Option(names = "--allow", paramLabel = "EXPORT=CIDR")
        Map<String, String> allow;
        @Option(names = "--tag")
        List<String> tags;
        @Option(names = "--read-only")
        boolean readOnly;
        @Option(names = "--max-connections", defaultValue = "100")
        int maxConnections;
        @Option(names = "--unit", defaultValue = "SECONDS")
        TimeUnit unit;
        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s")
        String timeout;
    }

    @Command(name = "test")
    static final class TestCommand implements Runnable {
        @Mixin
        AccessOptions access;
        @Mixin
        StoreOptions store;

        @Override
        public void run() {
        }
    }

    private static final Map<String, String> NO_ENV = Map.of();

    private static TestCommand apply(String file, Map<String, String> env, String... args) {
        TestCommand command = new TestCommand();
        CommandLine cli = new CommandLine(command);
        ConfigFile config = ConfigFile.parse("t.conf", file);
        ConfigKeys.of(cli).validate(config);
        ParseResult parsed = cli.parseArgs(args);
        new ConfigApplier(config, env).apply(parsed);
        return command;
    }

    @Test
    void everyOptionShapeTakesItsValueFromTheFile() {
        TestCommand c = apply("""
                allow.disk0 = 10.0.0.0/8
                allow.disk1 = 192.168.1.0/24
                tag = a, b ,c
                read-only = true
                max-connections = 7
                unit = minutes
                timeout = 1m
                """, NO_ENV);
        assertEquals(Map.of("disk0", "10.0.0.0/8", "disk1", "192.168.1.0/24"), c.access.allow);
        assertEquals(List.of("a", "b", "c"), c.access.tags);
        assertTrue(c.access.readOnly);
        assertEquals(7, c.access.maxConnections);
        assertEquals(TimeUnit.MINUTES, c.access.unit);
        assertEquals("1m", c.access.timeout);
    }

    @Test
    void theCommandLineWinsOverTheFileWholeEvenForRepeatableOptionsAndFlags() {
        TestCommand c = apply("""
                allow.disk0 = 10.0.0.0/8
                tag = a, b
                read-only = true
                max-connections = 7
                """, NO_ENV, "--allow", "disk9=127.0.0.1/32", "--tag", "z", "--read-only", "--max-connections=9");
        assertEquals(Map.of("disk9", "127.0.0.1/32"), c.access.allow, "not merged with the file's entries");
        assertEquals(List.of("z"), c.access.tags);
        assertTrue(c.access.readOnly, "a flag given on the command line is set, not toggled against the file");
        assertEquals(9, c.access.maxConnections);
    }

    @Test
    void unsetKeysKeepTheBuiltInDefaults() {
        TestCommand c = apply("tag = a\n", NO_ENV);
        assertEquals(100, c.access.maxConnections);
        assertEquals(TimeUnit.SECONDS, c.access.unit);
        assertNull(c.access.allow);
        assertFalse(c.access.readOnly);
        assertEquals(StoreOptions.DEFAULT_STORE, c.store.store);
    }

    @Test
    void badValuesOfAnyShapeAreRejectedWithFileLineAndKey() {
        assertEquals("t.conf:2: max-connections: invalid value: 'many' is not an int",
                assertThrows(ConfigException.class, () -> apply("tag = a\nmax-connections = many\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: unit: invalid value: expected one of [NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS,"
                        + " MINUTES, HOURS, DAYS] (case-insensitive) but was 'fortnights'",
                assertThrows(ConfigException.class, () -> apply("unit = fortnights\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: read-only: invalid value: 'yes' is not a boolean",
                assertThrows(ConfigException.class, () -> apply("read-only = yes\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: timeout: invalid duration '5x': use 0 or a number with ms, s, m, h or d (e.g. 30s, 10m, 1h)",
                assertThrows(ConfigException.class, () -> apply("timeout = 5x\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: allow: a map option: give one line per entry, allow.KEY = VALUE",
                assertThrows(ConfigException.class, () -> apply("allow = disk0=10.0.0.0/8\n", NO_ENV)).getMessage());
        assertEquals("t.conf:3: unknown key 'max-conections' (did you mean 'max-connections'?)",
                assertThrows(ConfigException.class, () -> apply("\n\nmax-conections = 3\n", NO_ENV)).getMessage());
    }

    @Test
    void environmentVariablesComeAfterTheFileAndBeforeTheDefaults() {
        Map<String, String> env = Map.of("HYPERFILE_STORE", "s3://from-env/p", "AWS_ENDPOINT_URL", "http://generic:9000",
                "AWS_ENDPOINT_URL_S3", "http://s3-specific:9000", "AWS_PROFILE", "env-profile");
        TestCommand fromEnv = apply("", env);
        assertEquals("s3://from-env/p", fromEnv.store.store);
        assertEquals("http://s3-specific:9000", fromEnv.store.endpoint, "AWS_ENDPOINT_URL_S3 before AWS_ENDPOINT_URL");
        assertEquals("env-profile", fromEnv.store.profile);

        TestCommand generic = apply("", Map.of("AWS_ENDPOINT_URL", "http://generic:9000"));
        assertEquals("http://generic:9000", generic.store.endpoint);

        TestCommand fromFile = apply("store = s3://from-file\nendpoint = http://file:9000\nprofile = file-profile\n", env);
        assertEquals("s3://from-file", fromFile.store.store);
        assertEquals("http://file:9000", fromFile.store.endpoint);
        assertEquals("file-profile", fromFile.store.profile);

        TestCommand fromArgs = apply("store = s3://from-file\nprofile = file-profile\n", env, "--store=s3://from-args",
                "--profile", "arg-profile");
        assertEquals("s3://from-args", fromArgs.store.store);
        assertEquals("arg-profile", fromArgs.store.profile);
        assertEquals("http://s3-specific:9000", fromArgs.store.endpoint);
    }

    @Test
    void s3SettingsReachTheStoreConfigAndOptionsWinOverThem() {
        TestCommand c = apply("""
                store = s3://bucket/team
                profile = staging
                s3.max-concurrency = 16
                s3.checksum-mode = when-required
                s3.access-key-id = AK
                s3.secret-access-key = SK
                s3.connect-timeout-millis = 2500
                s3.sse = aws:kms
                s3.sse-kms-key-id = arn:aws:kms:us-east-1:111122223333:key/k1
                s3.storage-class = standard_ia
                """, NO_ENV, "--endpoint", "http://127.0.0.1:9000", "--path-style");
        S3StoreConfig s3 = c.store.s3Config("bucket", "team/");
        assertEquals(16, s3.maxConcurrency());
        assertEquals(S3StoreConfig.ChecksumMode.WHEN_REQUIRED, s3.checksumMode());
        assertEquals(new S3StoreConfig.Credentials("AK", "SK", null), s3.credentials());
        assertEquals(Duration.ofMillis(2500), s3.connectTimeout());
        assertEquals("staging", s3.profile());
        assertEquals(URI.create("http://127.0.0.1:9000"), s3.endpoint());
        assertTrue(s3.forcePathStyle());
        assertEquals("team/", s3.keyPrefix());
        assertEquals(new S3PutOptions(S3PutOptions.Sse.AWS_KMS, "arn:aws:kms:us-east-1:111122223333:key/k1",
                StorageClass.STANDARD_IA), s3.putOptions());
        assertEquals(new S3PutOptions(S3PutOptions.Sse.AES256, null, null),
                apply("s3.sse = AES256\n", NO_ENV).store.s3Config("b", "").putOptions());
    }

    @Test
    void badEncryptionAndStorageClassSettingsAreRejectedWithFileLineAndKey() {
        assertEquals("t.conf:2: s3.sse: invalid value 'kms': s3.sse must be none, aes256 or aws:kms. value=kms",
                assertThrows(ConfigException.class, () -> apply("tag = a\ns3.sse = kms\n", NO_ENV)).getMessage());
        assertEquals("t.conf:2: s3.sse-kms-key-id: needs s3.sse = aws:kms", assertThrows(ConfigException.class,
                () -> apply("s3.sse = aes256\ns3.sse-kms-key-id = k1\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: s3.sse-kms-key-id: needs s3.sse = aws:kms",
                assertThrows(ConfigException.class, () -> apply("s3.sse-kms-key-id = k1\n", NO_ENV)).getMessage());
        String badClass = assertThrows(ConfigException.class,
                () -> apply("tag = a\n\ns3.storage-class = CHEAP\n", NO_ENV)).getMessage();
        assertTrue(badClass.startsWith("t.conf:3: s3.storage-class: invalid value 'CHEAP': s3.storage-class must be an "
                + "S3 storage class, one of ") && badClass.endsWith(". value=CHEAP"), badClass);
        assertEquals("t.conf:1: s3.storage-class: invalid value 'deep_archive': s3.storage-class DEEP_ARCHIVE is an "
                + "archive class: its objects cannot be read without a restore (GLACIER_IR can). value=deep_archive",
                assertThrows(ConfigException.class, () -> apply("s3.storage-class = deep_archive\n", NO_ENV))
                        .getMessage());
    }

    @Test
    void s3KeysThatOptionsSetAndHalfCredentialsAreRejected() {
        assertEquals("t.conf:2: s3.endpoint: set it with endpoint",
                assertThrows(ConfigException.class, () -> apply("tag = a\ns3.endpoint = http://x\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: s3.bucket: set it with store = s3://BUCKET/PREFIX",
                assertThrows(ConfigException.class, () -> apply("s3.bucket = b\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: s3.access-key-id: static credentials need both s3.access-key-id and s3.secret-access-key",
                assertThrows(ConfigException.class, () -> apply("s3.access-key-id = AK\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: s3.max-concurrency: invalid number 'lots'",
                assertThrows(ConfigException.class, () -> apply("s3.max-concurrency = lots\n", NO_ENV)).getMessage());
        assertEquals("t.conf:1: s3.checksum-mode: invalid value 'always'",
                assertThrows(ConfigException.class, () -> apply("s3.checksum-mode = always\n", NO_ENV)).getMessage());
    }

    @Test
    void volumeSettingsReachTheVolumeConfigOfServe() {
        ServeCommand serve = new ServeCommand();
        CommandLine cli = new CommandLine(serve);
        ConfigFile config = ConfigFile.parse("s.conf", """
                volume.dirty-limit = 32M
                volume.flush-age = 500ms
                volume.node-cache-size = 0
                volume.read-ahead = 1M
                volume.read-defrag = 0
                volume.hint-every-segments = 8
                volume.upload-parallelism = 2
                """);
        ConfigKeys.of(cli).validate(config);
        new ConfigApplier(config, NO_ENV).apply(cli.parseArgs());
        VolumeConfig v = serve.volumeTuning.config(false, 64L << 20);
        assertEquals(32L << 20, v.dirtyLimitBytes());
        assertEquals(Duration.ofMillis(500), v.flushAge());
        assertEquals(0, v.nodeCacheBytes());
        assertEquals(1L << 20, v.readAheadBytes(), "set read-ahead applies with or without a cache");
        assertEquals(8, v.hintEverySegments());
        assertEquals(2, v.uploadParallelism());
        assertEquals(0, v.readDefragBytes(), "read defragmentation off");
        assertEquals(VolumeConfig.DEFAULT.flushDeadline(), v.flushDeadline());

        ServeCommand plain = new ServeCommand();
        new ConfigApplier(ConfigFile.NONE, NO_ENV).apply(new CommandLine(plain).parseArgs());
        assertEquals(VolumeTuning.CACHED_READ_AHEAD_BYTES, plain.volumeTuning.config(true, 64L << 20).readAheadBytes());
        assertEquals(0, plain.volumeTuning.config(false, 64L << 20).readAheadBytes());
        assertEquals(4, plain.volumeTuning.config(false, 64L << 20).uploadParallelism());
        assertEquals(4L << 20, plain.volumeTuning.config(false, 64L << 20).readDefragBytes());

        assertEquals("s.conf:1: volume.flush-age: invalid duration '0': must be above zero",
                assertThrows(ConfigException.class, () -> ConfigKeys.of(new CommandLine(new ServeCommand()))
                        .validate(ConfigFile.parse("s.conf", "volume.flush-age = 0\n"))).getMessage());
        assertEquals("s.conf:1: volume.upload-parallelism: invalid number '65': use 1 to 64",
                assertThrows(ConfigException.class, () -> ConfigKeys.of(new CommandLine(new ServeCommand()))
                        .validate(ConfigFile.parse("s.conf", "volume.upload-parallelism = 65\n"))).getMessage());
    }
}
