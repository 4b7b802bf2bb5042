/** The object a response must carry, or a clear error when a server leaves it out. */

/** Returns `value`, or throws naming what the server's response lacked. */
export function returned<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the server's response carried no ${what}`);
  return value;
}
