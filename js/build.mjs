// Bundles the widget, the dashboard page and the dashboard widget into ../jupyter_ccmanager/static/ (ES modules, CSS inlined).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const options = {
  entryPoints: {
    widget: "src/widget.js",
    dashboard: "src/dashboard.js",
    "dashboard-widget": "src/dashboard-widget.js",
  },
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: !watch,
  sourcemap: false,
  outdir: "../jupyter_ccmanager/static",
  loader: { ".css": "text" },
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
