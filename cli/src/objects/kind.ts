/** What the CLI knows about each kind of API object: its names, its scope, its RPCs and its table. */
import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import type { ObjectMeta } from "@raworc/proto/gen/raworc/v1/common_pb.js";

/** Any stored API object: a message with metadata. */
export type StoredObject = Message & { metadata?: ObjectMeta };

/** How a command reaches the server: a transport and the signal that cancels its calls. */
export interface Connection {
  /** The Connect transport to the server, with the caller's token. */
  readonly transport: Transport;
  /** Aborts calls in flight (the REPL's Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** An object's namespace ("" for global objects) and name. */
export interface ObjectRefText {
  readonly namespace: string;
  readonly name: string;
}

/** One list request: namespace ("" for every visible one), label selector and page. */
export interface ListQuery {
  readonly namespace: string;
  readonly labelSelector: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** One page of a list. */
export interface Page<M> {
  readonly items: M[];
  readonly nextPageToken: string;
}

/** What a create needs besides the object: a service account's initial password. */
export interface CreateExtras {
  readonly password?: string;
}

/** What an update needs besides the object: the secret keys to remove. */
export interface UpdateExtras {
  readonly removeKeys?: readonly string[];
}

/** Options of a delete: `force` terminates a namespace's live sessions instead of refusing. */
export interface DeleteOptions {
  readonly force?: boolean;
}

/**
 * Whether objects of a kind live in a namespace: always (secrets), optionally with "" meaning
 * global (service accounts, roles, role bindings), or never (namespaces themselves).
 */
export type NamespaceScope = "required" | "optional" | "never";

/** The namespace used for kinds that need one when `-n` is not given, as in kubectl. */
export const defaultNamespace = "default";

/** One kind of object and the calls that manage it. */
export interface ObjectKind<M extends StoredObject = StoredObject> {
  /** The kind as files name it, e.g. `RoleBinding`. */
  readonly kind: string;
  /** Lower-case singular, e.g. `rolebinding`; also the prefix of result lines (`rolebinding/x created`). */
  readonly singular: string;
  /** Lower-case plural and command name, e.g. `rolebindings`. */
  readonly plural: string;
  /** Other names of the command, e.g. `rb`. */
  readonly aliases: readonly string[];
  /** Whether objects of this kind live in namespaces. */
  readonly namespaced: NamespaceScope;
  /** The message schema of one object. */
  readonly schema: DescMessage;
  /** JSON field values an object from a file or flags gets when it leaves them out; updates keep the stored values instead. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** A line to show once about an object the server just returned (a webhook's new signing secret), if any. */
  notice?(object: M): string | undefined;
  /** Table headings after NAME and NAMESPACE, and before AGE. */
  readonly columns: readonly string[];
  /** The cells under {@link columns} for one object. */
  cells(object: M): unknown[];
  /** Creates the object and returns it as stored. */
  create(conn: Connection, object: M, extras: CreateExtras): Promise<M>;
  /** Returns one object. */
  get(conn: Connection, ref: ObjectRefText): Promise<M>;
  /** Returns one page of objects. */
  list(conn: Connection, query: ListQuery): Promise<Page<M>>;
  /** Replaces the object's mutable fields; absent for kinds that cannot change after creation. */
  update?(conn: Connection, object: M, extras: UpdateExtras): Promise<M>;
  /** Deletes the object; returns what the server still shows of it (a terminating namespace), if anything. */
  delete(conn: Connection, ref: ObjectRefText, options: DeleteOptions): Promise<M | undefined>;
}

/** Lets kinds of different message types share one list; method parameters are bivariant, so each kind must only be handed its own objects. */
export function defineKind<M extends StoredObject>(kind: ObjectKind<M>): ObjectKind {
  return kind;
}

/** The ref of a stored object. */
export function refOf(object: StoredObject): ObjectRefText {
  return { namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "" };
}

/** How result lines name an object: `role/dev`. */
export function objectLabel(kind: ObjectKind, ref: ObjectRefText): string {
  return `${kind.singular}/${ref.name}`;
}
