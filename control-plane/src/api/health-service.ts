/** grpc.health.v1.Health: the server's and each service's serving status, with Watch. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Health} from "@raworc/proto/gen/grpc/health/v1/health_pb.js";
import { HealthCheckResponse_ServingStatus as Status } from "@raworc/proto/gen/grpc/health/v1/health_pb.js";

/** Serving status of the server ("") and of each service, observable by watchers. */
export class HealthState {
  private readonly statuses = new Map<string, Status>();
  private readonly watchers = new Set<() => void>();
  private closed = false;

  constructor(services: readonly string[]) {
    this.statuses.set("", Status.SERVING);
    for (const s of services) this.statuses.set(s, Status.SERVING);
  }

  /** The status of a service, or undefined for a service the server does not know. */
  get(service: string): Status | undefined {
    return this.statuses.get(service);
  }

  /** Every known status. */
  all(): ReadonlyMap<string, Status> {
    return this.statuses;
  }

  /** Sets every status to NOT_SERVING (on shutdown) or SERVING. */
  setAll(status: Status.SERVING | Status.NOT_SERVING): void {
    for (const key of this.statuses.keys()) this.statuses.set(key, status);
    for (const notify of this.watchers) notify();
  }

  /** Ends every Watch stream (on shutdown, so open watches do not hold the server up). */
  close(): void {
    this.closed = true;
    for (const notify of this.watchers) notify();
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `notify` on every change until `signal` aborts. */
  subscribe(notify: () => void, signal: AbortSignal): void {
    this.watchers.add(notify);
    signal.addEventListener("abort", () => this.watchers.delete(notify), { once: true });
  }
}

/** Creates the Health implementation over a HealthState. */
export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return { status };
    },
    list() {
      return { statuses: Object.fromEntries([...state.all()].map(([name, status]) => [name, { status }])) };
    },
    async *watch(req, ctx) {
      let changed: () => void = () => {};
      state.subscribe(() => changed(), ctx.signal);
      let last: Status | undefined;
      while (!ctx.signal.aborted && !state.isClosed) {
        const status = state.get(req.service) ?? Status.SERVICE_UNKNOWN;
        if (status !== last) yield { status };
        last = status;
        await new Promise<void>((resolve) => {
          changed = resolve;
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }
    },
  };
}
