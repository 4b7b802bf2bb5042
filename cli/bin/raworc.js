#!/usr/bin/env node
// The installed `raworc` command: the CLI ships as TypeScript and runs through tsx's loader.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
