/**
 * A small in-process kustomize, enough for deploy/kubernetes: resources, components, images,
 * labels (metadata only) and JSON 6902 patches. The tests compare it with `kubectl kustomize`
 * where kubectl exists, so the checks also run on machines without it.
 */
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

/** A Kubernetes object as plain JSON. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

interface Kustomization {
  resources?: string[];
  components?: string[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  patches?: { target: { kind?: string; name?: string; namespace?: string }; patch: string }[];
}

type PatchOp = { op: "add" | "replace" | "remove"; path: string; value?: unknown };

/** Parses every document of a YAML file, refusing YAML errors and warnings. */
export async function readYamlDocuments(file: string): Promise<unknown[]> {
  const docs = parseAllDocuments(await readFile(file, "utf8"), { version: "1.1" });
  for (const doc of docs) {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw new Error(`${file}: ${problem.message}`);
  }
  return docs.map((d) => d.toJS() as unknown).filter((d) => d !== null);
}

/** A stable key for an object: kind, namespace and name. */
export function objectKey(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/** Renders the kustomization in `dir` to its list of objects. */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const [kustomization] = (await readYamlDocuments(join(dir, "kustomization.yaml"))) as Kustomization[];
  if (!kustomization) throw new Error(`${dir}: empty kustomization.yaml`);
  const objects: KubeObject[] = [];
  for (const entry of [...(kustomization.resources ?? []), ...(kustomization.components ?? [])]) {
    const path = resolve(dir, entry);
    if ((await stat(path)).isDirectory()) objects.push(...(await renderKustomization(path)));
    else objects.push(...((await readYamlDocuments(path)) as KubeObject[]));
  }
  for (const { pairs, includeSelectors, includeTemplates } of kustomization.labels ?? []) {
    if (includeSelectors || includeTemplates) throw new Error(`${dir}: only metadata labels are supported`);
    for (const o of objects) o.metadata.labels = { ...o.metadata.labels, ...pairs };
  }
  for (const image of kustomization.images ?? []) for (const o of objects) setImages(o, image);
  for (const { target, patch } of kustomization.patches ?? []) {
    const ops = (await parseInline(patch)) as PatchOp[];
    const matches = objects.filter(
      (o) =>
        (!target.kind || o.kind === target.kind) &&
        (!target.name || o.metadata.name === target.name) &&
        (!target.namespace || o.metadata.namespace === target.namespace),
    );
    if (matches.length === 0) throw new Error(`${dir}: a patch matches no object (${JSON.stringify(target)})`);
    for (const o of matches) for (const op of ops) applyOp(o, op);
  }
  const keys = objects.map(objectKey);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate) throw new Error(`${dir}: ${duplicate} appears twice`);
  return objects;
}

function parseInline(text: string): Promise<unknown> {
  const docs = parseAllDocuments(text, { version: "1.1" });
  const problem = docs[0]?.errors[0];
  if (problem) return Promise.reject(new Error(problem.message));
  return Promise.resolve(docs[0]?.toJS() as unknown);
}

function containersOf(o: KubeObject): { image?: string }[] {
  const spec = o.spec as { template?: { spec?: PodSpecLike } } & PodSpecLike | undefined;
  const pod = o.kind === "Pod" ? spec : spec?.template?.spec;
  return [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])];
}

type PodSpecLike = { containers?: { image?: string }[]; initContainers?: { image?: string }[] };

function setImages(o: KubeObject, image: NonNullable<Kustomization["images"]>[number]): void {
  for (const container of containersOf(o)) {
    if (!container.image) continue;
    const match = /^(.*?)(?::([^:/@]+))?(?:@(sha256:[0-9a-f]+))?$/.exec(container.image);
    if (!match || match[1] !== image.name) continue;
    const name = image.newName ?? image.name;
    if (image.digest) container.image = `${name}@${image.digest}`;
    else if (image.newTag) container.image = `${name}:${image.newTag}`;
    else container.image = `${name}${match[2] ? `:${match[2]}` : ""}`;
  }
}

function applyOp(target: KubeObject, op: PatchOp): void {
  const segments = op.path.split("/").slice(1).map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = segments.pop();
  if (last === undefined) throw new Error(`bad patch path ${op.path}`);
  let node: unknown = target;
  for (const segment of segments) {
    node = (node as Record<string, unknown>)[segment];
    if (node === undefined || node === null) throw new Error(`${objectKey(target)}: patch path ${op.path} does not exist`);
  }
  const parent = node as Record<string, unknown>;
  if (op.op !== "add" && !(last in parent)) throw new Error(`${objectKey(target)}: patch path ${op.path} does not exist`);
  if (op.op === "remove") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (Array.isArray(parent) && op.op === "add") {
    parent.splice(last === "-" ? parent.length : Number(last), 0, op.value);
  } else {
    parent[last] = op.value;
  }
}
