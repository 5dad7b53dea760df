// Offline, deterministic build of the playground: type-check (tsc), bundle src/main.ts with esbuild into one
// minified ES module, copy the static files. Output: dist/ (index.html, favicon.svg, app.js, app.css).
// No inline script or style anywhere: the site's Content-Security-Policy is default-src 'self' without
// 'unsafe-inline', so index.html only links /app.js and /app.css.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");

try {
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", root], { stdio: "inherit" });
} catch {
  console.error("playground: type check failed (tsc --noEmit)");
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(root, "src", "main.ts")],
  outfile: join(dist, "app.js"),
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["index.html", "favicon.svg", "src/app.css"]) {
  copyFileSync(join(root, file), join(dist, file.replace(/^src\//, "")));
}
