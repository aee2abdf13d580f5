/**
 * netform: declarative, typed infrastructure-as-code for Linux host networking.
 *
 * A manifest's default export is a topology built with {@linkcode topology}.
 * Run directly, this module is the command-line interface.
 *
 * @module
 */
export { topology } from "./src/manifest/topology.ts";
export type * from "./src/manifest/topology.ts";
export type * from "./src/model/state.ts";
export type * from "./src/model/operations.ts";
export type { Driver } from "./src/drivers/driver.ts";
export * from "./src/errors.ts";

if (import.meta.main) {
  const { main } = await import("./src/cli/main.ts");
  Deno.exit(await main(Deno.args));
}
