// Follows the host's light/dark theme: JupyterLab / Notebook 7 (CSS variables
// --jp-* and body[data-jp-theme-light]), VS Code notebooks (--vscode-* and
// body.vscode-dark), else the browser's prefers-color-scheme.

const DARK_ANSI = {
  black: "#000000", red: "#cd3131", green: "#0dbc79", yellow: "#e5e510",
  blue: "#2472c8", magenta: "#bc3fbc", cyan: "#11a8cd", white: "#e5e5e5",
  brightBlack: "#666666", brightRed: "#f14c4c", brightGreen: "#23d18b",
  brightYellow: "#f5f543", brightBlue: "#3b8eea", brightMagenta: "#d670d6",
  brightCyan: "#29b8db", brightWhite: "#ffffff",
};

// Darker hues: the standard ones (yellow, cyan) are unreadable on white.
const LIGHT_ANSI = {
  black: "#000000", red: "#cd3131", green: "#00a000", yellow: "#949800",
  blue: "#0451a5", magenta: "#bc05bc", cyan: "#0598bc", white: "#555555",
  brightBlack: "#666666", brightRed: "#cd3131", brightGreen: "#14ce14",
  brightYellow: "#b5ba00", brightBlue: "#0451a5", brightMagenta: "#bc05bc",
  brightCyan: "#0598bc", brightWhite: "#a5a5a5",
};

const DEFAULT_FONT = "Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace";

/** Is the host page dark? */
export function isDark() {
  const body = document.body;
  const jp = body?.dataset.jpThemeLight;
  if (jp === "true" || jp === "false") return jp === "false";
  if (body?.classList.contains("vscode-light") || body?.classList.contains("vscode-high-contrast-light")) return false;
  if (body?.classList.contains("vscode-dark") || body?.classList.contains("vscode-high-contrast")) return true;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

/**
 * xterm.js options (theme, font) for the element's current theme.
 * @param {Element} el
 */
export function readTheme(el) {
  const style = getComputedStyle(el);
  /** @type {(...names: string[]) => string} the first of these CSS variables that is set */
  const pick = (...names) => {
    for (const name of names) {
      const value = style.getPropertyValue(name).trim();
      if (value) return value;
    }
    return "";
  };
  const dark = isDark();
  const background = opaque(
    pick("--jp-layout-color0", "--vscode-terminal-background", "--vscode-editor-background"),
    dark ? "#1e1e1e" : "#ffffff",
  );
  const foreground = opaque(
    pick("--jp-ui-font-color0", "--vscode-terminal-foreground", "--vscode-editor-foreground"),
    dark ? "#e6e6e6" : "#1e1e1e",
  );
  const fontSize = parseFloat(pick("--jp-code-font-size", "--vscode-editor-font-size")) || 13;
  return {
    dark,
    fontFamily: pick("--jp-code-font-family", "--vscode-editor-font-family") || DEFAULT_FONT,
    fontSize,
    theme: {
      ...(dark ? DARK_ANSI : LIGHT_ANSI),
      background,
      foreground,
      cursor: foreground,
      cursorAccent: background,
      selectionBackground: dark ? "rgba(255,255,255,0.3)" : "rgba(0,0,0,0.2)",
    },
  };
}

/**
 * Calls `onChange` when the host theme may have changed; returns a stop function.
 * @param {() => void} onChange
 */
export function watchTheme(onChange) {
  /** @type {ReturnType<typeof setTimeout>[]} */
  let timers = [];
  const fire = () => {
    // Lab flips the body attribute before the new theme's CSS has loaded:
    // read again a little later too.
    timers.forEach(clearTimeout);
    onChange();
    timers = [setTimeout(onChange, 150), setTimeout(onChange, 600)];
  };
  const observer = new MutationObserver(fire);
  observer.observe(document.body, {
    attributes: true,
    attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"],
  });
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", fire);
  return () => {
    observer.disconnect();
    media?.removeEventListener?.("change", fire);
    timers.forEach(clearTimeout);
  };
}

// Any CSS colour -> an opaque one xterm.js renders predictably (Lab's colours
// may be names or rgba()).
/** @type {CanvasRenderingContext2D | null | undefined} */
let ctx;
/**
 * @param {string} color
 * @param {string} fallback
 */
function opaque(color, fallback) {
  if (!color) return fallback;
  ctx ??= document.createElement("canvas").getContext("2d");
  if (!ctx) return color;
  ctx.fillStyle = fallback;
  ctx.fillStyle = color; // ignored when invalid: then the fallback stays
  const parsed = ctx.fillStyle;
  const m = /^rgba\((\d+), (\d+), (\d+), ([\d.]+)\)$/.exec(parsed);
  if (!m) return parsed;
  // Blend a translucent colour over the page: near-black when dark, else white.
  const base = isDark() ? 30 : 255;
  const a = Number(m[4]);
  /** @param {string} c one channel, 0-255 */
  const mix = (c) => Math.round(Number(c) * a + base * (1 - a)).toString(16).padStart(2, "0");
  return `#${mix(m[1])}${mix(m[2])}${mix(m[3])}`;
}
