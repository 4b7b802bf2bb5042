// Builds the console into dist/ for the control plane to serve at /: hashed names under
// assets/ (cached for good), no inline scripts or styles (the page's CSP forbids them).
// A plain object rather than defineConfig(): the lint's import resolver cannot resolve "vite".
export default {
  root: import.meta.dirname,
  base: "/",
  publicDir: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    reportCompressedSize: false,
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
};
