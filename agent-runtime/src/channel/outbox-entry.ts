/**
 * How one outbox entry is stored: a file per daemon seq, named so that names sort by seq, whose
 * content is a small frame (magic, CRC-32, length) around the AttachRequest in protobuf binary.
 * The frame lets the outbox tell a complete entry from a damaged one instead of sending garbage.
 */
import { crc32 } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { LogLevel, LogSchema, SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { AttachRequestSchema, type AttachRequest } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";

/** What the outbox carries: the AttachRequest payloads that have a seq (events and checkpoints). */
export type OutboxPayload = Extract<AttachRequest["payload"], { case: "event" | "checkpoint" }>;

const magic = Buffer.from("RWO1");
const headerBytes = magic.length + 8;
const namePattern = /^(\d{20})\.pb$/;

/** The file name of the entry with this seq (zero-padded so names sort like seqs). */
export function entryFileName(seq: bigint): string {
  return `${seq.toString().padStart(20, "0")}.pb`;
}

/** The seq of an entry file name, or undefined for any other file. */
export function seqOfFileName(name: string): bigint | undefined {
  const match = namePattern.exec(name);
  return match?.[1] ? BigInt(match[1]) : undefined;
}

/** Builds the AttachRequest stored for `seq` (ack is left 0: it is stamped when sent). */
export function outboxRequest(seq: bigint, payload: OutboxPayload): AttachRequest {
  return create(AttachRequestSchema, { seq, payload });
}

/** Encodes an entry's file content. */
export function encodeEntry(request: AttachRequest): Uint8Array {
  const body = toBinary(AttachRequestSchema, request);
  const header = Buffer.alloc(headerBytes);
  magic.copy(header, 0);
  header.writeUInt32BE(crc32(body), magic.length);
  header.writeUInt32BE(body.length, magic.length + 4);
  return Buffer.concat([header, body]);
}

/** Decodes an entry's file content; undefined when the frame or the message is damaged, or the seq does not match. */
export function decodeEntry(data: Uint8Array, expectedSeq: bigint): AttachRequest | undefined {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buffer.length < headerBytes || !buffer.subarray(0, magic.length).equals(magic)) return undefined;
  const length = buffer.readUInt32BE(magic.length + 4);
  const body = buffer.subarray(headerBytes);
  if (body.length !== length || crc32(body) !== buffer.readUInt32BE(magic.length)) return undefined;
  try {
    const request = fromBinary(AttachRequestSchema, body);
    if (request.seq !== expectedSeq || (request.payload.case !== "event" && request.payload.case !== "checkpoint")) return undefined;
    return request;
  } catch {
    return undefined;
  }
}

/**
 * The stand-in for an entry found damaged on disk: a warning in the session's log under the
 * same seq, so the sequence stays gapless and the loss is visible rather than silent.
 */
export function damagedEntryStandIn(seq: bigint): AttachRequest {
  return outboxRequest(seq, {
    case: "event",
    value: create(SessionEventSchema, {
      time: timestampNow(),
      payload: {
        case: "log",
        value: create(LogSchema, {
          level: LogLevel.WARN,
          source: "daemon",
          message: `the daemon's outbox entry ${seq} was damaged on disk and could not be sent`,
        }),
      },
    }),
  });
}
