// Handles the bundles leave on the page for tests (tests/*.py drive a real
// browser) and for debugging from the console.
import type { TerminalView } from "../terminal/view.js";

declare global {
  interface HTMLElement {
    /** on a TerminalView's root element (.ccm-term) */
    ccmView?: TerminalView | null;
    /** on the dashboard widget's root element (.ccmdw) */
    ccmDashboard?: object;
  }
  interface Window {
    /** the dashboard page's parts */
    ccmDashboard?: object;
    /** the JupyterLab extension's parts (src/lab/index.js) */
    ccmLab?: object;
  }
}
