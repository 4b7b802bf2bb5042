import assert from "node:assert/strict";
import { validateObject } from "./schemas.js";
import { podHardeningProblems, type PodSpecLike } from "./hardening.js";
import type { KubeObject } from "./kustomize.js";
// The checks validate the exact objects the runtime sends, so they import its builders, which
// are not part of @raworc/control-plane's public API.
// eslint-disable-next-line no-restricted-imports
import { buildSessionPod } from "../../control-plane/src/runtime/kubernetes/pod-manifest.js";
// eslint-disable-next-line no-restricted-imports
import { buildSessionVolume, buildRemixSnapshot, volumeOwnerReference } from "../../control-plane/src/runtime/kubernetes/volume-manifests.js";
// eslint-disable-next-line no-restricted-imports
import { buildTokenSecret } from "../../control-plane/src/runtime/kubernetes/secret-manifest.js";
// eslint-disable-next-line no-restricted-imports
import { resolveKubernetesRuntimeOptions } from "../../control-plane/src/runtime/kubernetes/options.js";

const sessionId = "0d9d3c9e-5f4b-4c8e-9a51-3a2f6c1e7b10";
const launch = {
  sessionId,
  namespace: "team-a",
  name: "fix-the-build",
  controlPlaneUrl: "http://raworc-control-plane.raworc.svc.cluster.local:9000",
  daemonToken: "a-daemon-token",
  resources: { cpu: "", memory: "", storage: "" },
};
const options = resolveKubernetesRuntimeOptions({ namespace: "raworc-sessions", image: "raworc/session:0.1.0", runtimeClassName: "gvisor" });

function objects() {
  const volume = buildSessionVolume(sessionId, "10Gi", "csi-standard", { kind: "snapshot", snapshotName: "remix-src" }, options);
  const owner = volumeOwnerReference({ ...volume, metadata: { ...volume.metadata, uid: "7f1c1e0e-1111-4222-8333-444455556666" } });
  return { volume, pod: buildSessionPod(launch, options, owner), secret: buildTokenSecret(launch, options, owner) };
}

describe("the session objects the kubernetes runtime builds", () => {
  it("validate against the Kubernetes schemas (pod, volume claim, token secret)", async () => {
    const { volume, pod, secret } = objects();
    for (const o of [pod, volume, secret]) await validateObject(o as KubeObject);
    const clone = buildSessionVolume(sessionId, "1Gi", undefined, { kind: "clone", claimName: "src" }, options);
    await validateObject(clone as KubeObject);
  });

  it("run hardened: non-root, read-only root, ALL dropped, no service-account token, limits set", () => {
    const { pod } = objects();
    assert.deepEqual(podHardeningProblems("session pod", pod.spec as PodSpecLike, { serviceAccountToken: false }), []);
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(pod.spec?.securityContext?.runAsUser, 1000, "the session image's user");
  });

  it("keep the daemon token out of the pod spec", () => {
    const { pod } = objects();
    assert.doesNotMatch(JSON.stringify(pod), /a-daemon-token/);
  });

  it("find a hardening problem when there is one", () => {
    const { pod } = objects();
    const [container] = pod.spec?.containers ?? [];
    assert.ok(container);
    const weakened: PodSpecLike = { ...(pod.spec as PodSpecLike), automountServiceAccountToken: undefined, containers: [{ ...container, securityContext: {}, resources: {} }] };
    const problems = podHardeningProblems("pod", weakened, { serviceAccountToken: false });
    for (const expected of ["service-account token", "writable root", "ALL capabilities", "cpu limit", "privilege escalation"]) {
      assert.ok(problems.some((p) => p.includes(expected)), `${expected} not found in ${problems.join("; ")}`);
    }
  });

  it("build a VolumeSnapshot in the shape of snapshot.storage.k8s.io/v1", () => {
    const snapshot = buildRemixSnapshot(sessionId, "src-claim", "csi-snapclass", options);
    // No kubernetes-models package covers the external-snapshotter CRDs: check the fields its schema requires.
    assert.equal(snapshot.apiVersion, "snapshot.storage.k8s.io/v1");
    assert.match(snapshot.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(snapshot.metadata.name.length <= 253);
    assert.deepEqual(Object.keys(snapshot.spec.source), ["persistentVolumeClaimName"]);
    assert.equal(snapshot.spec.volumeSnapshotClassName, "csi-snapclass");
  });
});
