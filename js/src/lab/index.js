// The JupyterLab extension (prebuilt by @jupyterlab/builder into the wheel):
// an Agents sidebar, sessions as main-area tabs (restored after a reload), a
// status-bar count of waiting sessions, notifications when one starts
// waiting, a Running-panel section, a Launcher card and palette commands.
// Everything reads one AgentSessions (the dashboard's store and live feed)
// and shows terminals with the widget's TerminalView.

import { ILayoutRestorer } from "@jupyterlab/application";
import { ICommandPalette, WidgetTracker } from "@jupyterlab/apputils";
import { IDefaultFileBrowser } from "@jupyterlab/filebrowser";
import { ILauncher } from "@jupyterlab/launcher";
import { IRunningSessionManagers } from "@jupyterlab/running";
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import { IStatusBar } from "@jupyterlab/statusbar";

import { setStyle } from "../common/dom.js";
import dashboardCss from "../dashboard/dashboard.raw.css";
import widgetCss from "../dashboard/widget.raw.css";
import { injectStyles } from "../terminal/styles.js";
import { originServer, serverFromPage } from "../transport/pageconfig.js";
import { CMD, addCommands, showFailure } from "./commands.js";
import labCss from "./lab.raw.css";
import { AgentSessions } from "./model.js";
import { WaitingNotifier } from "./notify.js";
import { runningManager } from "./running.js";
import { AgentsSidebar } from "./sidebar.js";
import { WaitingStatus } from "./status.js";
import { DiffTab } from "./difftab.js";
import { SessionTab } from "./tab.js";

/** @typedef {import("@jupyterlab/application").JupyterFrontEnd} JupyterFrontEnd */
/** @typedef {import("@jupyterlab/filebrowser").IDefaultFileBrowser} FileBrowser */

const PLUGIN_ID = "jupyter-ccmanager:plugin";
const STYLE_ID = "jupyter-ccmanager-lab-styles";

/** @type {import("@jupyterlab/application").JupyterFrontEndPlugin<void>} */
const plugin = {
  id: PLUGIN_ID,
  description: "Agent sessions in JupyterLab: sidebar, tabs, notifications, status bar, Running panel, Launcher.",
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ILauncher, IStatusBar, IRunningSessionManagers, ISettingRegistry, IDefaultFileBrowser],
  activate,
};

/**
 * @param {JupyterFrontEnd} app
 * @param {ILayoutRestorer | null} restorer
 * @param {ICommandPalette | null} palette
 * @param {ILauncher | null} launcher
 * @param {IStatusBar | null} statusBar
 * @param {IRunningSessionManagers | null} running
 * @param {ISettingRegistry | null} settingRegistry
 * @param {FileBrowser | null} browser
 */
function activate(app, restorer, palette, launcher, statusBar, running, settingRegistry, browser) {
  injectStyles(document);
  setStyle(document, STYLE_ID, `${dashboardCss}\n${widgetCss}\n${labCss}`);
  const sessions = new AgentSessions(serverFromPage() || originServer());
  const settings = { notifications: true, openOnCreate: true, defaultAgent: "claude" };
  const currentFolder = () => browser?.model.path ?? "";

  /** @type {WidgetTracker<SessionTab>} */
  const tracker = new WidgetTracker({ namespace: "jupyter-ccmanager" });

  /**
   * Show the session's tab, opening one if needed; null if there is no such session.
   * @param {string} id
   */
  async function open(id) {
    const existing = tracker.find((tab) => tab.sessionId === id);
    if (existing) {
      app.shell.activateById(existing.id);
      return existing;
    }
    await sessions.ready;
    if (!sessions.get(id)) return null; // e.g. a restored tab of a deleted session
    const tab = new SessionTab(sessions, id);
    await tracker.add(tab);
    app.shell.add(tab, "main");
    app.shell.activateById(tab.id);
    return tab;
  }
  /** @param {string} id */
  const openQuietly = (id) => {
    open(id).catch((err) => showFailure("Could not open the session", err));
  };
  /** @param {import("../types/session").Session} model */
  const onCreated = (model) => {
    if (settings.openOnCreate) openQuietly(model.id);
  };

  /** @param {string} id a worktree session: its changes in a tab of their own */
  const openDiff = (id) => {
    const tabId = `ccm-diff-${id}`;
    if (!document.getElementById(tabId)) app.shell.add(new DiffTab(sessions, id), "main");
    app.shell.activateById(tabId);
  };
  const sidebar = new AgentsSidebar({ sessions, onOpen: openQuietly, onCreated, currentFolder, onDiff: openDiff });
  app.shell.add(sidebar, "left", { rank: 650 });
  const showSidebar = () => app.shell.activateById(sidebar.id);
  browser?.model.pathChanged.connect(() => sidebar.followFolder());
  app.shell.currentChanged?.connect(() => {
    const current = app.shell.currentWidget;
    sidebar.select(current instanceof SessionTab ? current.sessionId : null);
  });

  addCommands({
    commands: app.commands,
    sessions,
    open,
    onCreated,
    currentFolder,
    defaultAgent: () => settings.defaultAgent,
    showSidebar,
  });
  for (const command of [CMD.create, CMD.createWorktree, CMD.open, CMD.stop, CMD.resume, CMD.sidebar]) {
    palette?.addItem({ command, category: "Agent Sessions", args: { isPalette: true } });
  }
  launcher?.add({ command: CMD.create, args: { agent: "claude", isLauncher: true }, category: "Other", rank: 0 });

  if (restorer) {
    restorer.add(sidebar, "jupyter-ccmanager-agents");
    restorer.restore(tracker, {
      command: CMD.open,
      args: (tab) => ({ id: tab.sessionId }),
      name: (tab) => tab.sessionId,
    });
  }

  const notifier = new WaitingNotifier(sessions, openQuietly);
  if (statusBar) {
    const status = new WaitingStatus(sessions, showSidebar);
    statusBar.registerStatusItem("jupyter-ccmanager:waiting", {
      item: status,
      align: "left",
      rank: 50,
      isActive: () => status.count > 0,
      activeStateChanged: status.activeChanged,
    });
  }
  running?.add(runningManager(sessions, openQuietly, (text, err) => showFailure(text, err)));

  if (settingRegistry) {
    settingRegistry
      .load(PLUGIN_ID)
      .then((loaded) => {
        const apply = () => {
          settings.notifications = loaded.get("notifications").composite !== false;
          settings.openOnCreate = loaded.get("openOnCreate").composite !== false;
          const agent = loaded.get("defaultAgent").composite;
          settings.defaultAgent = typeof agent === "string" && agent ? agent : "claude";
          notifier.enabled = settings.notifications;
        };
        apply();
        loaded.changed.connect(apply);
      })
      .catch(() => {
        // No settings (e.g. the schema is missing in a dev build): keep the defaults.
      });
  }

  sessions.start();
  // Handles for tests and debugging, like the dashboard's window.ccmDashboard.
  window.ccmLab = { sessions, tracker, sidebar, notifier, settings, open };
}

export default [plugin];
