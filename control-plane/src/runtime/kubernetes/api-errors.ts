/**
 * What went wrong in a Kubernetes API call, read from the client's ApiException (whose body is
 * the API server's Status as text), a watch's HTTP error, or a network failure.
 */
import { ApiException } from "@kubernetes/client-node";

/** A failed Kubernetes API call: the HTTP code and Status reason, and whether a retry could help. */
export class KubernetesApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status; undefined when no response came (network error, timeout). */
    readonly code: number | undefined,
    /** The Status reason (NotFound, AlreadyExists, Conflict, Invalid, Expired, ...). */
    readonly reason: string | undefined,
    /** Whether the same call may succeed later (429, 5xx, network). */
    readonly retryable: boolean,
    /** How long the server asked us to wait (Retry-After), if it did. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KubernetesApiError";
  }
}

const RETRYABLE_CODES = new Set([408, 429, 500, 502, 503, 504]);

/** Reads any error thrown by a client call into a KubernetesApiError. */
export function toKubernetesApiError(error: unknown): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  if (error instanceof ApiException) {
    const status = parseStatus(error.body);
    const retryAfter = Number(error.headers?.["retry-after"]);
    return new KubernetesApiError(
      status.message ?? `Kubernetes API answered ${error.code}`,
      error.code,
      status.reason,
      RETRYABLE_CODES.has(error.code),
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
      { cause: error },
    );
  }
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === "number") {
    return new KubernetesApiError(`Kubernetes API answered ${statusCode}`, statusCode, undefined, RETRYABLE_CODES.has(statusCode), undefined, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isNetworkError(error)) {
    return new KubernetesApiError(`Kubernetes API unreachable: ${message}`, undefined, undefined, true, undefined, { cause: error });
  }
  // A client-side failure (bad kubeconfig, credentials plugin): retrying cannot help.
  return new KubernetesApiError(`Kubernetes API call failed: ${message}`, undefined, undefined, false, undefined, { cause: error });
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** Whether an error means no (complete) answer came: undici's "fetch failed", a timeout, a socket error. */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "TimeoutError" || (error instanceof TypeError && error.message === "fetch failed")) return true;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR_"));
}

/** Whether an error is the API server's answer with this HTTP code. */
export function hasCode(error: unknown, code: number): boolean {
  return toKubernetesApiError(error).code === code;
}

function parseStatus(body: unknown): { message?: string; reason?: string } {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return body ? { message: body } : {};
    }
  }
  if (typeof value !== "object" || value === null) return {};
  const { message, reason } = value as { message?: unknown; reason?: unknown };
  return {
    ...(typeof message === "string" ? { message } : {}),
    ...(typeof reason === "string" ? { reason } : {}),
  };
}
