/**
 * The API server's validation of what the fake serves, with its field paths and messages, so
 * a manifest the fake accepts is one a cluster accepts (for the fields the validators know).
 */
import type { StatusCause } from "./status.js";
import type { KubeObject } from "./types.js";

/** Collects field errors. */
export class Causes {
  readonly list: StatusCause[] = [];
  /** A required field is missing. */
  required(field: string): void {
    this.list.push({ reason: "FieldValueRequired", message: "Required value", field });
  }
  /** A field has a bad value. */
  invalid(field: string, value: unknown, why: string): void {
    this.list.push({ reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field });
  }
  /** A value outside an enumeration. */
  notSupported(field: string, value: unknown, allowed: readonly string[]): void {
    const quoted = allowed.map((item) => `"${item}"`).join(", ");
    this.list.push({ reason: "FieldValueNotSupported", message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${quoted}`, field });
  }
  /** A duplicate in a list keyed by name. */
  duplicate(field: string, value: unknown): void {
    this.list.push({ reason: "FieldValueDuplicate", message: `Duplicate value: ${JSON.stringify(value)}`, field });
  }
  /** A field that may not be set or changed. */
  forbidden(field: string, why: string): void {
    this.list.push({ reason: "FieldValueForbidden", message: `Forbidden: ${why}`, field });
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Checks a DNS-1123 subdomain (object names). */
export function checkSubdomain(causes: Causes, field: string, value: unknown): void {
  if (typeof value !== "string" || value === "") return causes.required(field);
  if (value.length > 253) causes.invalid(field, value, "must be no more than 253 characters");
  else if (!DNS_SUBDOMAIN.test(value)) causes.invalid(field, value, SUBDOMAIN_MESSAGE);
}

/** Checks a DNS-1123 label (container and volume names). */
export function checkLabel(causes: Causes, field: string, value: unknown): void {
  if (typeof value !== "string" || value === "") return causes.required(field);
  if (value.length > 63) causes.invalid(field, value, "must be no more than 63 characters");
  else if (!DNS_LABEL.test(value)) causes.invalid(field, value, LABEL_MESSAGE);
}

/** Checks a resource quantity. */
export function checkQuantity(causes: Causes, field: string, value: unknown): void {
  if (typeof value !== "string" && typeof value !== "number") return causes.required(field);
  if (!QUANTITY.test(String(value))) causes.invalid(field, value, "must match the regex '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

/** Checks metadata common to every object: name, labels, annotations, owner references. */
export function checkMetadata(causes: Causes, object: KubeObject): void {
  checkSubdomain(causes, "metadata.name", object.metadata.name);
  for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
    checkLabelKey(causes, "metadata.labels", key);
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.invalid("metadata.labels", value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
  }
  for (const key of Object.keys(object.metadata.annotations ?? {})) checkLabelKey(causes, "metadata.annotations", key);
  (object.metadata.ownerReferences ?? []).forEach((owner, index) => {
    const field = `metadata.ownerReferences[${index}]`;
    if (!owner.apiVersion) causes.invalid(`${field}.apiVersion`, owner.apiVersion, "version must not be empty");
    if (!owner.kind) causes.invalid(`${field}.kind`, owner.kind, "kind must not be empty");
    if (!owner.name) causes.invalid(`${field}.name`, owner.name, "name must not be empty");
    if (!owner.uid) causes.invalid(`${field}.uid`, owner.uid, "uid must not be empty");
  });
}

function checkLabelKey(causes: Causes, field: string, key: string): void {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) causes.invalid(field, key, `prefix part ${SUBDOMAIN_MESSAGE}`);
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    causes.invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
}
