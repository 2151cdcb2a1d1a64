package io.hyperfile.cli;

import io.hyperfile.core.crypto.KeySource;
import io.hyperfile.core.crypto.KmsKeySource;
import io.hyperfile.core.crypto.LocalKeySource;
import java.net.URI;
import java.nio.file.Path;

/** Key sources the CLI's options name that need more than the option's value. */
final class KeySources {
    private KeySources() {
    }

    /**
     * The key at most one of a file, a variable name or a KMS key id names (null: none), the KMS one reached through
     * {@code store}'s region, endpoint and profile; {@link IllegalArgumentException} with {@code tooMany} if more
     * than one is given.
     */
    static KeySource of(Path file, String env, String kmsKeyId, StoreOptions store, String tooMany) {
        int given = (file != null ? 1 : 0) + (env != null ? 1 : 0) + (kmsKeyId != null ? 1 : 0);
        if (given > 1) {
            throw new IllegalArgumentException(tooMany);
        }
        if (file != null) {
            return LocalKeySource.fromFile(file);
        }
        if (env != null) {
            return LocalKeySource.fromEnv(env, System.getenv(env));
        }
        return kmsKeyId == null ? null : kms(kmsKeyId, store.region, store.kmsEndpoint, store.profile);
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
