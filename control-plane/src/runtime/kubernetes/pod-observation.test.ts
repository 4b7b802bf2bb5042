import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { daemonStateOf, observeSession } from "./pod-observation.js";

function pod(status: V1Pod["status"], deleting = false): V1Pod {
  return { metadata: { name: "raworc-s1", ...(deleting ? { deletionTimestamp: new Date() } : {}) }, status };
}

const running = { name: "raworc-agent", image: "i", imageID: "", ready: true, restartCount: 0, state: { running: {} } };

describe("kubernetes runtime observation", () => {
  it("reports no pod as absent, and the volume as present or absent", () => {
    assert.deepEqual(observeSession("s1", undefined, undefined), { sessionId: "s1", volume: "absent", daemon: "absent" });
    assert.deepEqual(observeSession("s1", { metadata: { name: "raworc-s1" } }, undefined), { sessionId: "s1", volume: "present", daemon: "absent" });
  });

  it("reports Pending as starting, saying why it waits", () => {
    assert.deepEqual(daemonStateOf(pod({ phase: "Pending" })), { daemon: "starting" });
    assert.deepEqual(
      daemonStateOf(pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes have enough memory" }] })),
      { daemon: "starting", message: "Unschedulable: 0/3 nodes have enough memory" },
    );
    assert.deepEqual(
      daemonStateOf(pod({ phase: "Pending", containerStatuses: [{ ...running, state: { waiting: { reason: "ImagePullBackOff", message: "pull access denied" } } }] })),
      { daemon: "starting", message: "ImagePullBackOff: pull access denied" },
    );
  });

  it("reports Running as running with the pod name as handle, and a running pod being deleted as terminating", () => {
    assert.deepEqual(observeSession("s1", undefined, pod({ phase: "Running", containerStatuses: [running] })), {
      sessionId: "s1",
      volume: "absent",
      daemon: "running",
      handle: "raworc-s1",
    });
    assert.deepEqual(daemonStateOf(pod({ phase: "Running", containerStatuses: [running] }, true)), { daemon: "running", message: "terminating" });
  });

  it("reports Succeeded and Failed as exited with the exit code and reason", () => {
    const terminated = (exitCode: number, reason: string, message?: string) => ({ ...running, state: { terminated: { exitCode, reason, ...(message ? { message } : {}) } } });
    assert.deepEqual(daemonStateOf(pod({ phase: "Succeeded", containerStatuses: [terminated(0, "Completed")] })), { daemon: "exited", exitCode: 0, message: "Completed" });
    assert.deepEqual(daemonStateOf(pod({ phase: "Failed", containerStatuses: [terminated(137, "OOMKilled")] })), { daemon: "exited", exitCode: 137, message: "OOMKilled" });
    assert.deepEqual(daemonStateOf(pod({ phase: "Failed", containerStatuses: [terminated(2, "Error", "bad flag")] })), { daemon: "exited", exitCode: 2, message: "Error: bad flag" });
    // The kubelet can report the container's end before the pod's phase catches up.
    assert.deepEqual(daemonStateOf(pod({ phase: "Running", containerStatuses: [terminated(1, "Error")] })), { daemon: "exited", exitCode: 1, message: "Error" });
  });

  it("reports an evicted pod as exited with the eviction reason and no exit code", () => {
    assert.deepEqual(daemonStateOf(pod({ phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." })), {
      daemon: "exited",
      message: "Evicted: The node was low on resource: memory.",
    });
  });

  it("reports a finished pod that is being deleted as absent: it was stopped on request", () => {
    assert.deepEqual(daemonStateOf(pod({ phase: "Succeeded" }, true)), { daemon: "absent" });
    assert.equal(observeSession("s1", undefined, pod({ phase: "Failed" }, true)).handle, undefined);
  });

  it("reports a pod on a silent node (phase Unknown) as running, for heartbeats to judge", () => {
    assert.deepEqual(daemonStateOf(pod({ phase: "Unknown", reason: "NodeLost" })), { daemon: "running", message: "pod phase Unknown: NodeLost" });
  });
});
