/** Finds RPC methods in the generated registry by the names people type, so `raworc api` reaches every service. */
import type { DescMethod, DescService, Registry } from "@bufbuild/protobuf";
import { registry as protoRegistry } from "@raworc/proto";
import { UsageError } from "./errors.js";

/** Every method of every service in the registry, sorted by full name. */
export function listMethods(registry: Registry = protoRegistry): DescMethod[] {
  const services: DescService[] = [];
  for (const type of registry) if (type.kind === "service") services.push(type);
  return services.flatMap((s) => s.methods).sort((a, b) => fullMethodName(a).localeCompare(fullMethodName(b)));
}

/** A method's canonical name, e.g. `raworc.v1.AuthService/WhoAmI`. */
export function fullMethodName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** A method's name without the package, e.g. `AuthService/WhoAmI`. */
export function shortMethodName(method: DescMethod): string {
  return `${method.parent.name}/${method.name}`;
}

/**
 * Finds a method by `pkg.Service/Method`, `Service/Method` or `Service.Method` (exact case first,
 * then case-insensitive); throws a UsageError listing close matches when none or several fit.
 */
export function findMethod(name: string, registry: Registry = protoRegistry): DescMethod {
  const split = splitName(name.trim());
  const methods = listMethods(registry);
  if (split) {
    for (const sameCase of [true, false]) {
      const eq = (a: string, b: string) => (sameCase ? a === b : a.toLowerCase() === b.toLowerCase());
      const hits = methods.filter(
        (m) => eq(m.name, split.method) && (eq(m.parent.typeName, split.service) || eq(m.parent.name, split.service)),
      );
      if (hits.length === 1 && hits[0]) return hits[0];
      if (hits.length > 1) {
        throw new UsageError(`"${name}" is ambiguous; use one of:\n${hits.map((m) => `  ${fullMethodName(m)}`).join("\n")}`);
      }
    }
  }
  const close = closeMatches(name, methods);
  const hint = close.length ? `; did you mean:\n${close.map((m) => `  ${fullMethodName(m)}`).join("\n")}` : " (list them with: raworc api --list)";
  throw new UsageError(`unknown method "${name}"${hint}`);
}

/** Splits at the last "/" or, failing that, the last "." into service and method. */
function splitName(name: string): { service: string; method: string } | undefined {
  const at = name.includes("/") ? name.lastIndexOf("/") : name.lastIndexOf(".");
  if (at <= 0 || at === name.length - 1) return undefined;
  return { service: name.slice(0, at), method: name.slice(at + 1) };
}

/** Up to five methods whose names contain the query's method part or are a few edits away from it. */
function closeMatches(query: string, methods: readonly DescMethod[]): DescMethod[] {
  const q = query.toLowerCase();
  const methodPart = (splitName(query)?.method ?? query).toLowerCase();
  const scored = methods.map((m) => {
    const short = shortMethodName(m).toLowerCase();
    const name = m.name.toLowerCase();
    const contains = methodPart.length >= 3 && (name.includes(methodPart) || methodPart.includes(name));
    const distance = Math.min(editDistance(q, short), editDistance(q, fullMethodName(m).toLowerCase()), editDistance(methodPart, name));
    return { m, score: contains ? 0 : distance };
  });
  const limit = Math.max(2, Math.floor(methodPart.length / 3));
  return scored
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score)
    .slice(0, 5)
    .map((s) => s.m);
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
