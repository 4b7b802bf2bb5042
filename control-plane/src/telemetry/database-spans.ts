/**
 * A client span around every PostgreSQL query made while a span is active (the RPC or the
 * dispatcher work it belongs to), by wrapping pg's Client.query, which MikroORM and the
 * notifier both go through. Only installed while tracing is on; queries outside any span get
 * none, so background polling does not flood the trace store.
 */
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import pg from "pg";

type Query = (...args: unknown[]) => unknown;

/** The statement's first words, as the span name (`select`, `insert into sessions`...). */
function operation(text: string): string {
  return text.trim().split(/\s+/, 3).join(" ").slice(0, 60).toLowerCase() || "query";
}

/** The pg Client classes in use: ours, and the copy MikroORM may carry in its own node_modules. */
function clientClasses(): { prototype: unknown }[] {
  const classes = new Set<{ prototype: unknown }>([pg.Client]);
  try {
    const orm = createRequire(fileURLToPath(import.meta.resolve("@mikro-orm/postgresql")));
    classes.add((orm("pg") as typeof pg).Client);
  } catch {
    // No separate copy: ours is the one.
  }
  return [...classes];
}

/** Wraps Client.query of every pg copy in use; returns the function that puts them back. */
export function installDatabaseSpans(): () => void {
  const undo = clientClasses().map((cls) => wrap(cls.prototype as { query: Query }));
  return () => {
    for (const restore of undo) restore();
  };
}

function wrap(prototype: { query: Query }): () => void {
  const original = prototype.query;
  const tracer = trace.getTracer("raworc-database");
  prototype.query = function (this: unknown, ...args: unknown[]): unknown {
    const [first] = args;
    const text = typeof first === "string" ? first : typeof (first as { text?: unknown })?.text === "string" ? (first as { text: string }).text : undefined;
    const callback = typeof args.at(-1) === "function";
    // Submittables (cursors, streams) and callback calls keep their own shape: passed through untouched.
    if (text === undefined || callback || typeof (first as { submit?: unknown })?.submit === "function" || !trace.getActiveSpan()) return original.apply(this, args);
    const span = tracer.startSpan(`db ${operation(text)}`, {
      kind: SpanKind.CLIENT,
      attributes: { "db.system.name": "postgresql", "db.query.text": text.length > 2048 ? `${text.slice(0, 2048)}…` : text },
    });
    const result = original.apply(this, args) as Promise<unknown>;
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        span.end();
        throw error;
      },
    );
  };
  return () => {
    prototype.query = original;
  };
}
