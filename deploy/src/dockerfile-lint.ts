/**
 * A Dockerfile checker for the rules deploy/images must keep (no Docker engine runs in CI):
 * pinned bases, a non-root final stage, production-only installs, a health check, OCI labels.
 */

/** One instruction: its keyword (upper case), its arguments, and the line it starts on. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Splits a Dockerfile into instructions, joining continuation lines and dropping comments. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === "" || line.trimStart().startsWith("#"))) return;
    if (pending && line.trimStart().startsWith("#")) return;
    const continued = line.endsWith("\\");
    const body = continued ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${body.trim()}`, line: pending.line } : { text: body.trim(), line: index + 1 };
    if (continued) return;
    const [keyword = "", ...rest] = pending.text.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(" "), line: pending.line });
    pending = undefined;
  });
  return instructions;
}

const requiredLabels = ["org.opencontainers.image.title", "org.opencontainers.image.source", "org.opencontainers.image.licenses"];
const buildTools = /\b(build-essential|gcc|g\+\+|make|python3-dev|libc6-dev)\b/;

/** The rule violations of a Dockerfile, each with its line; empty when it is fine. */
export function lintDockerfile(text: string): string[] {
  const instructions = parseDockerfile(text);
  const problems: string[] = [];
  const stages: Instruction[][] = [];
  for (const i of instructions) {
    if (i.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(i);
  }
  if (stages.length < 2) problems.push("not multi-stage");
  const stageNames = new Set(instructions.filter((i) => i.keyword === "FROM").map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]?.toLowerCase()));
  for (const from of instructions.filter((i) => i.keyword === "FROM")) {
    const image = from.args.split(/\s+/).find((a) => !a.startsWith("--")) ?? "";
    if (stageNames.has(image.toLowerCase())) continue;
    if (image.includes("$")) problems.push(`line ${from.line}: base ${image} comes from a build argument`);
    const tag = /^[^@]*?:([^:/@]+)(@sha256:[0-9a-f]{64})?$/.exec(image.split("@")[0] ?? "")?.[1];
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    if (!digest && (!tag || tag === "latest" || !/\d+\.\d+\.\d+/.test(tag))) problems.push(`line ${from.line}: base ${image} is not pinned to an exact version or digest`);
    if (!/^node:24[.-]/.test(image)) problems.push(`line ${from.line}: base ${image} is not Node 24`);
  }
  const final = stages.at(-1) ?? [];
  const users = final.filter((i) => i.keyword === "USER");
  const user = users.at(-1)?.args.split(":")[0];
  if (!user) problems.push("the final stage sets no USER");
  else if (user === "root" || user === "0") problems.push(`the final stage runs as ${user}`);
  if (!final.some((i) => i.keyword === "HEALTHCHECK" && !/^NONE$/i.test(i.args))) problems.push("the final stage has no HEALTHCHECK");
  const labels = final.filter((i) => i.keyword === "LABEL").map((i) => i.args).join(" ");
  for (const label of requiredLabels) if (!labels.includes(`${label}=`)) problems.push(`label ${label} missing`);
  const installs = instructions.filter((i) => i.keyword === "RUN" && /\bnpm (ci|install|i)\b/.test(i.args));
  if (installs.length === 0) problems.push("no npm ci");
  // A build stage may install dev dependencies (esbuild) when the image takes only its output, never its node_modules.
  const shipsNodeModules = (stage: Instruction[]): boolean => {
    if (stage === final) return true;
    const name = /\bAS\s+(\S+)/i.exec(stage[0]?.args ?? "")?.[1]?.toLowerCase();
    const copies = final.filter((i) => i.keyword === "COPY" && name !== undefined && i.args.toLowerCase().includes(`--from=${name} `));
    return copies.some((c) => c.args.split(/\s+/).filter((a) => !a.startsWith("--")).slice(0, -1).some((source) => source.includes("node_modules") || /^\/(app\/?)?$/.test(source)));
  };
  for (const run of installs) {
    if (!/\bnpm ci\b/.test(run.args)) problems.push(`line ${run.line}: npm install instead of npm ci`);
    const stage = stages.find((st) => st.includes(run));
    if (!/--omit=dev\b/.test(run.args) && (!stage || shipsNodeModules(stage))) problems.push(`line ${run.line}: npm ci without --omit=dev`);
  }
  for (const run of final.filter((i) => i.keyword === "RUN")) {
    if (buildTools.test(run.args)) problems.push(`line ${run.line}: build tools in the final stage`);
    if (/apt-get install/.test(run.args) && !/--no-install-recommends/.test(run.args)) problems.push(`line ${run.line}: apt-get install without --no-install-recommends`);
    if (/apt-get install/.test(run.args) && !/rm -rf \/var\/lib\/apt\/lists/.test(run.args)) problems.push(`line ${run.line}: apt lists left in the layer`);
  }
  if (final.some((i) => i.keyword === "ADD")) problems.push("ADD in the final stage (use COPY)");
  const entry = final.filter((i) => i.keyword === "ENTRYPOINT" || i.keyword === "CMD");
  for (const e of entry) if (!e.args.startsWith("[")) problems.push(`line ${e.line}: ${e.keyword} in shell form (signals would go to sh)`);
  return problems;
}
