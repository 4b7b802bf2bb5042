/**
 * Readers of a model's tool arguments: they accept exactly the declared types and throw
 * ToolInputError with a message the model can act on.
 */
import { ToolInputError } from "../errors.js";

/** The arguments as an object, or ToolInputError. */
export function argsObject(args: unknown): Record<string, unknown> {
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new ToolInputError("arguments must be a JSON object");
  }
  return args as Record<string, unknown>;
}

/** A required string argument. */
export function requiredString(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== "string") throw new ToolInputError(`"${name}" must be a string`);
  return value;
}

/** An optional string argument. */
export function optionalString(args: Record<string, unknown>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ToolInputError(`"${name}" must be a string`);
  return value;
}

/** An optional boolean argument. */
export function optionalBoolean(args: Record<string, unknown>, name: string): boolean | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new ToolInputError(`"${name}" must be a boolean`);
  return value;
}

/** An optional integer argument within [min, max]. */
export function optionalInt(
  args: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ToolInputError(`"${name}" must be an integer from ${min} to ${max}`);
  }
  return value;
}
