/**
 * The API's documentation: the OpenAPI document generated from the .proto files (JSON and
 * YAML) and Swagger UI from the installed swagger-ui-dist package, configured to fetch nothing
 * but this server.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { docsPolicy } from "./content-security.js";
import type { StaticFile } from "./static-files.js";

const require = createRequire(import.meta.url);

/** Path of the generated OpenAPI document in the proto package, by extension ("json" or "yaml"). */
export function openApiDocumentPath(extension: "json" | "yaml"): string {
  return require.resolve(`@raworc/proto/gen/openapi/raworc.${extension}`);
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Raworc API</title>
<link rel="stylesheet" href="swagger-ui.css">
<link rel="icon" type="image/png" href="favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="raworc-docs.js"></script>
</body>
</html>
`;

// A file rather than an inline script, so the page's policy can forbid inline scripts. The
// validator badge is off: it would send the document to a third-party service.
const initializer = `window.ui = SwaggerUIBundle({
  url: "../openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  supportedSubmitMethods: ["post"],
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
});
`;

/** The files of /openapi.{json,yaml} and /docs/, keyed by URL path. */
export function apiDocFiles(): Map<string, StaticFile> {
  const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));
  const docs = { headers: { "content-security-policy": docsPolicy } };
  const fromSwagger = (name: string): StaticFile => ({ source: { path: join(swagger, name) }, cache: "revalidate", ...docs });
  return new Map<string, StaticFile>([
    ["/openapi.json", { source: { path: openApiDocumentPath("json") }, cache: "revalidate" }],
    ["/openapi.yaml", { source: { path: openApiDocumentPath("yaml") }, cache: "revalidate" }],
    ["/docs/", { source: { bytes: page }, cache: "revalidate", ...docs }],
    ["/docs/raworc-docs.js", { source: { bytes: initializer }, cache: "revalidate", ...docs }],
    ["/docs/swagger-ui.css", fromSwagger("swagger-ui.css")],
    ["/docs/swagger-ui-bundle.js", fromSwagger("swagger-ui-bundle.js")],
    ["/docs/favicon-32x32.png", fromSwagger("favicon-32x32.png")],
  ]);
}
