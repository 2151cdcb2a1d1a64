package io.hyperfile.core.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.PreconditionFailedException;
import io.hyperfile.core.store.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ErrorsTest {

    private static S3Exception s3(int status, String code) {
        return (S3Exception) S3Exception.builder()
                .statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("msg for " + code)
                        .serviceName("S3").build())
                .requestId("REQ123")
                .extendedRequestId("EXT456")
                .message("msg for " + code)
                .build();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
        "404, NoSuchKey, NOT_FOUND",
        "404, NoSuchBucket, NOT_FOUND",
        "412, PreconditionFailed, PRECONDITION",
        "403, AccessDenied, AUTH",
        "403, InvalidAccessKeyId, AUTH",
        "403, SignatureDoesNotMatch, AUTH",
        "400, ExpiredToken, AUTH",
        "503, SlowDown, THROTTLED",
        "400, Throttling, THROTTLED",
        "400, RequestLimitExceeded, THROTTLED",
        "500, InternalError, TRANSIENT",
        "503, ServiceUnavailable, TRANSIENT",
        "400, RequestTimeout, TRANSIENT",
        "409, ConditionalRequestConflict, TRANSIENT",
        "409, OperationAborted, TRANSIENT",
        "416, InvalidRange, INVALID",
        // the code decides even when the status says otherwise
        "400, NoSuchKey, NOT_FOUND",
        "500, AccessDenied, AUTH",
        // unknown or missing codes fall back to the status
        "404, , NOT_FOUND",
        "412, , PRECONDITION",
        "416, , INVALID",
        "401, , AUTH",
        "403, SomethingNew, AUTH",
        "429, , THROTTLED",
        "503, , THROTTLED",
        "500, SomethingNew, TRANSIENT",
        "502, , TRANSIENT",
        "504, , TRANSIENT",
        "408, , TRANSIENT",
        "400, InvalidArgument, INVALID",
        "409, BucketNotEmpty, INVALID",
        "411, MissingContentLength, INVALID",
        "501, NotImplemented, UNKNOWN",
        "301, PermanentRedirect, UNKNOWN",
    })
    void classifiesByCodeThenStatus(int status, String code, FailureCategory expected) {
        assertEquals(expected, S3Errors.categorize(s3(status, code)));
        StorageException e = S3Errors.translate(s3(status, code), "GetObject", "seg/1");
        assertEquals(expected, e.category());
        assertEquals("seg/1", e.key());
    }

    @Test
    void notFoundIsObjectNotFoundWithEverythingInTheMessage() {
        StorageException e = S3Errors.translate(s3(404, "NoSuchKey"), "GetObject", "seg/000001");
        ObjectNotFoundException nf = assertInstanceOf(ObjectNotFoundException.class, e);
        assertEquals("GetObject seg/000001: HTTP 404 NoSuchKey (msg for NoSuchKey), requestId=REQ123, "
                + "extendedRequestId=EXT456", nf.getMessage());
        assertEquals("seg/000001", nf.key());
        assertInstanceOf(S3Exception.class, nf.getCause());
    }

    @Test
    void modeledSubclassesAreClassifiedToo() {
        NoSuchKeyException nsk = NoSuchKeyException.builder().statusCode(404)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("NoSuchKey").build()).build();
        assertInstanceOf(ObjectNotFoundException.class, S3Errors.translate(nsk, "GetObject", "k"));
    }

    @Test
    void preconditionAndRangeGetTheirOwnTypes() {
        StorageException pre = S3Errors.translate(s3(412, "PreconditionFailed"), "PutObject", "k");
        assertInstanceOf(PreconditionFailedException.class, pre);
        assertEquals(PreconditionFailedException.class, pre.getClass(), "create turns it into ObjectExists itself");

        StorageException range = S3Errors.translate(s3(416, "InvalidRange"), "GetObject", "k");
        assertInstanceOf(InvalidRangeException.class, range);
        assertEquals(FailureCategory.INVALID, range.category());
        assertTrue(range.getMessage().startsWith("GetObject k: HTTP 416 InvalidRange"), range.getMessage());

        assertInstanceOf(InvalidRangeException.class, S3Errors.translate(s3(416, null), "GetObject", "k"));
    }

    @Test
    void unwrapsCompletionAndExecutionExceptions() {
        S3Exception cause = s3(503, "SlowDown");
        Throwable wrapped = new CompletionException(new ExecutionException(new CompletionException(cause)));
        assertSame(cause, S3Errors.unwrap(wrapped));
        StorageException e = S3Errors.translate(wrapped, "PutObject", "a/b");
        assertEquals(FailureCategory.THROTTLED, e.category());
        assertSame(cause, e.getCause());
        assertTrue(e.isRetryable());
    }

    @Test
    void clientSideFailuresAreTransient() {
        assertEquals(FailureCategory.TRANSIENT,
                S3Errors.categorize(SdkClientException.create("Failed to send the request: connection reset")));
        assertEquals(FailureCategory.TRANSIENT,
                S3Errors.categorize(ApiCallTimeoutException.create(1000)));
        assertEquals(FailureCategory.TRANSIENT, S3Errors.categorize(new SocketTimeoutException("read timed out")));
        assertEquals(FailureCategory.TRANSIENT,
                S3Errors.categorize(new UncheckedIOException(new IOException("broken pipe"))));
        StorageException e = S3Errors.translate(new CompletionException(SdkClientException.create("reset")),
                "GetObject", "k");
        assertEquals("GetObject k: SdkClientException: reset", e.getMessage());
    }

    @Test
    void serviceExceptionWithoutAwsDetailsUsesTheStatus() {
        SdkServiceException plain = SdkServiceException.builder().statusCode(500).message("boom").build();
        assertEquals(FailureCategory.TRANSIENT, S3Errors.categorize(plain));
        assertEquals("ListObjectsV2: HTTP 500", S3Errors.translate(plain, "ListObjectsV2", null).getMessage());
    }

    @Test
    void anythingElseIsUnknown() {
        StorageException e = S3Errors.translate(new IllegalStateException("odd"), "HeadObject", "k");
        assertEquals(FailureCategory.UNKNOWN, e.category());
        assertEquals("HeadObject k: IllegalStateException: odd", e.getMessage());
        assertNull(S3Errors.translate(new NullPointerException(), null, null).key());
    }

    @Test
    void storageExceptionsPassThrough() {
        ObjectExistsException exists = new ObjectExistsException("k");
        assertSame(exists, S3Errors.translate(new CompletionException(exists), "PutObject", "k"));
        assertEquals(FailureCategory.PRECONDITION, S3Errors.categorize(exists));
    }
}
