/** Entry point of the OpenAPI plugin, run by `buf generate` (see buf.gen.yaml). */
import { runNodeJs } from "@bufbuild/protoplugin";
import { openApiPlugin } from "./openapi-plugin.js";

runNodeJs(openApiPlugin);
