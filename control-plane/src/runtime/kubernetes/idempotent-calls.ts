/**
 * The three idempotent shapes of an API call the runtime makes, each retried on 429/5xx: a read
 * where 404 means absent, a create where 409 AlreadyExists means done, a delete where 404
 * means done.
 */
import { hasCode, toKubernetesApiError } from "./api-errors.js";
import type { RetryPolicy } from "./options.js";
import { withRetry } from "./retry.js";

/** Runs API calls with one retry policy and one cancellation signal. */
export class ApiCaller {
  constructor(
    private readonly retry: RetryPolicy,
    private readonly signal: AbortSignal,
  ) {}

  /** A call retried on transient failures. */
  call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return withRetry(what, this.retry, call, this.signal);
  }

  /** A read: undefined when the object does not exist. */
  async read<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, call);
    } catch (error) {
      if (hasCode(error, 404)) return undefined;
      throw error;
    }
  }

  /** A create: "exists" when an object of that name already exists (ours, from an earlier try). */
  async create(what: string, call: () => Promise<unknown>): Promise<"created" | "exists"> {
    try {
      await this.call(what, call);
      return "created";
    } catch (error) {
      const apiError = toKubernetesApiError(error);
      if (apiError.code === 409 && apiError.reason !== "Conflict") return "exists";
      throw error;
    }
  }

  /** A delete: false when there was nothing to delete (404, or a failed uid precondition: another object now). */
  async delete(what: string, call: () => Promise<unknown>, options: { preconditioned?: boolean } = {}): Promise<boolean> {
    try {
      await this.call(what, call);
      return true;
    } catch (error) {
      if (hasCode(error, 404) || (options.preconditioned && hasCode(error, 409))) return false;
      throw error;
    }
  }
}
