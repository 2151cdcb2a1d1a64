package io.hyperfile.core.store.s3;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * JUnit 5 extension that provides one S3 server for the whole test run, kept in the root context store and closed
 * when the run ends.
 *
 * <p>{@code -Ds3.backend=auto|s3proxy|localstack} chooses it. {@code auto} (the default) uses LocalStack through
 * Testcontainers when Docker is available, and otherwise S3Proxy 4.1 embedded in this JVM (transient in-memory
 * store on 127.0.0.1, any free port, {@code v4MaxChunkSize} 128 MiB so that the CRT client's single-chunk
 * {@code aws-chunked} uploads of large objects pass, wrapped in {@link AtomicConditionalBlobStore} for atomic
 * conditional PUTs and in {@link S3SemanticsBlobStore} for S3's flat key space and UTF-8 listing order).
 * {@code localstack} fails when Docker is missing, rather than quietly testing something else.
 *
 * <p>A test class annotated {@link LocalStackOnly} always gets LocalStack; combine it with
 * {@code @EnabledIfDockerAvailable} so that it is reported as skipped where there is no Docker.
 *
 * <p>Test classes get the server by declaring a {@link Backend} (or {@link Endpoint}) parameter, typically on a
 * static {@code @BeforeAll} method that makes the class's own bucket with {@link Backend#createBucket}.
 */
public final class S3Backend implements BeforeAllCallback, ParameterResolver {
    private static final Logger LOG = LoggerFactory.getLogger(S3Backend.class);
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(S3Backend.class);
    private static final String ACCESS_KEY = "hyperfile-test-access";
    private static final String SECRET_KEY = "hyperfile-test-secret";
    private static final String REGION = "us-east-1";
    /** Above every object the tests write: the CRT client must never upload in parts to S3Proxy 4.1. */
    static final long MULTIPART_THRESHOLD_BYTES = 1L << 30;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    /** Marks a test class that must run against LocalStack, whatever {@code s3.backend} says. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @Inherited
    public @interface LocalStackOnly {
    }

    /** Where the server listens and how to sign in. */
    public record Endpoint(String kind, URI uri, String accessKey, String secretKey, String region) {
    }

    /**
     * A running server, with an admin client for bucket management. Closed once, at the end of the run. Implements
     * the deprecated {@code CloseableResource} as well as {@code AutoCloseable}, so that JUnit versions before and
     * after 5.13 both close it.
     */
    @SuppressWarnings("deprecation")
    public static final class Backend implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        private final Endpoint endpoint;
        private final AutoCloseable server;
        private final S3AsyncClient admin;
        private final AtomicBoolean closed = new AtomicBoolean();

        Backend(Endpoint endpoint, AutoCloseable server) {
            this.endpoint = endpoint;
            this.server = server;
            this.admin = S3AsyncClient.crtBuilder()
                    .endpointOverride(endpoint.uri())
                    .forcePathStyle(true)
                    .region(Region.of(endpoint.region()))
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(endpoint.accessKey(), endpoint.secretKey())))
                    .thresholdInBytes(MULTIPART_THRESHOLD_BYTES)
                    .retryConfiguration(r -> r.numRetries(0))
                    .build();
        }

        public Endpoint endpoint() {
            return endpoint;
        }

        /** The admin client (bucket management); closed with this backend. */
        S3AsyncClient admin() {
            return admin;
        }

        public String kind() {
            return endpoint.kind();
        }

        /** Creates a new, empty bucket whose name starts with "hf-" and a cleaned-up {@code hint}. */
        public String createBucket(String hint) {
            return createBucket("hf-", hint);
        }

        /**
         * Creates a bucket on which the embedded S3Proxy lists like an S3 Express directory bucket (see
         * {@link S3SemanticsBlobStore}). Only the S3Proxy backend can do this.
         */
        public String createSimulatedDirectoryBucket(String hint) {
            if (!kind().equals("s3proxy")) {
                throw new IllegalStateException("directory-bucket listing is simulated only on s3proxy, not " + kind());
            }
            return createBucket(S3SemanticsBlobStore.DIRECTORY_BUCKET_PREFIX, hint);
        }

        private String createBucket(String namePrefix, String hint) {
            String clean = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
            if (clean.length() > 30) {
                clean = clean.substring(0, 30);
            }
            String name = namePrefix + clean + "-" + BUCKETS.incrementAndGet() + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
            admin.createBucket(r -> r.bucket(name)).join();
            return name;
        }

        /** Deletes every object in the bucket, then the bucket, so that the server frees the memory. */
        public void deleteBucket(String bucket) {
            // Always list from the start: continuation tokens need not survive deletions (simulated
            // directory buckets page by position).
            while (true) {
                ListObjectsV2Response page = admin.listObjectsV2(r -> r.bucket(bucket)).join();
                List<ObjectIdentifier> ids = new ArrayList<>();
                for (S3Object o : page.contents()) {
                    ids.add(ObjectIdentifier.builder().key(o.key()).build());
                }
                if (ids.isEmpty()) {
                    break;
                }
                admin.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(ids).quiet(true))).join();
            }
            admin.deleteBucket(r -> r.bucket(bucket)).join();
        }

        /**
         * A store config for {@code bucket} on this server: endpoint, region, path-style addressing, the
         * server's credentials, and a multipart threshold above any test object. Checksums stay at the SDK default.
         */
        public S3StoreConfig.Builder storeConfig(String bucket) {
            return S3StoreConfig.builder(bucket)
                    .endpoint(endpoint.uri())
                    .region(endpoint.region())
                    .forcePathStyle(true)
                    .credentials(endpoint.accessKey(), endpoint.secretKey())
                    .multipartThresholdBytes(MULTIPART_THRESHOLD_BYTES);
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try {
                admin.close();
            } finally {
                try {
                    server.close();
                } catch (Exception e) {
                    throw new IllegalStateException("could not stop " + this, e);
                }
            }
        }

        @Override
        public String toString() {
            return endpoint.kind() + " at " + endpoint.uri();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        backend(context);
    }

    /**
     * A general-purpose bucket of the test class's own, on the run's backend, deleted after the class. Resolve it
     * as a {@code @BeforeAll} parameter.
     */
    public record ClassBucket(Backend backend, String name) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        /** A store configuration for this bucket, to adjust and build. */
        public S3StoreConfig.Builder storeConfig() {
            return backend.storeConfig(name);
        }

        @Override
        public void close() {
            backend.deleteBucket(name);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Backend.class || type == Endpoint.class || type == ClassBucket.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Backend backend = backend(context);
        Class<?> type = parameter.getParameter().getType();
        if (type == ClassBucket.class) {
            String hint = context.getRequiredTestClass().getSimpleName();
            return context.getStore(NS).getOrComputeIfAbsent("bucket",
                    k -> new ClassBucket(backend, backend.createBucket(hint)), ClassBucket.class);
        }
        return type == Endpoint.class ? backend.endpoint() : backend;
    }

    /** The backend for the current test class: LocalStack for {@link LocalStackOnly} classes, else per s3.backend. */
    public static Backend backend(ExtensionContext context) {
        ExtensionContext.Store store = context.getRoot().getStore(NS);
        boolean localStackOnly = context.getTestClass()
                .map(c -> AnnotationSupport.isAnnotated(c, LocalStackOnly.class)).orElse(false);
        String mode = System.getProperty("s3.backend", "auto").trim().toLowerCase(Locale.ROOT);
        if (localStackOnly && (mode.equals("s3proxy") || !DockerClientFactory.instance().isDockerAvailable())) {
            // The run's shared backend is (or will be) S3Proxy: start a LocalStack of its own.
            return store.getOrComputeIfAbsent("localstack", k -> startLocalStack(), Backend.class);
        }
        return store.getOrComputeIfAbsent("backend", k -> start(mode), Backend.class);
    }

    private static Backend start(String mode) {
        Backend backend = switch (mode) {
            case "s3proxy" -> startS3Proxy();
            case "localstack" -> startLocalStack();
            case "auto" -> DockerClientFactory.instance().isDockerAvailable() ? startLocalStack() : startS3Proxy();
            default -> throw new IllegalArgumentException(
                    "-Ds3.backend must be auto, s3proxy or localstack. s3.backend=" + mode);
        };
        LOG.info("S3 test backend: {} (s3.backend={})", backend, mode);
        return backend;
    }

    private static Backend startLocalStack() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException("LocalStack was asked for but Docker is not available");
        }
        String image = System.getProperty("localstack.image", "localstack/localstack:4.4");
        LocalStackContainer container = new LocalStackContainer(DockerImageName.parse(image)).withServices("s3");
        container.start();
        Endpoint endpoint = new Endpoint("localstack", container.getEndpoint(), container.getAccessKey(),
                container.getSecretKey(), container.getRegion());
        return new Backend(endpoint, container::stop);
    }

    /**
     * Starts an embedded S3Proxy configured exactly as the one the tests get (see the class comment), outside
     * JUnit: for benchmarks. The caller owns it and must {@link Backend#close() close} it.
     */
    public static Backend startEmbeddedS3Proxy() {
        return startS3Proxy();
    }

    private static Backend startS3Proxy() {
        return startS3Proxy(0, null, UnaryOperator.identity());
    }

    /**
     * Starts the same S3Proxy as the tests get on {@code port} (0: any free port), with {@code outermost} wrapped
     * around its blob store (for example to count requests). {@code baseDir} null keeps the tests' in-memory
     * {@code transient-nio2} store (an in-heap file system capped at 4 GiB); a directory selects
     * {@code filesystem-nio2} there instead, for benchmarks that write more. The caller owns it.
     */
    static Backend startS3Proxy(int port, Path baseDir, UnaryOperator<BlobStore> outermost) {
        Properties properties = new Properties();
        properties.setProperty("jclouds.identity", ACCESS_KEY);
        properties.setProperty("jclouds.credential", SECRET_KEY);
        if (baseDir != null) {
            properties.setProperty("jclouds.filesystem.basedir", baseDir.toString());
        }
        String type = baseDir == null ? "transient-nio2" : "filesystem-nio2";
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(outermost.apply(new S3SemanticsBlobStore(
                        new AtomicConditionalBlobStore(BlobStores.create(type, properties)))))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .v4MaxChunkSize(128 << 20)
                .build();
        try {
            proxy.start(); // Jetty's start() returns once the connector is bound, or throws
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not start", e);
        }
        if (!"STARTED".equals(proxy.getState())) {
            throw new IllegalStateException("S3Proxy is " + proxy.getState() + " after start()");
        }
        Endpoint endpoint = new Endpoint("s3proxy", URI.create("http://127.0.0.1:" + proxy.getPort()), ACCESS_KEY,
                SECRET_KEY, REGION);
        return new Backend(endpoint, proxy::stop);
    }

}
