/** Reads the token out of an `authorization: Bearer <token>` header, with an error that says what was expected. */
import { Code, ConnectError } from "@connectrpc/connect";

// The scheme is case-insensitive (RFC 9110 §11.1); the token is a JWT's base64url characters.
const bearerPattern = /^bearer +([A-Za-z0-9._~+/=-]+)$/i;

/** The token of an authorization header value; UNAUTHENTICATED when the header is absent or not "Bearer <token>". */
export function bearerToken(authorization: string | null): string {
  if (!authorization) throw new ConnectError("missing bearer token: send the header authorization: Bearer <token>", Code.Unauthenticated);
  const match = bearerPattern.exec(authorization.trim());
  if (!match) throw new ConnectError("malformed authorization header: expected 'Bearer <token>'", Code.Unauthenticated);
  return match[1]!;
}
