// The extension's icon: a terminal prompt with a spark (an agent at work).
// Lab icons follow the theme through the jp-icon3 fill class.

import { LabIcon } from "@jupyterlab/ui-components";

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h18a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zm1 2v12h16V6H4z"/>
    <path d="M6.3 8.3l3.7 3.7-3.7 3.7-1.4-1.4L7.2 12 4.9 9.7z"/>
    <path d="M11 14.5h4v1.8h-4z"/>
    <path d="M17.5 7l.6 1.6 1.6.6-1.6.6-.6 1.6-.6-1.6-1.6-.6 1.6-.6z"/>
  </g>
</svg>`;

export const agentsIcon = new LabIcon({ name: "jupyter-ccmanager:agents", svgstr: SVG });
