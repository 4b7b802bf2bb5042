/**
 * How outbox entries are stored: a file per group commit of consecutive daemon seqs (one seq:
 * `<seq>.pb`; several: `<first>-<last>.pb`), named so that names sort by seq, whose content is
 * one small frame (magic, CRC-32, length) per entry around its AttachRequest in protobuf binary.
 * The frames let the outbox tell a complete file from a damaged one instead of sending garbage.
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
const namePattern = /^(\d{20})(?:-(\d{20}))?\.pb$/;
const pad = (seq: bigint): string => seq.toString().padStart(20, "0");

/** The file name of the entry with this seq, or of the group from `seq` to `last` (zero-padded so names sort like seqs). */
export function entryFileName(seq: bigint, last = seq): string {
  return last === seq ? `${pad(seq)}.pb` : `${pad(seq)}-${pad(last)}.pb`;
}

/** The seqs (first and last) of an entry file name, or undefined for any other file. */
export function seqsOfFileName(name: string): { first: bigint; last: bigint } | undefined {
  const match = namePattern.exec(name);
  if (!match?.[1]) return undefined;
  const first = BigInt(match[1]);
  const last = match[2] ? BigInt(match[2]) : first;
  return last >= first ? { first, last } : undefined;
}

/** Builds the AttachRequest stored for `seq` (ack is left 0: it is stamped when sent). */
export function outboxRequest(seq: bigint, payload: OutboxPayload): AttachRequest {
  return create(AttachRequestSchema, { seq, payload });
}

/** Encodes a file's content: one frame per entry, in order. */
export function encodeEntries(requests: readonly AttachRequest[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const request of requests) {
    const body = toBinary(AttachRequestSchema, request);
    const header = Buffer.alloc(headerBytes);
    magic.copy(header, 0);
    header.writeUInt32BE(crc32(body), magic.length);
    header.writeUInt32BE(body.length, magic.length + 4);
    parts.push(header, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  return Buffer.concat(parts);
}

/** Encodes the content of a file holding one entry. */
export function encodeEntry(request: AttachRequest): Uint8Array {
  return encodeEntries([request]);
}

/**
 * Decodes a file's content, which must hold exactly the seqs `first` to `last` in order;
 * undefined when a frame or message is damaged, a seq does not match, or bytes are left over.
 */
export function decodeEntries(data: Uint8Array, first: bigint, last: bigint): AttachRequest[] | undefined {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const requests: AttachRequest[] = [];
  let offset = 0;
  for (let seq = first; seq <= last; seq++) {
    if (buffer.length - offset < headerBytes || !buffer.subarray(offset, offset + magic.length).equals(magic)) return undefined;
    const length = buffer.readUInt32BE(offset + magic.length + 4);
    const body = buffer.subarray(offset + headerBytes, offset + headerBytes + length);
    if (body.length !== length || crc32(body) !== buffer.readUInt32BE(offset + magic.length)) return undefined;
    try {
      const request = fromBinary(AttachRequestSchema, body);
      if (request.seq !== seq || (request.payload.case !== "event" && request.payload.case !== "checkpoint")) return undefined;
      requests.push(request);
    } catch {
      return undefined;
    }
    offset += headerBytes + length;
  }
  return offset === buffer.length ? requests : undefined;
}

/** Decodes the content of a file holding the one entry `expectedSeq`; undefined when damaged. */
export function decodeEntry(data: Uint8Array, expectedSeq: bigint): AttachRequest | undefined {
  return decodeEntries(data, expectedSeq, expectedSeq)?.[0];
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
