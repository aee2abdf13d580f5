/**
 * Minimal ANSI styling in the manner of picocolors, with no environment or
 * terminal detection of its own: callers decide (see `shouldUseColor` in
 * `render.ts`), so rendering never needs `--allow-env`.
 *
 * @module
 */

/** A style function: wraps text in an SGR sequence, or returns it unchanged. */
export type Style = (text: string) => string;

export interface Colors {
  bold: Style;
  dim: Style;
  red: Style;
  green: Style;
  yellow: Style;
  cyan: Style;
}

/** Each style's SGR parameters: the one that opens it and the one that closes it. */
const CODES: Readonly<Record<keyof Colors, readonly [open: number, close: number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/**
 * Every escape sequence these styles write, and nothing else: the output
 * boundary (`src/cli/output.ts`) lets exactly these through when colour is on
 * and escapes every other ESC.
 */
export const OWN_SEQUENCES: RegExp = new RegExp(
  `\x1b\\[(?:${[...new Set(Object.values(CODES).flat())].join("|")})m`,
  "g",
);

const identity: Style = (text) => text;

function style(open: number, close: number): Style {
  const openSeq = `\x1b[${open}m`;
  const closeSeq = `\x1b[${close}m`;
  // Like picocolors: re-open after any nested close so outer styles survive.
  return (text) =>
    text === "" ? "" : openSeq + text.replaceAll(closeSeq, closeSeq + openSeq) + closeSeq;
}

/** Styles that emit ANSI codes when `enabled`, or leave text untouched. */
export function createColors(enabled: boolean): Colors {
  const styles = Object.fromEntries(
    Object.entries(CODES).map((
      [name, [open, close]],
    ) => [name, enabled ? style(open, close) : identity]),
  );
  return styles as unknown as Colors;
}
