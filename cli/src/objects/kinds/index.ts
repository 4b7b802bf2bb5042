/** Every kind the CLI manages, and lookup by any of their names. */
import { UsageError } from "../../errors.js";
import type { ObjectKind } from "../kind.js";
import { agentKind } from "./agent.js";
import { namespaceKind } from "./namespace.js";
import { roleBindingKind } from "./role-binding.js";
import { roleKind } from "./role.js";
import { secretKind } from "./secret.js";
import { serviceAccountKind } from "./service-account.js";
import { webhookKind } from "./webhook.js";

/** The kinds, in the order a file's objects are best created: namespaces before what lives in them, roles before bindings. */
export const objectKinds: readonly ObjectKind[] = [namespaceKind, serviceAccountKind, roleKind, roleBindingKind, secretKind, agentKind, webhookKind];

/** Finds a kind by its name (`RoleBinding`), plural (`rolebindings`) or alias (`rb`), in any case. */
export function findKind(name: string): ObjectKind {
  const wanted = name.toLowerCase();
  const kind = objectKinds.find((k) => k.kind.toLowerCase() === wanted || k.plural === wanted || k.aliases.includes(wanted));
  if (!kind) throw new UsageError(`unknown kind "${name}" (use one of: ${objectKinds.map((k) => k.kind).join(", ")})`);
  return kind;
}

export { agentKind, namespaceKind, roleBindingKind, roleKind, secretKind, serviceAccountKind, webhookKind };
