/** The API server's validation of a Pod spec, for the fields session pods use. */
import { checkLabel, checkQuantity, type Causes } from "./validation.js";
import type { KubeObject } from "./types.js";

type Json = Record<string, unknown>;

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Validates a Pod's spec into `causes`. */
export function validatePodSpec(causes: Causes, pod: KubeObject): void {
  const spec = pod.spec ?? {};
  const restartPolicy = spec.restartPolicy;
  if (restartPolicy !== undefined && !["Always", "OnFailure", "Never"].includes(restartPolicy as string)) {
    causes.notSupported("spec.restartPolicy", restartPolicy, ["Always", "OnFailure", "Never"]);
  }
  const volumes = (spec.volumes ?? []) as Json[];
  const volumeNames = new Set<string>();
  volumes.forEach((volume, index) => {
    const field = `spec.volumes[${index}]`;
    checkLabel(causes, `${field}.name`, volume.name);
    if (volumeNames.has(volume.name as string)) causes.duplicate(`${field}.name`, volume.name);
    volumeNames.add(volume.name as string);
    const sources = Object.keys(volume).filter((key) => key !== "name");
    if (sources.length !== 1) causes.required(`${field}`);
    const claim = volume.persistentVolumeClaim as Json | undefined;
    if (claim && !claim.claimName) causes.required(`${field}.persistentVolumeClaim.claimName`);
    const emptyDir = volume.emptyDir as Json | undefined;
    if (emptyDir?.sizeLimit !== undefined) checkQuantity(causes, `${field}.emptyDir.sizeLimit`, emptyDir.sizeLimit);
  });
  const containers = spec.containers as Json[] | undefined;
  if (!Array.isArray(containers) || containers.length === 0) return causes.required("spec.containers");
  const containerNames = new Set<string>();
  containers.forEach((container, index) => {
    const field = `spec.containers[${index}]`;
    checkLabel(causes, `${field}.name`, container.name);
    if (containerNames.has(container.name as string)) causes.duplicate(`${field}.name`, container.name);
    containerNames.add(container.name as string);
    if (!container.image) causes.required(`${field}.image`);
    const pullPolicy = container.imagePullPolicy;
    if (pullPolicy !== undefined && !["Always", "IfNotPresent", "Never"].includes(pullPolicy as string)) {
      causes.notSupported(`${field}.imagePullPolicy`, pullPolicy, ["Always", "IfNotPresent", "Never"]);
    }
    validateEnv(causes, field, (container.env ?? []) as Json[]);
    validateResources(causes, `${field}.resources`, (container.resources ?? {}) as Json);
    ((container.volumeMounts ?? []) as Json[]).forEach((mount, mountIndex) => {
      const mountField = `${field}.volumeMounts[${mountIndex}]`;
      if (!mount.name) causes.required(`${mountField}.name`);
      else if (!volumeNames.has(mount.name as string)) causes.list.push({ reason: "FieldValueNotSupported", message: `Not found: ${JSON.stringify(mount.name)}`, field: `${mountField}.name` });
      if (!mount.mountPath) causes.required(`${mountField}.mountPath`);
    });
    const securityContext = (container.securityContext ?? {}) as Json;
    if (securityContext.privileged === true && securityContext.allowPrivilegeEscalation === false) {
      causes.invalid(`${field}.securityContext`, securityContext, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
    }
    const seccomp = securityContext.seccompProfile as Json | undefined;
    if (seccomp && !["RuntimeDefault", "Unconfined", "Localhost"].includes(seccomp.type as string)) {
      causes.notSupported(`${field}.securityContext.seccompProfile.type`, seccomp.type, ["Localhost", "RuntimeDefault", "Unconfined"]);
    }
  });
  const podSecurity = (spec.securityContext ?? {}) as Json;
  for (const id of ["runAsUser", "runAsGroup", "fsGroup"]) {
    const value = podSecurity[id];
    if (value !== undefined && (typeof value !== "number" || value < 0 || value > 2147483647)) {
      causes.invalid(`spec.securityContext.${id}`, value, "must be between 0 and 2147483647, inclusive");
    }
  }
}

function validateEnv(causes: Causes, field: string, env: Json[]): void {
  env.forEach((variable, index) => {
    const envField = `${field}.env[${index}]`;
    if (typeof variable.name !== "string" || !ENV_NAME.test(variable.name)) {
      causes.invalid(`${envField}.name`, variable.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit");
    }
    const from = variable.valueFrom as Json | undefined;
    if (from && variable.value !== undefined) causes.invalid(`${envField}.valueFrom`, "", "may not be specified when `value` is not empty");
    const secretRef = from?.secretKeyRef as Json | undefined;
    if (from && !secretRef && !from.configMapKeyRef && !from.fieldRef && !from.resourceFieldRef) causes.invalid(`${envField}.valueFrom`, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
    if (secretRef) {
      if (!secretRef.name) causes.required(`${envField}.valueFrom.secretKeyRef.name`);
      if (!secretRef.key) causes.required(`${envField}.valueFrom.secretKeyRef.key`);
    }
  });
}

function validateResources(causes: Causes, field: string, resources: Json): void {
  const requests = (resources.requests ?? {}) as Record<string, string | number>;
  const limits = (resources.limits ?? {}) as Record<string, string | number | undefined>;
  for (const [name, value] of Object.entries(requests)) checkQuantity(causes, `${field}.requests[${name}]`, value);
  for (const [name, value] of Object.entries(limits)) checkQuantity(causes, `${field}.limits[${name}]`, value);
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit !== undefined && quantityValue(String(request)) > quantityValue(String(limit))) {
      causes.invalid(`${field}.requests`, request, `must be less than or equal to ${name} limit of ${String(limit)}`);
    }
  }
}

const FACTORS: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6 };

/** A quantity's value, for comparisons (NaN when malformed, which checkQuantity reports). */
export function quantityValue(quantity: string): number {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/.exec(quantity);
  if (!match) return Number.NaN;
  const suffix = match[2] ?? "";
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : (FACTORS[suffix] ?? 1);
  return Number(match[1]) * factor;
}
