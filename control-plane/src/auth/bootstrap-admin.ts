/**
 * First start: creates the global `admin` service account. Its password comes from
 * RAWORC_ADMIN_PASSWORD, or is generated and written once to a 0600 file in the data
 * directory. There is never a fixed default password.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServiceAccountStore } from "../store/service-accounts.js";
import { hashPassword } from "./passwords.js";

/** The bootstrap account's name. */
export const adminAccountName = "admin";

/** What bootstrapping did. */
export type BootstrapOutcome =
  | { readonly created: false }
  | { readonly created: true; readonly passwordFile: string | undefined };

/** Where a generated admin password is kept. */
export function adminPasswordFile(dataDir: string): string {
  return join(dataDir, "admin-password");
}

/** Creates the admin account unless it exists. */
export async function bootstrapAdmin(
  accounts: ServiceAccountStore,
  options: { dataDir: string; adminPassword: string | undefined },
): Promise<BootstrapOutcome> {
  if (await accounts.find("", adminAccountName)) return { created: false };
  let password = options.adminPassword;
  let passwordFile: string | undefined;
  if (password === undefined) {
    passwordFile = adminPasswordFile(options.dataDir);
    // Reuse a password written earlier (e.g. the database was reset): the file is written once.
    if (existsSync(passwordFile)) password = (await readFile(passwordFile, "utf8")).trim();
    else {
      password = randomBytes(18).toString("base64url");
      await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
      await writeFile(passwordFile, password + "\n", { mode: 0o600, flag: "wx" });
      await chmod(passwordFile, 0o600);
    }
  }
  try {
    await accounts.create(
      { namespace: "", name: adminAccountName },
      { description: "Bootstrap administrator", active: true, labels: {}, annotations: {} },
      await hashPassword(password),
    );
  } catch (error) {
    // Another replica bootstrapped first.
    if (error instanceof ConnectError && error.code === Code.AlreadyExists) return { created: false };
    throw error;
  }
  return { created: true, passwordFile };
}
