/**
 * Offline validation against the Kubernetes OpenAPI schemas that the kubernetes-models packages
 * ship, so a misspelt type or a wrong shape fails in CI rather than at `kubectl apply`.
 */
import type { KubeObject } from "./kustomize.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/** Packages that hold models besides kubernetes-models, by API group. */
const groupPackages: Record<string, string> = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

/** Module path of an object's model: `kubernetes-models/v1/Pod`, `kubernetes-models/apps/v1/Deployment`, … */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (!group) return `kubernetes-models/${version}/${kind}`;
  return `${groupPackages[group] ?? "kubernetes-models"}/${group}/${version}/${kind}`;
}

/** Validates one object against its schema; throws a message naming the object and the field. */
export async function validateObject(object: KubeObject): Promise<void> {
  const path = modelModule(object.apiVersion, object.kind);
  let model: ModelClass | undefined;
  try {
    model = ((await import(path)) as Record<string, ModelClass>)[object.kind];
  } catch (cause) {
    throw new Error(`${object.kind} ${object.apiVersion}: no schema (${path})`, { cause });
  }
  if (!model) throw new Error(`${object.kind} ${object.apiVersion}: no schema (${path})`);
  try {
    new model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`, { cause: error });
  }
}
