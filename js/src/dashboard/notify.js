// Desktop notifications when a session starts waiting for a person, plus the
// page title ("(2) waiting · …"), which works even without permission.
// Off until the person asks (browsers only allow asking after a click); the
// choice is remembered per browser.

const KEY = "jupyter-ccmanager.dashboard.notify";
// A bell (and a slash when off) as inline SVG: emoji fonts are not everywhere.
const BELL = '<path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/>';
const SLASH = '<path d="M3 3l18 18"/>';

export class Notifier {
  /** @param {(id: string) => void} onClick open that session */
  constructor(onClick) {
    this.onClick = onClick;
    this.baseTitle = document.title;
    this.supported = typeof window.Notification === "function";
    this.enabled = this.supported && localStorage.getItem(KEY) === "on" && Notification.permission === "granted";
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "ccmd-btn ccmd-notify";
    this.button.addEventListener("click", () => this.toggle());
    this._sync();
  }

  async toggle() {
    if (!this.supported) return;
    if (this.enabled) {
      this.enabled = false;
    } else {
      let permission = Notification.permission;
      if (permission === "default") permission = await Notification.requestPermission();
      this.enabled = permission === "granted";
    }
    localStorage.setItem(KEY, this.enabled ? "on" : "off");
    this._sync();
  }

  /**
   * A session just entered `waiting`. Say so unless the person is already
   * looking at it (page visible, focused, its terminal open).
   * @param {import("../types/session").Session} model
   * @param {boolean} watching its terminal is the one open
   */
  waiting(model, watching) {
    if (!this.enabled || Notification.permission !== "granted") return;
    if (watching && document.visibilityState === "visible" && document.hasFocus()) return;
    const detail = model.state_detail ? ` (${model.state_detail})` : "";
    // `renotify` (alert again for a replaced notice) is in the spec and in
    // Chromium, not in TypeScript's DOM types.
    /** @type {NotificationOptions & {renotify: boolean}} */
    const options = {
      body: `${model.agent} · ${model.cwd || ""}`,
      tag: `ccmanager-${model.id}`, // one notice per session, replaced, not stacked
      renotify: true,
    };
    try {
      const note = new Notification(`${model.name} is waiting for you${detail}`, options);
      note.onclick = () => {
        window.focus();
        this.onClick(model.id);
        note.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker: the title still tells.
    }
  }

  /**
   * Keep the tab title saying how many sessions wait.
   * @param {number} n
   */
  setWaitingCount(n) {
    document.title = n > 0 ? `(${n}) waiting · ${this.baseTitle}` : this.baseTitle;
  }

  _sync() {
    const b = this.button;
    if (!this.supported) {
      label(b, false, "No notifications");
      b.disabled = true;
      b.title = "This browser has no desktop notifications.";
      return;
    }
    const denied = Notification.permission === "denied";
    label(b, this.enabled, this.enabled ? "Notifying" : "Notify me");
    b.classList.toggle("on", this.enabled);
    b.setAttribute("aria-pressed", String(this.enabled));
    b.disabled = denied && !this.enabled;
    b.title = denied
      ? "Notifications are blocked for this site in the browser's settings."
      : this.enabled
        ? "Desktop notifications when a session starts waiting are on (click to turn off)."
        : "Get a desktop notification when a session starts waiting for you.";
  }
}

/**
 * @param {HTMLButtonElement} button
 * @param {boolean} on
 * @param {string} text
 */
function label(button, on, text) {
  const svg = `<svg viewBox="0 0 24 24" aria-hidden="true">${BELL}${on ? "" : SLASH}</svg>`;
  button.innerHTML = svg;
  button.append(text);
}
