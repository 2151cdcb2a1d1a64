package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An S3 store configured by file and environment only, through the shaded jar: the bucket, addressing, region,
 * static credentials and client tuning come from {@code --config}, the endpoint from {@code AWS_ENDPOINT_URL_S3};
 * nothing is on the command line and no AWS credential variable is set.
 */
class ConfigS3IT {
    @RegisterExtension
    static final EmbeddedS3Proxy S3 = new EmbeddedS3Proxy("config");

    @TempDir
    Path dir;

    private Path conf(String secret) throws Exception {
        List<String> store = S3.storeArgs(); // --store s3://BUCKET/volumes --endpoint URL --path-style
        Map<String, String> aws = S3.environment();
        Path conf = dir.resolve("hyperfile-" + secret.length() + ".conf");
        Files.writeString(conf, String.join("\n",
                "store = " + store.get(1),
                "path-style = true",
                "region = " + aws.get("AWS_REGION"),
                "s3.access-key-id = " + aws.get("AWS_ACCESS_KEY_ID"),
                "s3.secret-access-key = " + secret,
                "s3.max-concurrency = 4",
                "s3.connect-timeout-millis = 5000",
                "log-level = warn",
                ""));
        return conf;
    }

    private static Map<String, String> endpointOnly() {
        return Map.of("AWS_ENDPOINT_URL_S3", S3.storeArgs().get(3));
    }

    @Test
    void aStoreConfiguredByFileAndEnvironmentWorks() throws Exception {
        Path conf = conf(S3.environment().get("AWS_SECRET_ACCESS_KEY"));
        Commands.hyperfile(dir, endpointOnly(), "volume", "create", "disk0", "--size", "1G", "--config", conf.toString())
                .orThrow();
        Commands.Result list = Commands.hyperfile(dir, endpointOnly(), "volume", "list", "--config", conf.toString()).orThrow();
        assertTrue(list.output().startsWith("disk0"), list.toString());
    }

    @Test
    void theCredentialsAreTheFilesOwn() throws Exception {
        Commands.Result r = Commands.hyperfile(dir, endpointOnly(), "volume", "list", "--config", conf("not-the-secret").toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.output().contains("SignatureDoesNotMatch") || r.output().contains("AccessDenied")
                || r.output().contains("403"), "refused for its credentials: " + r);
    }
}
