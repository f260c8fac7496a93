// build.mjs loads .css imports as text (esbuild's "text" loader): the bundle
// injects them into <style> elements itself.
declare module "*.css" {
  const css: string;
  export default css;
}
