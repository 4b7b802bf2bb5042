/** A registry of process-wide test resources (such as the embedded database) released after the run. */
type Release = () => Promise<void>;
const releases: Release[] = [];

/** Registers a release function to run once, after every test has finished. */
export function onRelease(release: Release): void {
  releases.push(release);
}

/** Runs every registered release function, last registered first. */
export async function releaseSharedResources(): Promise<void> {
  while (releases.length > 0) await releases.pop()?.();
}
