package io.hyperfile.core.store.s3;

import io.hyperfile.core.store.ObjectKeys;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How an {@link S3ObjectStore} reaches its bucket. Immutable; build it with {@link #builder(String)} or
 * {@link #fromMap(Map)}.
 *
 * <p>Every optional setting left unset keeps the AWS SDK's own default, so a config with only a bucket runs
 * against AWS S3 with the default credential and region chains. Settings that only emulators need (path-style
 * addressing, a multipart threshold above the largest object for S3Proxy 4.1) must be given explicitly.
 *
 * <table>
 *   <caption>Configuration keys (none is changeable at runtime: a new store must be opened)</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code s3.bucket}</td><td>required</td><td>bucket name</td></tr>
 *   <tr><td>{@code s3.key-prefix}</td><td>"" (bucket root)</td><td>prefix inside the bucket, ending with
 *       {@code /}; keys given to the store are relative to it</td></tr>
 *   <tr><td>{@code s3.endpoint}</td><td>SDK (AWS endpoint for the region)</td><td>endpoint URI, e.g.
 *       {@code http://127.0.0.1:9000}</td></tr>
 *   <tr><td>{@code s3.region}</td><td>SDK default region chain</td><td>e.g. {@code us-east-1}</td></tr>
 *   <tr><td>{@code s3.force-path-style}</td><td>false</td><td>{@code http://host/bucket/key} addressing
 *       (emulators, MinIO); directory buckets do not support it</td></tr>
 *   <tr><td>{@code s3.access-key-id}, {@code s3.secret-access-key}, {@code s3.session-token}</td><td>SDK
 *       default credential chain</td><td>static credentials; the session token is optional</td></tr>
 *   <tr><td>{@code s3.profile}</td><td>SDK default credential chain</td><td>a profile of the shared AWS
 *       config and credentials files ({@code ~/.aws/config}, {@code ~/.aws/credentials}) to take credentials from,
 *       and the region when none is set here or in {@code AWS_REGION}; ignored when static credentials are
 *       given</td></tr>
 *   <tr><td>{@code s3.max-concurrency}</td><td>SDK (derived from the throughput target)</td><td>most
 *       connections the CRT client opens</td></tr>
 *   <tr><td>{@code s3.target-throughput-gbps}</td><td>SDK (10)</td><td>CRT throughput target, gigabits/s</td></tr>
 *   <tr><td>{@code s3.minimum-part-size-bytes}</td><td>SDK (8 MiB)</td><td>CRT part size for multipart
 *       uploads and ranged downloads</td></tr>
 *   <tr><td>{@code s3.multipart-threshold-bytes}</td><td>SDK (the part size)</td><td>objects larger than this
 *       are uploaded in parts; S3Proxy 4.1 needs it at least as large as the largest object</td></tr>
 *   <tr><td>{@code s3.checksum-mode}</td><td>{@code uploads}</td><td>{@code uploads}, {@code sdk-default} or
 *       {@code when-required}, see {@link ChecksumMode}</td></tr>
 *   <tr><td>{@code s3.directory-bucket}</td><td>{@code auto}</td><td>{@code auto} (a name ending in
 *       {@code --x-s3} is an S3 Express directory bucket), {@code true} or {@code false}</td></tr>
 *   <tr><td>{@code s3.connect-timeout-millis}</td><td>10000</td><td>how long opening a connection may take</td></tr>
 *   <tr><td>{@code s3.min-throughput-bytes-per-second}</td><td>1024</td><td>the CRT client's stall detection:
 *       a connection with work to do that moves fewer bytes per second than this for
 *       {@code s3.min-throughput-timeout-seconds} is closed and its request fails (TRANSIENT); 0 turns the
 *       detection off</td></tr>
 *   <tr><td>{@code s3.min-throughput-timeout-seconds}</td><td>15</td><td>how long a connection may stay below the
 *       minimum throughput, in whole seconds, at least 2 (the CRT's limit)</td></tr>
 *   <tr><td>{@code s3.sse}</td><td>{@code none}</td><td>server-side encryption of every object written:
 *       {@code none} (the bucket's default), {@code aes256} (SSE-S3) or {@code aws:kms} (SSE-KMS)</td></tr>
 *   <tr><td>{@code s3.sse-kms-key-id}</td><td>the bucket's default KMS key</td><td>KMS key id or ARN; only with
 *       {@code s3.sse=aws:kms}</td></tr>
 *   <tr><td>{@code s3.storage-class}</td><td>the bucket's default</td><td>storage class of every object written,
 *       e.g. {@code STANDARD_IA}; the archive classes GLACIER and DEEP_ARCHIVE are refused</td></tr>
 * </table>
 *
 * @param bucket the bucket name
 * @param keyPrefix "" or a prefix ending with {@code /} that is put in front of every key
 * @param endpoint endpoint override, or null for the SDK's endpoint resolution
 * @param region region id, or null for the SDK's default region chain
 * @param forcePathStyle use path-style addressing
 * @param credentials static credentials, or null for the SDK's default credential chain
 * @param profile a profile name of the shared AWS config files, or null for the SDK's default chain
 * @param maxConcurrency CRT connection limit, or null for the SDK default
 * @param targetThroughputGbps CRT throughput target in gigabits per second, or null for the SDK default
 * @param minimumPartSizeBytes CRT part size, or null for the SDK default
 * @param multipartThresholdBytes CRT multipart threshold, or null for {@link #DEFAULT_MULTIPART_THRESHOLD_BYTES}
 * @param checksumMode when the SDK computes request checksums and validates response checksums
 * @param directoryBucket the bucket is an S3 Express directory bucket (listing is emulated, see
 *     {@link S3ObjectStore})
 * @param connectTimeout how long the CRT client may take to open a connection
 * @param minThroughputBytesPerSecond the CRT client's stall detection threshold, 0 for none
 * @param minThroughputTimeout how long a connection may stay below the threshold (whole seconds)
 * @param putOptions server-side encryption and storage class of every object written, see {@link S3PutOptions}
 */
public record S3StoreConfig(
        String bucket,
        String keyPrefix,
        URI endpoint,
        String region,
        boolean forcePathStyle,
        Credentials credentials,
        Integer maxConcurrency,
        Double targetThroughputGbps,
        Long minimumPartSizeBytes,
        Long multipartThresholdBytes,
        ChecksumMode checksumMode,
        boolean directoryBucket,
        Duration connectTimeout,
        long minThroughputBytesPerSecond,
        Duration minThroughputTimeout,
        String profile,
        S3PutOptions putOptions) {

    public static final String BUCKET = "s3.bucket";
    public static final String KEY_PREFIX = "s3.key-prefix";
    public static final String ENDPOINT = "s3.endpoint";
    public static final String REGION = "s3.region";
    public static final String FORCE_PATH_STYLE = "s3.force-path-style";
    public static final String ACCESS_KEY_ID = "s3.access-key-id";
    public static final String SECRET_ACCESS_KEY = "s3.secret-access-key";
    public static final String SESSION_TOKEN = "s3.session-token";
    public static final String PROFILE = "s3.profile";
    public static final String MAX_CONCURRENCY = "s3.max-concurrency";
    public static final String TARGET_THROUGHPUT_GBPS = "s3.target-throughput-gbps";
    public static final String MINIMUM_PART_SIZE_BYTES = "s3.minimum-part-size-bytes";
    public static final String MULTIPART_THRESHOLD_BYTES = "s3.multipart-threshold-bytes";
    /** Objects up to this size are uploaded with one PUT unless configured otherwise (256 MiB). */
    public static final long DEFAULT_MULTIPART_THRESHOLD_BYTES = 256L << 20;
    public static final String CHECKSUM_MODE = "s3.checksum-mode";
    public static final String DIRECTORY_BUCKET = "s3.directory-bucket";
    public static final String CONNECT_TIMEOUT_MILLIS = "s3.connect-timeout-millis";
    public static final String MIN_THROUGHPUT_BYTES_PER_SECOND = "s3.min-throughput-bytes-per-second";
    public static final String MIN_THROUGHPUT_TIMEOUT_SECONDS = "s3.min-throughput-timeout-seconds";
    public static final String SSE = "s3.sse";
    public static final String SSE_KMS_KEY_ID = "s3.sse-kms-key-id";
    public static final String STORAGE_CLASS = "s3.storage-class";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_MIN_THROUGHPUT_BYTES_PER_SECOND = 1024;
    public static final Duration DEFAULT_MIN_THROUGHPUT_TIMEOUT = Duration.ofSeconds(15);

    private static final Set<String> KEYS = Set.of(BUCKET, KEY_PREFIX, ENDPOINT, REGION, FORCE_PATH_STYLE,
            ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, MAX_CONCURRENCY, TARGET_THROUGHPUT_GBPS,
            MINIMUM_PART_SIZE_BYTES, MULTIPART_THRESHOLD_BYTES, CHECKSUM_MODE, DIRECTORY_BUCKET, CONNECT_TIMEOUT_MILLIS,
            MIN_THROUGHPUT_BYTES_PER_SECOND, MIN_THROUGHPUT_TIMEOUT_SECONDS, PROFILE,
            SSE, SSE_KMS_KEY_ID, STORAGE_CLASS);

    /** The suffix that marks an S3 Express One Zone directory bucket name. */
    public static final String DIRECTORY_BUCKET_SUFFIX = "--x-s3";

    /** The smallest part S3 accepts in a multipart upload (except the last part). */
    public static final long MIN_PART_SIZE_BYTES = 5L << 20;

    /**
     * When the SDK adds checksums. Both work against AWS S3 and S3 Express; they differ on emulators.
     */
    public enum ChecksumMode {
        /**
         * The default: upload checksums (a CRC32C trailer that S3 verifies before it stores the object; CRC32C
         * because the CRT client computes it with the processor's CRC instruction, see docs/S3.md), but
         * no response validation. Hyperfile verifies every byte it reads against its own CRC32C checksums, so the
         * SDK's download validation would only add a HEAD before each ranged GET. Needs S3Proxy's
         * {@code v4MaxChunkSize} at least as large as the largest object, like {@link #SDK_DEFAULT}.
         */
        UPLOADS,
        /**
         * The SDK default (since 2.30): a CRC32 trailer on every upload ({@code aws-chunked} body) and, on CRT
         * downloads, a HEAD with {@code x-amz-checksum-mode: enabled} followed by validated ranged GETs. Needs
         * S3Proxy's {@code v4MaxChunkSize} at least as large as the largest object.
         */
        SDK_DEFAULT,
        /**
         * Checksums only where an operation requires one (DeleteObjects): plain upload bodies, no response
         * validation. For servers that reject {@code aws-chunked} uploads. Integrity then rests on TLS and on the
         * checksums Hyperfile keeps inside its own objects.
         */
        WHEN_REQUIRED
    }

    /** Whether the bucket is an S3 Express directory bucket. */
    public enum BucketType {
        /** Decided by the name: {@value S3StoreConfig#DIRECTORY_BUCKET_SUFFIX} means a directory bucket. */
        AUTO,
        GENERAL_PURPOSE,
        DIRECTORY
    }

    /** Static credentials. {@link #toString()} hides the secret and the token. */
    public record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
        public Credentials {
            checkArgument(accessKeyId != null && !accessKeyId.isBlank(), "accessKeyId must not be blank");
            checkArgument(secretAccessKey != null && !secretAccessKey.isEmpty(), "secretAccessKey must not be empty");
            if (sessionToken != null && sessionToken.isEmpty()) {
                sessionToken = null;
            }
        }

        @Override
        public String toString() {
            return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***"
                    + (sessionToken == null ? "" : ", sessionToken=***") + "]";
        }
    }

    public S3StoreConfig {
        checkArgument(bucket != null && !bucket.isBlank(), "bucket must not be blank");
        keyPrefix = keyPrefix == null ? "" : keyPrefix;
        if (!keyPrefix.isEmpty()) {
            checkArgument(keyPrefix.endsWith("/"), "keyPrefix must be empty or end with '/'. keyPrefix=" + keyPrefix);
            ObjectKeys.validate(keyPrefix.substring(0, keyPrefix.length() - 1));
            checkArgument(keyPrefixBytes(keyPrefix) < ObjectKeys.MAX_KEY_BYTES,
                    "keyPrefix leaves no room for keys. keyPrefix=" + keyPrefix);
        }
        if (endpoint != null) {
            checkArgument(endpoint.getScheme() != null && endpoint.getHost() != null,
                    "endpoint must be an absolute URI with a host. endpoint=" + endpoint);
        }
        if (region != null) {
            checkArgument(!region.isBlank(), "region must not be blank (null for the default chain)");
        }
        if (profile != null) {
            checkArgument(!profile.isBlank(), "profile must not be blank (null for the default chain)");
        }
        checkArgument(maxConcurrency == null || maxConcurrency > 0,
                "maxConcurrency must be positive. maxConcurrency=" + maxConcurrency);
        checkArgument(targetThroughputGbps == null || targetThroughputGbps > 0,
                "targetThroughputGbps must be positive. targetThroughputGbps=" + targetThroughputGbps);
        checkArgument(minimumPartSizeBytes == null || minimumPartSizeBytes >= MIN_PART_SIZE_BYTES,
                "minimumPartSizeBytes must be at least " + MIN_PART_SIZE_BYTES + ". minimumPartSizeBytes="
                        + minimumPartSizeBytes);
        checkArgument(multipartThresholdBytes == null || multipartThresholdBytes >= MIN_PART_SIZE_BYTES,
                "multipartThresholdBytes must be at least " + MIN_PART_SIZE_BYTES + ". multipartThresholdBytes="
                        + multipartThresholdBytes);
        checksumMode = checksumMode == null ? ChecksumMode.UPLOADS : checksumMode;
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        checkArgument(!connectTimeout.isNegative() && !connectTimeout.isZero()
                        && connectTimeout.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) <= 0,
                "connectTimeout must be positive and at most " + Integer.MAX_VALUE + " ms. connectTimeout=" + connectTimeout);
        checkArgument(minThroughputBytesPerSecond >= 0,
                "minThroughputBytesPerSecond must be non-negative (0: no stall detection). minThroughputBytesPerSecond="
                        + minThroughputBytesPerSecond);
        minThroughputTimeout = minThroughputTimeout == null ? DEFAULT_MIN_THROUGHPUT_TIMEOUT : minThroughputTimeout;
        checkArgument(minThroughputTimeout.getNano() == 0 && minThroughputTimeout.getSeconds() >= 2
                        && minThroughputTimeout.getSeconds() <= Integer.MAX_VALUE,
                "minThroughputTimeout must be a whole number of seconds, at least 2. minThroughputTimeout="
                        + minThroughputTimeout);
        putOptions = putOptions == null ? S3PutOptions.DEFAULT : putOptions;
    }

    public static Builder builder(String bucket) {
        return new Builder(bucket);
    }

    public Builder toBuilder() {
        Builder b = new Builder(bucket)
                .keyPrefix(keyPrefix)
                .endpoint(endpoint)
                .region(region)
                .forcePathStyle(forcePathStyle)
                .credentials(credentials)
                .checksumMode(checksumMode)
                .bucketType(directoryBucket ? BucketType.DIRECTORY : BucketType.GENERAL_PURPOSE)
                .connectTimeout(connectTimeout)
                .minThroughput(minThroughputBytesPerSecond, minThroughputTimeout)
                .profile(profile)
                .putOptions(putOptions);
        b.maxConcurrency = maxConcurrency;
        b.targetThroughputGbps = targetThroughputGbps;
        b.minimumPartSizeBytes = minimumPartSizeBytes;
        b.multipartThresholdBytes = multipartThresholdBytes;
        return b;
    }

    /**
     * Builds a config from {@code s3.*} keys (see the class table). Keys outside {@code s3.} are ignored; an
     * unknown {@code s3.} key is an error, so that typos do not pass silently.
     */
    public static S3StoreConfig fromMap(Map<String, String> settings) {
        for (String key : settings.keySet()) {
            checkArgument(!key.startsWith("s3.") || KEYS.contains(key), "unknown configuration key: " + key);
        }
        Builder b = builder(settings.get(BUCKET));
        b.keyPrefix(settings.get(KEY_PREFIX));
        String endpoint = settings.get(ENDPOINT);
        if (endpoint != null) {
            b.endpoint(URI.create(endpoint));
        }
        b.region(settings.get(REGION));
        b.forcePathStyle(parseBoolean(FORCE_PATH_STYLE, settings.getOrDefault(FORCE_PATH_STYLE, "false")));
        if (settings.containsKey(ACCESS_KEY_ID) || settings.containsKey(SECRET_ACCESS_KEY)) {
            b.credentials(new Credentials(settings.get(ACCESS_KEY_ID), settings.get(SECRET_ACCESS_KEY),
                    settings.get(SESSION_TOKEN)));
        }
        String v;
        if ((v = settings.get(MAX_CONCURRENCY)) != null) {
            b.maxConcurrency(Integer.parseInt(v.trim()));
        }
        if ((v = settings.get(TARGET_THROUGHPUT_GBPS)) != null) {
            b.targetThroughputGbps(Double.parseDouble(v.trim()));
        }
        if ((v = settings.get(MINIMUM_PART_SIZE_BYTES)) != null) {
            b.minimumPartSizeBytes(Long.parseLong(v.trim()));
        }
        if ((v = settings.get(MULTIPART_THRESHOLD_BYTES)) != null) {
            b.multipartThresholdBytes(Long.parseLong(v.trim()));
        }
        if ((v = settings.get(CHECKSUM_MODE)) != null) {
            b.checksumMode(ChecksumMode.valueOf(v.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
        }
        if ((v = settings.get(DIRECTORY_BUCKET)) != null) {
            String t = v.trim().toLowerCase(Locale.ROOT);
            b.bucketType(t.equals("auto") ? BucketType.AUTO
                    : parseBoolean(DIRECTORY_BUCKET, t) ? BucketType.DIRECTORY : BucketType.GENERAL_PURPOSE);
        }
        if ((v = settings.get(CONNECT_TIMEOUT_MILLIS)) != null) {
            b.connectTimeout(Duration.ofMillis(parseLong(CONNECT_TIMEOUT_MILLIS, v)));
        }
        long minThroughput = DEFAULT_MIN_THROUGHPUT_BYTES_PER_SECOND;
        Duration minThroughputTimeout = DEFAULT_MIN_THROUGHPUT_TIMEOUT;
        if ((v = settings.get(MIN_THROUGHPUT_BYTES_PER_SECOND)) != null) {
            minThroughput = parseLong(MIN_THROUGHPUT_BYTES_PER_SECOND, v);
        }
        if ((v = settings.get(MIN_THROUGHPUT_TIMEOUT_SECONDS)) != null) {
            minThroughputTimeout = Duration.ofSeconds(parseLong(MIN_THROUGHPUT_TIMEOUT_SECONDS, v));
        }
        b.minThroughput(minThroughput, minThroughputTimeout);
        b.profile(settings.get(PROFILE));
        b.putOptions(S3PutOptions.fromMap(settings));
        return b.build();
    }

    /** Every key {@link #fromMap(Map)} understands. */
    public static Set<String> keys() {
        return KEYS;
    }

    /** UTF-8 length of the key prefix: keys given to the store may be at most 1024 minus this. */
    public int keyPrefixBytes() {
        return keyPrefixBytes(keyPrefix);
    }

    @Override
    public String toString() {
        return "S3StoreConfig[bucket=" + bucket + ", keyPrefix=" + keyPrefix + ", endpoint=" + endpoint
                + ", region=" + region + ", forcePathStyle=" + forcePathStyle + ", credentials="
                + (credentials == null ? "default chain" : credentials) + ", maxConcurrency=" + maxConcurrency
                + ", targetThroughputGbps=" + targetThroughputGbps + ", minimumPartSizeBytes=" + minimumPartSizeBytes
                + ", multipartThresholdBytes=" + multipartThresholdBytes + ", checksumMode=" + checksumMode
                + ", directoryBucket=" + directoryBucket + ", connectTimeout=" + connectTimeout
                + ", minThroughputBytesPerSecond=" + minThroughputBytesPerSecond + ", minThroughputTimeout="
                + minThroughputTimeout + (profile == null ? "" : ", profile=" + profile)
                + (putOptions.isDefault() ? "" : ", " + putOptions) + "]";
    }

    private static int keyPrefixBytes(String prefix) {
        return prefix.getBytes(StandardCharsets.UTF_8).length;
    }

    private static boolean parseBoolean(String key, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        checkArgument(v.equals("true") || v.equals("false"), key + " must be true or false. value=" + value);
        return v.equals("true");
    }

    private static long parseLong(String key, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number. value=" + value, e);
        }
    }

    private static void checkArgument(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Validating builder; {@link #build()} checks every limit. Not thread-safe. */
    public static final class Builder {
        private final String bucket;
        private String keyPrefix = "";
        private URI endpoint;
        private String region;
        private boolean forcePathStyle;
        private Credentials credentials;
        private Integer maxConcurrency;
        private Double targetThroughputGbps;
        private Long minimumPartSizeBytes;
        private Long multipartThresholdBytes;
        private ChecksumMode checksumMode = ChecksumMode.UPLOADS;
        private BucketType bucketType = BucketType.AUTO;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private long minThroughputBytesPerSecond = DEFAULT_MIN_THROUGHPUT_BYTES_PER_SECOND;
        private Duration minThroughputTimeout = DEFAULT_MIN_THROUGHPUT_TIMEOUT;
        private String profile;
        private S3PutOptions putOptions = S3PutOptions.DEFAULT;

        private Builder(String bucket) {
            this.bucket = bucket;
        }

        /** "" or a prefix ending with '/', e.g. {@code team/a/}. Null means "". */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = keyPrefix == null ? "" : keyPrefix;
            return this;
        }

        /** Endpoint override; null restores the SDK's endpoint resolution. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** Region id; null restores the SDK's default region chain. */
        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder forcePathStyle(boolean forcePathStyle) {
            this.forcePathStyle = forcePathStyle;
            return this;
        }

        /** Static credentials; null restores the SDK's default credential chain. */
        public Builder credentials(Credentials credentials) {
            this.credentials = credentials;
            return this;
        }

        public Builder credentials(String accessKeyId, String secretAccessKey) {
            return credentials(new Credentials(accessKeyId, secretAccessKey, null));
        }

        /** Uses the SDK's default credential chain (environment, profile, instance role, ...). */
        public Builder defaultCredentials() {
            return credentials((Credentials) null);
        }

        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        public Builder targetThroughputGbps(double targetThroughputGbps) {
            this.targetThroughputGbps = targetThroughputGbps;
            return this;
        }

        public Builder minimumPartSizeBytes(long minimumPartSizeBytes) {
            this.minimumPartSizeBytes = minimumPartSizeBytes;
            return this;
        }

        public Builder multipartThresholdBytes(long multipartThresholdBytes) {
            this.multipartThresholdBytes = multipartThresholdBytes;
            return this;
        }

        public Builder checksumMode(ChecksumMode checksumMode) {
            this.checksumMode = Objects.requireNonNull(checksumMode, "checksumMode");
            return this;
        }

        public Builder bucketType(BucketType bucketType) {
            this.bucketType = Objects.requireNonNull(bucketType, "bucketType");
            return this;
        }

        /** How long opening a connection may take (default {@link S3StoreConfig#DEFAULT_CONNECT_TIMEOUT}). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * The CRT client's stall detection: a connection that moves fewer than {@code bytesPerSecond} for
         * {@code timeout} (whole seconds) is closed and its request fails. {@code bytesPerSecond} 0 turns it off.
         */
        public Builder minThroughput(long bytesPerSecond, Duration timeout) {
            this.minThroughputBytesPerSecond = bytesPerSecond;
            this.minThroughputTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * A profile of the shared AWS config files to take credentials (and, when no region is set, the region)
         * from; null restores the SDK's default chains (which read {@code AWS_PROFILE} themselves).
         */
        public Builder profile(String profile) {
            this.profile = profile;
            return this;
        }

        /** Server-side encryption and storage class of every object written; null restores the bucket's defaults. */
        public Builder putOptions(S3PutOptions putOptions) {
            this.putOptions = putOptions == null ? S3PutOptions.DEFAULT : putOptions;
            return this;
        }

        public S3StoreConfig build() {
            boolean directory = switch (bucketType) {
                case AUTO -> bucket != null && bucket.endsWith(DIRECTORY_BUCKET_SUFFIX);
                case DIRECTORY -> true;
                case GENERAL_PURPOSE -> false;
            };
            return new S3StoreConfig(bucket, keyPrefix, endpoint, region, forcePathStyle, credentials,
                    maxConcurrency, targetThroughputGbps, minimumPartSizeBytes, multipartThresholdBytes, checksumMode,
                    directory, connectTimeout, minThroughputBytesPerSecond, minThroughputTimeout, profile,
                    putOptions);
        }
    }
}
