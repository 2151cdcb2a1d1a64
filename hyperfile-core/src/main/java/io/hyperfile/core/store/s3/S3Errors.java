package io.hyperfile.core.store.s3;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.InvalidRangeException;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.PreconditionFailedException;
import io.hyperfile.core.store.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Translates AWS SDK failures into {@link StorageException}s. The only class that looks inside SDK exceptions.
 *
 * <p>Order of the checks: unwrap {@link CompletionException}/{@link ExecutionException}; then the S3 error code;
 * then the HTTP status; then the exception type ({@link SdkClientException} and {@link IOException} are
 * client-side failures such as connection resets and timeouts, so {@link FailureCategory#TRANSIENT}). What is
 * left is {@link FailureCategory#UNKNOWN}. A {@link StorageException} passes through unchanged.
 *
 * <p>Messages carry the operation, key, HTTP status, error code and request ids, for example
 * {@code GetObject seg/000001: HTTP 404 NoSuchKey (The specified key does not exist.), requestId=..}.
 *
 * <p>Stateless and thread-safe.
 */
public final class S3Errors {

    private static final Set<String> NOT_FOUND = Set.of("NoSuchKey", "NoSuchBucket", "NotFound");
    private static final Set<String> PRECONDITION = Set.of("PreconditionFailed");
    private static final Set<String> INVALID_RANGE = Set.of("InvalidRange");
    private static final Set<String> AUTH = Set.of("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
            "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AccountProblem", "AllAccessDisabled");
    private static final Set<String> THROTTLED = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestLimitExceeded", "TooManyRequestsException");
    /**
     * Server-side failures that pass. ConditionalRequestConflict (409) and OperationAborted (409) mean a concurrent
     * conditional operation on the same key was in progress: AWS documents both as "try again".
     */
    private static final Set<String> TRANSIENT = Set.of("InternalError", "ServiceUnavailable", "RequestTimeout",
            "ConditionalRequestConflict", "OperationAborted");

    private S3Errors() {
    }

    /** Strips {@link CompletionException} and {@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * The failure as a {@link StorageException}: {@link ObjectNotFoundException},
     * {@link PreconditionFailedException} or {@link InvalidRangeException} where those fit, otherwise a plain
     * {@link StorageException} with the {@link #categorize category}.
     *
     * @param operation the S3 operation, e.g. {@code GetObject}
     * @param key the store's key (relative to the configured prefix), or null for multi-key operations
     */
    public static StorageException translate(Throwable failure, String operation, String key) {
        Throwable e = unwrap(failure);
        if (e instanceof StorageException se) {
            return se;
        }
        String message = message(e, operation, key);
        if (isInvalidRange(e)) {
            return new InvalidRangeException(key, message, e);
        }
        FailureCategory category = categorize(e);
        return switch (category) {
            case NOT_FOUND -> new ObjectNotFoundException(key, message, e);
            case PRECONDITION -> new PreconditionFailedException(key, message, e);
            default -> new StorageException(key, category, message, e);
        };
    }

    /** The category of a failure, after unwrapping; see the class comment for the order of the checks. */
    public static FailureCategory categorize(Throwable failure) {
        Throwable e = unwrap(failure);
        if (e instanceof StorageException se) {
            return se.category();
        }
        if (e instanceof SdkServiceException service) {
            String code = errorCode(service);
            if (code != null) {
                FailureCategory byCode = byErrorCode(code);
                if (byCode != null) {
                    return byCode;
                }
            }
            FailureCategory byStatus = byStatus(service.statusCode());
            if (byStatus != null) {
                return byStatus;
            }
            return FailureCategory.UNKNOWN;
        }
        if (e instanceof SdkClientException || e instanceof IOException || e instanceof UncheckedIOException) {
            return FailureCategory.TRANSIENT;
        }
        return FailureCategory.UNKNOWN;
    }

    private static boolean isInvalidRange(Throwable e) {
        if (!(e instanceof SdkServiceException service)) {
            return false;
        }
        String code = errorCode(service);
        if (code != null && INVALID_RANGE.contains(code)) {
            return true;
        }
        return (code == null || byErrorCode(code) == null) && service.statusCode() == 416;
    }

    private static FailureCategory byErrorCode(String code) {
        if (NOT_FOUND.contains(code)) {
            return FailureCategory.NOT_FOUND;
        }
        if (PRECONDITION.contains(code)) {
            return FailureCategory.PRECONDITION;
        }
        if (INVALID_RANGE.contains(code)) {
            return FailureCategory.INVALID;
        }
        if (AUTH.contains(code)) {
            return FailureCategory.AUTH;
        }
        if (THROTTLED.contains(code)) {
            return FailureCategory.THROTTLED;
        }
        if (TRANSIENT.contains(code)) {
            return FailureCategory.TRANSIENT;
        }
        return null;
    }

    private static FailureCategory byStatus(int status) {
        return switch (status) {
            case 404 -> FailureCategory.NOT_FOUND;
            case 412 -> FailureCategory.PRECONDITION;
            case 416 -> FailureCategory.INVALID;
            case 401, 403 -> FailureCategory.AUTH;
            case 429, 503 -> FailureCategory.THROTTLED;
            case 408, 500, 502, 504 -> FailureCategory.TRANSIENT;
            default -> status >= 400 && status < 500 ? FailureCategory.INVALID : null;
        };
    }

    private static String errorCode(SdkServiceException e) {
        if (e instanceof AwsServiceException aws) {
            AwsErrorDetails details = aws.awsErrorDetails();
            if (details != null && details.errorCode() != null && !details.errorCode().isBlank()) {
                return details.errorCode();
            }
        }
        return null;
    }

    private static String message(Throwable e, String operation, String key) {
        StringBuilder sb = new StringBuilder();
        sb.append(operation == null ? "S3 request" : operation);
        if (key != null) {
            sb.append(' ').append(key);
        }
        sb.append(": ");
        if (e instanceof SdkServiceException service) {
            sb.append("HTTP ").append(service.statusCode());
            String code = errorCode(service);
            if (code != null) {
                sb.append(' ').append(code);
            }
            String detail = null;
            if (service instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
                detail = aws.awsErrorDetails().errorMessage();
            }
            if (detail != null && !detail.isBlank()) {
                sb.append(" (").append(detail).append(')');
            }
            if (service.requestId() != null) {
                sb.append(", requestId=").append(service.requestId());
            }
            if (service.extendedRequestId() != null) {
                sb.append(", extendedRequestId=").append(service.extendedRequestId());
            }
        } else {
            sb.append(e.getClass().getSimpleName());
            if (e.getMessage() != null) {
                sb.append(": ").append(e.getMessage());
            }
        }
        return sb.toString();
    }
}
