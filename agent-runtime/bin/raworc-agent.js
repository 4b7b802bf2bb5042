#!/usr/bin/env node
// The installed `raworc-agent` command: the daemon ships as TypeScript and runs through tsx's loader.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
