// The shell of Twenty Sync's screens: navigation, live updates handed to the screen on show,
// the Status screen and its actions (Sync now, Pause/Resume, Set up sync), and what every screen
// shows when the agent stops answering (a banner, the state, stale panels, every action off).
// Talks to the agent only through `TwentySync.api` (transport.js), so it runs the same in the
// desktop app and in a browser.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const Chart = window.TwentySyncChart;
  const { $, fmt, when, ago, inFuture, say } = UI;

  // ---- state in words and colour -------------------------------------------------------------
  const STATES = {
    idle: { title: "In sync", tone: "good", detail: "Everything recorded is in Twenty." },
    pending: { title: "Waiting to sync", tone: "busy", detail: "Changes are recorded and will be sent shortly." },
    syncing: { title: "Syncing…", tone: "busy", detail: "Sending changes to Twenty." },
    offline: { title: "Offline", tone: "warn", detail: "Twenty cannot be reached. Changes are kept safely and sent when it is back." },
    paused: { title: "Paused", tone: "muted", detail: "Sending is paused. Changes are still recorded." },
    disabled: { title: "Sync is off", tone: "muted", detail: "The sync mode is “record only”: nothing is sent to Twenty." },
    "needs-attention": { title: "Needs attention", tone: "bad", detail: "Something needs you: see below." },
  };
  const NOT_SET_UP = {
    title: "Not set up yet",
    tone: "muted",
    detail: "Connect Twenty Sync to your Twenty workspace to start syncing: a server address, an API key and a test. Until then changes are recorded and wait.",
  };

  let latest = null; // the newest LiveUpdate
  let lostAt = null; // when the agent stopped answering

  function describe(s) {
    if (s.state === "disabled" && !UI.settings.configured()) return NOT_SET_UP;
    return STATES[s.state] || { title: s.state, tone: "muted", detail: "" };
  }

  function renderHero(s) {
    const info = describe(s);
    $("state-pill").dataset.tone = info.tone;
    $("state-pill-text").textContent = info.title;
    const hero = $("hero");
    hero.dataset.tone = info.tone;
    hero.dataset.state = s.state;
    $("hero-title").textContent = info.title;
    let detail = info.detail;
    if (s.state === "needs-attention") {
      detail = s.last_error
        ? s.last_error
        : s.failed > 0
          ? `${fmt(s.failed)} record${s.failed === 1 ? "" : "s"} failed: open Records to see why and retry.`
          : info.detail;
    }
    if (s.since && s.state !== "idle" && info !== NOT_SET_UP) detail += ` (since ${when(s.since)})`;
    $("hero-detail").textContent = detail;
    // The way forward while sync is off or the server and key are missing.
    const setup = s.state === "disabled" || (UI.settings.view && !UI.settings.configured());
    $("setup-open").hidden = !setup;
    $("sync-now").className = setup ? "secondary" : "";
  }

  function renderStatus(update) {
    latest = update;
    const s = update.status;
    renderHero(s);
    $("n-pending").textContent = fmt(s.pending);
    $("n-synced").textContent = fmt(s.synced);
    $("n-skipped").textContent = fmt(s.skipped_unchanged);
    $("n-failed").textContent = fmt(s.failed);
    $("n-failed").parentElement.dataset.alert = s.failed > 0 ? "yes" : "no";
    $("failed-link").hidden = !(s.failed > 0);
    const badge = $("failed-badge");
    badge.hidden = !(s.failed > 0);
    badge.textContent = s.failed > 0 ? `${fmt(s.failed)} failed` : "";

    if (s.rate_limit) {
      const used = s.requests_last_minute || 0;
      $("budget-text").textContent = `${fmt(used)} of ${fmt(s.rate_limit)} requests in the last minute`;
      $("budget-fill").style.width = `${Math.min(100, (100 * used) / s.rate_limit)}%`;
    } else {
      $("budget-text").textContent = "Not sending right now.";
      $("budget-fill").style.width = "0%";
    }
    $("last-push").textContent = s.last_push_at ? ago(s.last_push_at) : "Never";
    $("last-push-abs").textContent = s.last_push_at ? when(s.last_push_at) : "Nothing has been sent to Twenty yet.";

    const paused = update.enabled === false;
    $("pause-toggle").textContent = paused ? "Resume sync" : "Pause sync";
    $("pause-toggle").dataset.paused = paused ? "yes" : "no";

    $("offline-banner").hidden = s.state !== "offline";
    if (s.state === "offline") $("offline-text").textContent = offlineText(s);

    if (update.chart) {
      Chart.draw($("chart"), update.chart);
      $("chart-summary").textContent = Chart.summary(update.chart, s.pending);
    }
    const screen = UI.screens[UI.current];
    if (screen && screen.update) screen.update(update);
  }

  function offlineText(s) {
    const parts = [];
    if (s.since) parts.push(`Since ${when(s.since)}.`);
    parts.push("Your changes are kept safely and will be sent when it is back.");
    if (s.next_retry_at) parts.push(`Next try ${inFuture(s.next_retry_at)}.`);
    return parts.join(" ");
  }

  /** A sentence under the Status screen's state: what an action did, or why it did nothing. */
  function notify(text, tone) {
    const message = $("action-message");
    message.hidden = !text;
    say(message, text, tone === undefined ? "ok" : tone);
    message.classList.add("action-message");
  }
  UI.notify = notify;

  // ---- navigation -----------------------------------------------------------------------------
  const SCREENS = ["status", "activity", "records", "imports", "settings", "setup", "about"];

  function show(screen) {
    if (!SCREENS.includes(screen)) screen = "status";
    const first = UI.current === undefined;
    const previous = UI.screens[UI.current];
    if (previous && previous.leave && UI.current !== screen) previous.leave();
    UI.current = screen;
    for (const name of SCREENS) {
      $(`screen-${name}`).hidden = name !== screen;
      const link = document.querySelector(`.tabs a[data-screen="${name}"]`);
      if (!link) continue;
      const here = name === screen || (screen === "setup" && name === "settings");
      if (here) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (screen !== "status") notify("");
    const shown = UI.screens[screen];
    if (shown && shown.show) shown.show();
    if (!first) {
      window.scrollTo(0, 0);
      $("main").focus({ preventScroll: true });
    }
  }

  window.addEventListener("hashchange", () => show(location.hash.slice(1)));

  /** The settings changed (saved here or by the setup): the Status screen's way forward follows. */
  UI.settingsChanged = async () => {
    try {
      await UI.settings.load();
    } catch (error) {
      /* the next update shows what is known */
    }
    if (latest) renderHero(latest.status);
  };

  // ---- actions --------------------------------------------------------------------------------
  async function act(call) {
    try {
      const reply = await call();
      notify(reply.message || "Done.", reply.done === false ? "warn" : "ok");
    } catch (error) {
      if (error.unreachable) reachable(false);
      notify(error.message, "error");
    }
  }
  $("sync-now").addEventListener("click", () => act(() => api.syncNow()));
  $("offline-retry").addEventListener("click", () => act(() => api.syncNow()));
  $("pause-toggle").addEventListener("click", () => {
    const paused = $("pause-toggle").dataset.paused === "yes";
    act(() => api.setPaused(!paused));
  });

  // ---- the agent stops answering ---------------------------------------------------------------
  /** Every control that asks the agent something. */
  const actionable = () => [
    ...document.querySelectorAll("main button, .banner button, #file-input"),
  ];

  function reachable(ok) {
    if (ok === UI.reachable) return;
    UI.reachable = ok;
    document.body.dataset.agent = ok ? "answering" : "lost";
    $("lost-banner").hidden = ok;
    if (!ok) {
      lostAt = new Date();
      for (const control of actionable()) {
        if (!control.disabled) {
          control.disabled = true;
          control.dataset.offWhileLost = "yes";
        }
      }
      for (const link of document.querySelectorAll("main a.button, label.button")) link.setAttribute("aria-disabled", "true");
      const note = `Not live: the agent does not answer; this is what it showed at ${when(lostAt.toISOString())}.`;
      for (const stale of document.querySelectorAll(".stale-note")) {
        stale.textContent = note;
        stale.hidden = false;
      }
      $("state-pill").dataset.tone = "bad";
      $("state-pill-text").textContent = "Agent not answering";
      $("hero").dataset.tone = "bad";
      $("hero").dataset.state = "lost";
      $("hero-title").textContent = "Not answering";
      $("hero-detail").textContent = `The Twenty Sync agent stopped answering at ${when(lostAt.toISOString())}. The numbers below are from then, and the buttons are off until it answers again.`;
      notify("");
    } else {
      for (const control of document.querySelectorAll('[data-off-while-lost="yes"]')) {
        control.disabled = false;
        delete control.dataset.offWhileLost;
      }
      for (const link of document.querySelectorAll('[aria-disabled="true"]')) link.removeAttribute("aria-disabled");
      for (const stale of document.querySelectorAll(".stale-note")) stale.hidden = true;
      if (latest) renderHero(latest.status);
      const screen = UI.screens[UI.current];
      if (screen && screen.show && UI.current !== "settings" && UI.current !== "setup") screen.show();
    }
    if (UI.screens.setup && UI.screens.setup.reachability) UI.screens.setup.reachability();
  }

  // Times shown as "… ago" / "in …" are refreshed every few seconds without asking the agent.
  setInterval(() => {
    if (!latest || !UI.reachable) return;
    const s = latest.status;
    $("last-push").textContent = s.last_push_at ? ago(s.last_push_at) : "Never";
    if (s.state === "offline") $("offline-text").textContent = offlineText(s);
  }, 5000);

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => latest && latest.chart && Chart.draw($("chart"), latest.chart), 150);
  });

  async function start() {
    document.body.dataset.agent = "answering";
    try {
      await UI.settings.load();
    } catch (error) {
      if (error.status === 401) {
        $("lost-banner").hidden = false;
        $("lost-banner").querySelector("strong").textContent = "This page needs its access link.";
        $("lost-text").textContent = "Open the address printed by `twenty-sync run` (it ends with ?token=…).";
        return;
      }
    }
    show(location.hash.slice(1) || "status");
    try {
      renderStatus(await api.live());
    } catch (error) {
      reachable(false);
    }
    api.subscribe((update) => {
      reachable(true);
      renderStatus(update);
    }, reachable);
  }

  start();
})();
