import assert from "node:assert/strict";
import type { SessionLaunch } from "../session-runtime.js";
import { sessionObjectNames } from "./names.js";
import { resolveKubernetesRuntimeOptions } from "./options.js";
import { buildSessionPod } from "./pod-manifest.js";
import { maxQuantity, parseQuantity } from "./quantity.js";
import { buildTokenSecret, tokenOf } from "./secret-manifest.js";
import { buildRemixSnapshot, buildSessionVolume, volumeOwnerReference } from "./volume-manifests.js";

const sessionId = "5f0e8c1a-3b7d-4c2e-9f61-2a4b6c8d0e1f";
const token = "eyJhbGciOiJFZERTQSJ9.session-token-never-in-a-pod-spec.sig";
const launch: SessionLaunch = {
  sessionId,
  namespace: "team-a",
  name: "research",
  controlPlaneUrl: "http://raworc.example:8080",
  daemonToken: token,
  resources: { cpu: "2", memory: "", storage: "" },
};
const options = resolveKubernetesRuntimeOptions({
  namespace: "raworc-sessions",
  image: "ghcr.io/raworc/agent:0.1.0",
  storageClassName: "fast-csi",
  defaultResources: { memory: "768Mi" },
});
const owner = { apiVersion: "v1", kind: "PersistentVolumeClaim", name: `raworc-${sessionId}`, uid: "0d1e2f3a-aaaa-bbbb-cccc-000000000001" };

describe("kubernetes runtime manifests", () => {
  describe("the session pod", () => {
    const pod = buildSessionPod(launch, options, owner);
    const spec = pod.spec!;
    const container = spec.containers[0]!;

    it("is hardened: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp, no service-account token", () => {
      assert.equal(spec.automountServiceAccountToken, false);
      assert.equal(spec.enableServiceLinks, false);
      assert.deepEqual(spec.securityContext, {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      });
      assert.deepEqual(container.securityContext, {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    });

    it("never restarts by itself: the reconciler restarts with backoff and counts crashes", () => {
      assert.equal(spec.restartPolicy, "Never");
    });

    it("runs raworc-agent against the control plane with the session id and the volume at /workspace", () => {
      assert.deepEqual([...container.command!, ...container.args!], [
        "raworc-agent",
        "--control-plane",
        "http://raworc.example:8080",
        "--session-id",
        sessionId,
        "--workspace",
        "/workspace",
      ]);
      assert.deepEqual(container.volumeMounts, [
        { name: "workspace", mountPath: "/workspace" },
        { name: "tmp", mountPath: "/tmp" },
      ]);
      assert.deepEqual(spec.volumes, [
        { name: "workspace", persistentVolumeClaim: { claimName: `raworc-${sessionId}` } },
        { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
      ]);
    });

    it("prefers the configured in-cluster control-plane URL", () => {
      const inCluster = buildSessionPod(launch, { ...options, controlPlaneUrl: "http://raworc.raworc-system.svc:8080" }, owner);
      assert.equal(inCluster.spec!.containers[0]!.args![1], "http://raworc.raworc-system.svc:8080");
    });

    it("takes requests and limits from the session, defaults from the configuration", () => {
      assert.deepEqual(container.resources, { requests: { cpu: "2", memory: "768Mi" }, limits: { cpu: "2", memory: "768Mi" } });
    });

    it("reads the daemon token from the session's Secret and never carries it in clear", () => {
      assert.deepEqual(container.env!.find((env) => env.name === "RAWORC_SESSION_TOKEN"), {
        name: "RAWORC_SESSION_TOKEN",
        valueFrom: { secretKeyRef: { name: `raworc-${sessionId}-token`, key: "token" } },
      });
      assert.ok(!JSON.stringify(pod).includes(token));
      assert.ok(!JSON.stringify(pod).includes(Buffer.from(token).toString("base64")));
    });

    it("is labelled with the app, the session id, namespace and name, and owned by the session's volume", () => {
      assert.deepEqual(pod.metadata!.labels, {
        "app.kubernetes.io/name": "raworc-session",
        "app.kubernetes.io/managed-by": "raworc",
        "app.kubernetes.io/component": "daemon",
        "raworc.dev/session-id": sessionId,
        "raworc.dev/session-namespace": "team-a",
        "raworc.dev/session-name": "research",
      });
      assert.deepEqual(pod.metadata!.ownerReferences, [owner]);
      assert.equal(pod.metadata!.namespace, "raworc-sessions");
      assert.equal(pod.metadata!.name, `raworc-${sessionId}`);
    });

    it("refuses resources that are not Kubernetes quantities", () => {
      assert.throws(() => buildSessionPod({ ...launch, resources: { cpu: "two", memory: "", storage: "" } }, options, owner), /cpu: "two" is not a Kubernetes quantity/);
    });
  });

  describe("the session volume", () => {
    it("asks for the session's storage in the configured class, ReadWriteOnce", () => {
      const claim = buildSessionVolume(sessionId, "20Gi", "fast-csi", { kind: "empty" }, options);
      assert.deepEqual(claim.spec, { accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem", resources: { requests: { storage: "20Gi" } }, storageClassName: "fast-csi" });
      assert.equal(claim.metadata!.labels!["raworc.dev/session-id"], sessionId);
      assert.equal(claim.metadata!.labels!["app.kubernetes.io/component"], "volume");
    });

    it("names its source for a remix: a PVC to clone, or a VolumeSnapshot to restore", () => {
      const cloned = buildSessionVolume(sessionId, "10Gi", undefined, { kind: "clone", claimName: "raworc-parent" }, options);
      assert.deepEqual(cloned.spec!.dataSource, { kind: "PersistentVolumeClaim", name: "raworc-parent" });
      assert.equal(cloned.spec!.storageClassName, undefined);
      const restored = buildSessionVolume(sessionId, "10Gi", "fast-csi", { kind: "snapshot", snapshotName: "raworc-x-remix" }, options);
      assert.deepEqual(restored.spec!.dataSource, { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "raworc-x-remix" });
    });

    it("owns the pod and the secret through an owner reference", () => {
      const reference = volumeOwnerReference({ metadata: { name: "raworc-x", uid: "u-1" } });
      assert.deepEqual(reference, { apiVersion: "v1", kind: "PersistentVolumeClaim", name: "raworc-x", uid: "u-1", controller: false, blockOwnerDeletion: false });
      assert.throws(() => volumeOwnerReference({ metadata: { name: "raworc-x" } }), /without name or uid/);
    });

    it("snapshots the source for a remix in the configured class", () => {
      const snapshot = buildRemixSnapshot(sessionId, "raworc-parent", "csi-snapclass", options);
      assert.equal(snapshot.metadata.name, `raworc-${sessionId}-remix`);
      assert.deepEqual(snapshot.spec, { volumeSnapshotClassName: "csi-snapclass", source: { persistentVolumeClaimName: "raworc-parent" } });
      assert.equal(snapshot.metadata.labels["app.kubernetes.io/component"], "remix-snapshot");
    });
  });

  describe("the token secret", () => {
    it("holds the token base64-encoded under `token`, labelled and owned by the volume", () => {
      const secret = buildTokenSecret(launch, options, owner);
      assert.equal(secret.data!.token, Buffer.from(token).toString("base64"));
      assert.equal(tokenOf(secret), token);
      assert.equal(secret.metadata!.name, `raworc-${sessionId}-token`);
      assert.equal(secret.metadata!.labels!["app.kubernetes.io/component"], "token");
      assert.deepEqual(secret.metadata!.ownerReferences, [owner]);
    });
  });

  describe("names, quantities and options", () => {
    it("refuses session ids that cannot name objects", () => {
      assert.throws(() => sessionObjectNames("Not_A_Label"), /cannot name Kubernetes objects/);
      assert.throws(() => sessionObjectNames("a".repeat(51)), /cannot name Kubernetes objects/);
    });

    it("parses quantities as the API server does", () => {
      assert.equal(parseQuantity("500m"), 0.5);
      assert.equal(parseQuantity("1Gi"), 2 ** 30);
      assert.equal(parseQuantity("1G"), 1e9);
      assert.equal(parseQuantity("1e3"), 1000);
      assert.equal(maxQuantity("10Gi", "12G"), "12G");
      assert.equal(maxQuantity("10Gi", "10G"), "10Gi");
      assert.throws(() => parseQuantity("10 GB"), /not a Kubernetes quantity/);
    });

    it("refuses a namespace that is not a DNS label and a missing image", () => {
      assert.throws(() => resolveKubernetesRuntimeOptions({ namespace: "Raworc", image: "x" }), /not a DNS-1123 label/);
      assert.throws(() => resolveKubernetesRuntimeOptions({ namespace: "raworc", image: "" }), /an image is required/);
      assert.throws(() => resolveKubernetesRuntimeOptions({ namespace: "raworc", image: "x", defaultResources: { memory: "lots" } }), /memory/);
    });
  });
});
