/** Root hooks for every mocha run: shared resources (the database) are released once at the end. */
import { releaseSharedResources } from "./shared-resources.js";

/** Mocha root hooks: release shared resources after the whole run. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await releaseSharedResources();
  },
};
