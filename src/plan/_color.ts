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
  if (!enabled) {
    return {
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
      cyan: identity,
    };
  }
  return {
    bold: style(1, 22),
    dim: style(2, 22),
    red: style(31, 39),
    green: style(32, 39),
    yellow: style(33, 39),
    cyan: style(36, 39),
  };
}
