/**
 * Runs file work for checkpoints a few at a time: storing or comparing files is dominated by
 * fsync and read latency, and the file system commits concurrent fsyncs together, so a small
 * pool makes the first checkpoint of a large workspace many times faster than one file at a time.
 */

/** How many files a checkpoint stores or compares at once. */
export const fileConcurrency = 16;

/** Calls `work` for every item, at most `limit` at a time; results keep the items' order. The first failure rejects (after running work settles). */
export async function mapConcurrently<T, R>(items: readonly T[], work: (item: T) => Promise<R>, limit = fileConcurrency): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return results;
}
