package io.hyperfile.core.store.s3;

import java.util.concurrent.ExecutorService;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3CrtAsyncClientBuilder;

/**
 * Builds the CRT {@link S3AsyncClient} that {@link S3ObjectStore} uses, from an {@link S3StoreConfig}: endpoint,
 * region, credentials (static, a named profile or the default chain), concurrency, stall detection, the single-PUT threshold and the checksum mode. Stateless.
 */
final class S3Clients {
    private S3Clients() {
    }

    /** A CRT client whose futures complete on {@code completionExecutor}. */
    static S3AsyncClient crt(S3StoreConfig config, ExecutorService completionExecutor) {
        S3CrtAsyncClientBuilder b = S3AsyncClient.crtBuilder()
                .futureCompletionExecutor(completionExecutor)
                // The CRT client reads numRetries(0) as "its default" (measured: 3 retries); 1 is the fewest it allows.
                .retryConfiguration(r -> r.numRetries(1))
                .forcePathStyle(config.forcePathStyle());
        if (config.endpoint() != null) {
            b.endpointOverride(config.endpoint());
        }
        Region region = region(config);
        if (region != null) {
            b.region(region);
        }
        S3StoreConfig.Credentials c = config.credentials();
        if (c != null) {
            b.credentialsProvider(StaticCredentialsProvider.create(c.sessionToken() == null
                    ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
                    : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken())));
        } else if (config.profile() != null) {
            b.credentialsProvider(ProfileCredentialsProvider.create(config.profile()));
        }
        if (config.maxConcurrency() != null) {
            b.maxConcurrency(config.maxConcurrency());
        }
        if (config.targetThroughputGbps() != null) {
            b.targetThroughputInGbps(config.targetThroughputGbps());
        }
        if (config.minimumPartSizeBytes() != null) {
            b.minimumPartSizeInBytes(config.minimumPartSizeBytes());
        }
        // Without health monitoring the CRT client waits forever on a connection that stalls (no bytes, no reset).
        b.httpConfiguration(http -> {
            http.connectionTimeout(config.connectTimeout());
            if (config.minThroughputBytesPerSecond() > 0) {
                http.connectionHealthConfiguration(health -> health
                        .minimumThroughputInBps(config.minThroughputBytesPerSecond())
                        .minimumThroughputTimeout(config.minThroughputTimeout()));
            }
        });
        // Segments go up in one PUT by default (they are 8-24 MiB): a conditional create is then one request, which
        // every S3-compatible server with If-None-Match supports, and no multipart upload is ever left behind.
        b.thresholdInBytes(config.multipartThresholdBytes() != null ? config.multipartThresholdBytes()
                : S3StoreConfig.DEFAULT_MULTIPART_THRESHOLD_BYTES);
        switch (config.checksumMode()) {
            case UPLOADS -> b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            case WHEN_REQUIRED -> b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            case SDK_DEFAULT -> {
                // the SDK's own defaults
            }
        }
        return b.build();
    }

    /**
     * The region: the configured one; else, with a profile and no {@code AWS_REGION} in the environment (which the
     * AWS CLI lets win over a profile), the profile's {@code region} if it has one; else null for the SDK's chain.
     */
    static Region region(S3StoreConfig config) {
        if (config.region() != null) {
            return Region.of(config.region());
        }
        if (config.profile() == null || System.getenv("AWS_REGION") != null) {
            return null;
        }
        try {
            return new AwsProfileRegionProvider(null, config.profile()).getRegion();
        } catch (SdkClientException e) {
            return null; // no region in that profile: the SDK's chain decides
        }
    }
}
