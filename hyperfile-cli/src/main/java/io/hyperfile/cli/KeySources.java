package io.hyperfile.cli;

import io.hyperfile.core.crypto.KeySource;
import io.hyperfile.core.crypto.KmsKeySource;
import java.net.URI;

/** Key sources the CLI's options name that need more than the option's value. */
final class KeySources {
    private KeySources() {
    }

    /**
     * An AWS KMS key: {@code endpoint} (else {@code $AWS_ENDPOINT_URL_KMS}, else AWS's); the region of a key ARN,
     * else the S3 options' region, else the AWS chain; the S3 options' profile for credentials.
     */
    static KeySource kms(String keyId, String region, String endpoint, String profile) {
        String url = endpoint != null ? endpoint : System.getenv("AWS_ENDPOINT_URL_KMS");
        URI uri = null;
        if (url != null && !url.isBlank()) {
            try {
                uri = URI.create(url.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid --kms-endpoint '" + url + "': " + e.getMessage());
            }
        }
        return KmsKeySource.create(keyId, keyId.startsWith("arn:") ? null : region, uri, profile);
    }
}
