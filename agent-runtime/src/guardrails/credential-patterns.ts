/**
 * Well-known credential formats that OutputGuardrails.redact_secrets redacts, beyond the values
 * of the session's own secrets (which are always redacted): cloud, VCS, chat and payment API
 * keys, JWTs, bearer tokens, private key blocks and key=value assignments of secrets. Keep the
 * list to formats with a distinctive shape, so ordinary text is not redacted by accident.
 */

/** One credential format: a name for decisions and a global pattern. */
export interface CredentialFormat {
  readonly name: string;
  readonly pattern: RegExp;
}

/** The formats, most specific first. */
export const credentialFormats: readonly CredentialFormat[] = [
  { name: "private key block", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g },
  { name: "AWS access key id", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  { name: "GitHub token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { name: "Anthropic or OpenAI API key", pattern: /\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { name: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { name: "Stripe key", pattern: /\b[rsp]k_(?:live|test)_[0-9A-Za-z]{16,}\b/g },
  { name: "JSON web token", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: "bearer token", pattern: /\b[Bb]earer\s+[A-Za-z0-9._~+/-]{20,}=*/g },
  {
    name: "secret assignment",
    pattern: /\b(?:password|passwd|secret|api[_-]?key|access[_-]?key|auth[_-]?token|client[_-]?secret)\b["']?\s*[:=]\s*["']?[^\s"',;]{8,}/gi,
  },
];
