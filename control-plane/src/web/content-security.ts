/**
 * The Content-Security-Policy of each page. The console shows agent and tool output, which is
 * hostile: besides rendering it as text, the policy lets only the console's own files run, and
 * Trusted Types make any HTML-parsing sink (innerHTML and friends) throw instead of parse.
 */

/** The console's policy: nothing inline, nothing from elsewhere, no HTML sinks. */
export const consolePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/**
 * Swagger UI's policy: its bundle styles elements inline and renders descriptions as Markdown
 * (from our own document, not from agents), so inline styles are allowed there; scripts and
 * connections stay same-origin, so "Try it out" reaches only this server.
 */
export const docsPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
