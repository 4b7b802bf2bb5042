/**
 * The control plane's errors, split by who is at fault (CONVENTIONS 6). Handlers throw
 * ConnectErrors with deliberate codes; these classes are for failures deeper down that the
 * error interceptor translates in one place.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** A failure of something the control plane depends on (the database); retrying may help. */
export class DependencyUnavailableError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = true;
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
    this.name = "DependencyUnavailableError";
  }
}

/** A configuration error found at start; the message is one line meant for the operator. */
export class ConfigurationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfigurationError";
  }
}

/** Shorthand for a NOT_FOUND error naming the missing object. */
export function notFound(kind: string, namespace: string, name: string): ConnectError {
  const where = namespace ? `${namespace}/${name}` : name;
  return new ConnectError(`${kind} "${where}" not found`, Code.NotFound);
}

/** Shorthand for the ABORTED error of a stale resource_version. */
export function staleVersion(kind: string, name: string): ConnectError {
  return new ConnectError(
    `${kind} "${name}" was modified since resource_version was read; get it again and retry`,
    Code.Aborted,
  );
}
