/**
 * The one place where failures become gRPC codes (CONVENTIONS 4): deliberate ConnectErrors
 * pass through; database failures map to their meaning; anything else is logged with its
 * cause and reaches the client as INTERNAL with only the request id.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  ConnectionException,
  DeadlockException,
  LockWaitTimeoutException,
  NotFoundError,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from "@mikro-orm/core";
import { kRequestId } from "../context.js";
import { DependencyUnavailableError } from "../errors.js";
import type { Logger } from "../logger.js";

// Node socket errors and PostgreSQL SQLSTATEs that mean "the database is not there right now".
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08001",
  "08003",
  "08006",
  "53300", // too_many_connections
]);

function isUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  if (error instanceof ConnectionException || error instanceof DependencyUnavailableError) return true;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === "string" && unavailableCodes.has(code)) return true;
  if (typeof message === "string" && /Connection terminated|connection is closed|timeout exceeded when trying to connect/i.test(message)) {
    return true;
  }
  return isUnavailable(cause, depth + 1);
}

/** Translates any error into a ConnectError that is safe to show a client. */
export function toConnectError(error: unknown, requestId: string, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof UniqueConstraintViolationException) {
    return new ConnectError("an object with that name already exists", Code.AlreadyExists);
  }
  if (error instanceof NotFoundError) return new ConnectError("not found", Code.NotFound);
  if (error instanceof OptimisticLockError) {
    return new ConnectError("the object was modified concurrently; get it again and retry", Code.Aborted);
  }
  if (error instanceof DeadlockException || error instanceof LockWaitTimeoutException) {
    return new ConnectError("conflicting concurrent change; retry", Code.Aborted);
  }
  if (isUnavailable(error)) {
    logger.warn({ err: error, requestId }, "database unavailable");
    return new ConnectError("the database is unavailable; retry later", Code.Unavailable);
  }
  logger.error({ err: error, requestId }, "unexpected error");
  return new ConnectError(`internal error (request id ${requestId})`, Code.Internal);
}

async function* mapStream<T>(stream: AsyncIterable<T>, map: (e: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (error) {
    throw map(error);
  }
}

// Messages quote what the client sent (a name, a path); over gRPC they travel in a trailer, and
// one past HTTP/2's header limits resets the stream, which the client sees as INTERNAL.
const MAX_MESSAGE_CHARS = 1024;

/** `error` with its message cut to MAX_MESSAGE_CHARS. */
function bounded(error: ConnectError): ConnectError {
  if (error.rawMessage.length <= MAX_MESSAGE_CHARS) return error;
  return new ConnectError(`${error.rawMessage.slice(0, MAX_MESSAGE_CHARS)}…`, error.code, error.metadata, error.details.filter((d) => "desc" in d), error.cause);
}

/** The error-mapping interceptor; place it outside every interceptor that can fail. */
export function errorMappingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const map = (e: unknown) => bounded(toConnectError(e, req.contextValues.get(kRequestId), logger));
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mapStream(res.message, map) } : res;
    } catch (error) {
      throw map(error);
    }
  };
}
