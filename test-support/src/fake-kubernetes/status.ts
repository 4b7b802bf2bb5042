/** Kubernetes `Status` bodies, shaped exactly as the API server sends them for each failure. */

/** One field error of an Invalid (422) status. */
export interface StatusCause {
  readonly reason: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueDuplicate" | "FieldValueNotSupported" | "FieldValueForbidden" | "FieldValueTooLong";
  readonly message: string;
  readonly field: string;
}

/** A metav1.Status object. */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** An API failure: thrown inside the fake, answered as its Status. */
export class FakeApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = "FakeApiError";
  }
}

/** What a Status names: the resource (plural, with group) and object name. */
export interface StatusTarget {
  readonly plural: string;
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
}

function failure(code: number, reason: string, message: string, details?: Status["details"]): FakeApiError {
  return new FakeApiError({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code });
}

function qualified(target: StatusTarget): string {
  return target.group ? `${target.plural}.${target.group}` : target.plural;
}

/** 404: `pods "x" not found`. */
export function notFound(target: StatusTarget & { name: string }): FakeApiError {
  return failure(404, "NotFound", `${qualified(target)} "${target.name}" not found`, {
    name: target.name,
    ...(target.group ? { group: target.group } : {}),
    kind: target.plural,
  });
}

/** 404 for a path the server does not serve. */
export function noSuchResource(): FakeApiError {
  return failure(404, "NotFound", "the server could not find the requested resource", {});
}

/** 409: `pods "x" already exists`. */
export function alreadyExists(target: StatusTarget & { name: string }): FakeApiError {
  return failure(409, "AlreadyExists", `${qualified(target)} "${target.name}" already exists`, {
    name: target.name,
    ...(target.group ? { group: target.group } : {}),
    kind: target.plural,
  });
}

/** 409: an update or precondition lost a race. */
export function conflict(target: StatusTarget & { name: string }, why: string): FakeApiError {
  return failure(409, "Conflict", `Operation cannot be fulfilled on ${qualified(target)} "${target.name}": ${why}`, {
    name: target.name,
    ...(target.group ? { group: target.group } : {}),
    kind: target.plural,
  });
}

/** 410: a resourceVersion older than the retained history. */
export function expired(requested: number, oldest: number): FakeApiError {
  return failure(410, "Expired", `too old resource version: ${requested} (${oldest})`);
}

/** 422: `Pod "x" is invalid: spec.containers[0].image: Required value`. */
export function invalid(target: StatusTarget, causes: StatusCause[]): FakeApiError {
  const describe = (cause: StatusCause) => `${cause.field}: ${cause.message}`;
  const list = causes.length === 1 ? describe(causes[0]!) : `[${causes.map(describe).join(", ")}]`;
  return failure(422, "Invalid", `${target.kind}${target.group ? `.${target.group}` : ""} "${target.name ?? ""}" is invalid: ${list}`, {
    name: target.name ?? "",
    ...(target.group ? { group: target.group } : {}),
    kind: target.kind,
    causes,
  });
}

/** 400 with a message. */
export function badRequest(message: string): FakeApiError {
  return failure(400, "BadRequest", message);
}

/** 401 without a valid bearer token. */
export function unauthorized(): FakeApiError {
  return failure(401, "Unauthorized", "Unauthorized");
}

/** 405 for a verb the fake does not serve on a resource. */
export function methodNotAllowed(method: string): FakeApiError {
  return failure(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${method})`);
}

/** A failure of any code, for injected faults (500 InternalError, 429 TooManyRequests, 503 ServiceUnavailable...). */
export function injected(code: number, reason?: string, message?: string, retryAfterSeconds?: number): FakeApiError {
  const defaults: Record<number, [string, string]> = {
    429: ["TooManyRequests", "the server has received too many requests and has asked us to try again later"],
    500: ["InternalError", "Internal error occurred: injected fault"],
    503: ["ServiceUnavailable", "the server is currently unable to handle the request"],
    504: ["Timeout", "the server was unable to return a response in the time allotted"],
  };
  const [defaultReason, defaultMessage] = defaults[code] ?? ["Unknown", `injected fault ${code}`];
  return failure(code, reason ?? defaultReason, message ?? defaultMessage, retryAfterSeconds !== undefined ? { retryAfterSeconds } : undefined);
}
