/**
 * The API token: in memory and in this tab's sessionStorage (so a reload keeps the login and a
 * closed tab forgets it), never in a cookie a script or another site could use.
 */
const key = "raworc.token";
let current: string | null = sessionStorage.getItem(key);
const listeners = new Set<() => void>();

/** The token, or null when logged out. */
export function getToken(): string | null {
  return current;
}

/** Stores the token (null logs out) and tells the subscribers. */
export function setToken(token: string | null): void {
  current = token;
  if (token) sessionStorage.setItem(key, token);
  else sessionStorage.removeItem(key);
  for (const listener of listeners) listener();
}

/** Calls `listener` whenever the token changes; returns the unsubscribe function. */
export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
