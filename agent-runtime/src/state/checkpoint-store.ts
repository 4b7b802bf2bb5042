/**
 * The turn checkpoint store in `.raworc/checkpoints/`: a content-addressed store of file
 * contents (`objects/<first two hex>/<sha256>`) and one manifest per checkpoint
 * (`manifests/<sha256 of the manifest>.json`, see checkpoint-manifest.ts).
 *
 * Only changed files are read: a file whose size, mtime, ctime and inode equal those of the
 * previous manifest's entry keeps that entry's hash, and an object already stored is not
 * written again. Crash safety comes from the order of writes: each new object is written to a
 * temporary file, fsync'd and renamed into place, its directory fsync'd, and only then is the
 * manifest written atomically; so any manifest on disk names only objects that are on disk. A
 * crash mid-checkpoint leaves at most unreferenced objects and temporary files (removed on open).
 */
import { randomBytes, createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StateError } from "../errors.js";
import { decodeManifest, encodeManifest, isContentId, manifestTotals, sha256, type FileEntry, type Manifest, type ManifestEntry } from "./checkpoint-manifest.js";
import { mapConcurrently } from "./checkpoint-parallel.js";
import { scanWorkspace } from "./checkpoint-scan.js";
import { fsyncDirectory, temporaryPrefix, writeFileAtomic } from "./durable-files.js";

/** A checkpoint just recorded. */
export interface CapturedCheckpoint {
  /** The manifest's id (its sha256). */
  readonly id: string;
  readonly manifest: Manifest;
  /** Regular files in the workspace and their total size. */
  readonly fileCount: number;
  readonly totalBytes: number;
  /** Bytes of objects newly written for this checkpoint (changed files whose content the store did not have). */
  readonly storedBytes: number;
  /** How many files had to be read (new or changed since the previous manifest). */
  readonly filesRead: number;
  /** Paths left out because the daemon may not read them (the agent changed their permissions). */
  readonly unreadable: readonly string[];
}

const chunkBytes = 1024 * 1024;

/** The content-addressed store of one volume. */
export class CheckpointStore {
  private constructor(
    private readonly objects: string,
    private readonly manifests: string,
  ) {}

  /** Opens (creating) the store in `directory`, removing temporary files a crash left behind. */
  static async open(directory: string): Promise<CheckpointStore> {
    const objects = join(directory, "objects");
    const manifests = join(directory, "manifests");
    await mkdir(objects, { recursive: true, mode: 0o700 });
    await mkdir(manifests, { recursive: true, mode: 0o700 });
    for (const dir of [objects, manifests]) {
      for (const name of await readdir(dir)) if (name.startsWith(temporaryPrefix)) await rm(join(dir, name), { force: true });
    }
    return new CheckpointStore(objects, manifests);
  }

  /** Where the object with this hash lives. */
  objectPath(hash: string): string {
    return join(this.objects, hash.slice(0, 2), hash);
  }

  /** Whether the object with this hash is stored. */
  async hasObject(hash: string): Promise<boolean> {
    return stat(this.objectPath(hash)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** Reads and verifies manifest `id`; a StateError when it is missing or damaged. */
  async readManifest(id: string): Promise<Manifest> {
    const path = join(this.manifests, `${id}.json`);
    if (!isContentId(id)) throw new StateError(`"${id}" is not a checkpoint id`, path);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      throw new StateError(`checkpoint ${id} is not in this volume's store`, path, { cause: error });
    }
    const manifest = decodeManifest(data, id);
    if (!manifest) throw new StateError(`checkpoint ${id} is damaged`, path);
    return manifest;
  }

  /**
   * Records the workspace as it is now as the checkpoint of `turn`; `previous` (the last
   * checkpoint's manifest) lets unchanged files keep their hash without being read.
   */
  async capture(workspace: string, turn: number, previous: Manifest | undefined): Promise<CapturedCheckpoint> {
    const known = new Map<string, FileEntry>();
    for (const entry of previous?.entries ?? []) if (entry.type === "file") known.set(entry.path, entry);
    const unreadable: string[] = [];
    const scanned = await scanWorkspace(workspace, unreadable);
    // Files new or changed since the previous manifest are read (and stored when new), several at once.
    const files = new Map<string, FileEntry>();
    const toRead = scanned.filter((found) => {
      if (found.type !== "file") return false;
      const before = known.get(found.path);
      const s = found.stats;
      const same = before && before.size === Number(s.size) && before.mtimeNs === s.mtimeNs.toString() && before.ctimeNs === s.ctimeNs.toString() && before.ino === s.ino.toString();
      if (same) files.set(found.path, before);
      return !same;
    });
    const stored = await mapConcurrently(toRead, (found) => this.storeFile(found.absolute));
    const touchedDirectories = new Set<string>();
    const writtenObjects = new Set<string>();
    let storedBytes = 0;
    toRead.forEach((found, index) => {
      const result = stored[index];
      if (found.type !== "file" || result === undefined) return;
      if (result === "unreadable") unreadable.push(found.path);
      if (result === "unreadable" || result === "gone") return;
      // Two files with the same new content may both have written the object (the same bytes under one name).
      if (result.written && !writtenObjects.has(result.hash)) {
        writtenObjects.add(result.hash);
        storedBytes += result.size;
        // The fan-out directory may be new: its entry in objects/ must be durable too.
        touchedDirectories.add(dirname(this.objectPath(result.hash))).add(this.objects);
      }
      const s = found.stats;
      files.set(found.path, { type: "file", path: found.path, hash: result.hash, mode: 0, size: result.size, mtimeNs: s.mtimeNs.toString(), ctimeNs: s.ctimeNs.toString(), ino: s.ino.toString() });
    });
    const entries: ManifestEntry[] = [];
    for (const found of scanned) {
      if (found.type === "link") {
        entries.push({ type: "link", path: found.path, target: found.target });
        continue;
      }
      const mode = Number(found.stats.mode & 0o7777n);
      if (found.type === "dir") entries.push({ type: "dir", path: found.path, mode });
      else {
        const file = files.get(found.path);
        if (file) entries.push({ ...file, mode });
      }
    }
    await mapConcurrently([...touchedDirectories], fsyncDirectory);
    const manifest: Manifest = { version: 1, turn, entries };
    const data = encodeManifest(manifest);
    const id = sha256(data);
    await writeFileAtomic(join(this.manifests, `${id}.json`), data);
    return { id, manifest, ...manifestTotals(manifest), storedBytes, filesRead: toRead.length, unreadable };
  }

  /**
   * Copies a file into the store while hashing it (one read): to a temporary file, fsync'd, then
   * renamed to its hash unless that object exists. "gone" when the file vanished meanwhile,
   * "unreadable" when the daemon may not read it.
   */
  private async storeFile(path: string): Promise<{ hash: string; size: number; written: boolean } | "gone" | "unreadable"> {
    let source;
    try {
      source = await open(path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone";
      if ((error as NodeJS.ErrnoException).code === "EACCES") return "unreadable";
      throw error;
    }
    const temporary = join(this.objects, `${temporaryPrefix}${randomBytes(6).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    try {
      const target = await open(temporary, "w", 0o600);
      try {
        const buffer = Buffer.allocUnsafe(chunkBytes);
        for (;;) {
          const { bytesRead } = await source.read(buffer, 0, chunkBytes, null);
          if (bytesRead === 0) break;
          const chunk = buffer.subarray(0, bytesRead);
          hash.update(chunk);
          await target.write(chunk);
          size += bytesRead;
        }
        // Data and size only: the rename and the directory fsync make the name durable.
        await target.datasync();
      } finally {
        await target.close();
      }
      const digest = hash.digest("hex");
      const object = this.objectPath(digest);
      if (await this.hasObject(digest)) {
        await rm(temporary, { force: true });
        return { hash: digest, size, written: false };
      }
      await mkdir(join(this.objects, digest.slice(0, 2)), { recursive: true, mode: 0o700 });
      await rename(temporary, object);
      return { hash: digest, size, written: true };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    } finally {
      await source.close();
    }
  }
}
