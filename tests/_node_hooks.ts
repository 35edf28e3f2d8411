// Node's preload for the suite (`node --import ./tests/_node_hooks.ts --test ...`): resolves
// `@std/assert` to tests/_assert.ts, as deno.json's import map and tsconfig.json's paths do for
// Deno and Bun.
import { registerHooks } from "node:module";

const ASSERT = new URL("./_assert.ts", import.meta.url).href;

registerHooks({
  resolve(specifier, context, next) {
    return next(specifier === "@std/assert" ? ASSERT : specifier, context);
  },
});
