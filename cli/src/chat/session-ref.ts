/** Which session a chat is in: `name` or `namespace/name`, with `-n` as every command takes it. */
import { UsageError } from "../errors.js";
import type { ObjectRefText } from "../objects/kind.js";
import { sessionKind } from "../objects/kinds/session.js";
import { namespaceFor } from "../commands/object-commands.js";

/** Parses `name` or `ns/name`; `-n` must agree with a namespace given in the ref. */
export function parseSessionRef(text: string, namespaceFlag: string | undefined): ObjectRefText {
  const parts = text.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) throw new UsageError(`invalid session "${text}": give NAME or NAMESPACE/NAME`);
  if (parts.length === 1) return { namespace: namespaceFor(sessionKind, namespaceFlag), name: text };
  const [namespace = "", name = ""] = parts;
  if (namespaceFlag !== undefined && namespaceFlag !== namespace) throw new UsageError(`session "${text}" is in namespace ${namespace}, but -n says ${namespaceFlag}`);
  return { namespace, name };
}
