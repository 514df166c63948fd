// The setup path, from first start to syncing: server address (a bare host gets https://), API
// key, Test connection (each check with its result), Create field when `externalId` is missing,
// drop folder, and Start syncing, which stores the values typed and the `direct_crm` mode, and (in
// the desktop app, when ticked) turns Start at login on. It is offered on the Status screen while
// sync is off and can be opened again from Settings.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, say } = UI;

  const parts = {
    result: $("setup-result"),
    message: $("setup-connection-message"),
    list: $("setup-checks"),
    create: $("setup-create-field"),
  };
  /** The last test: the values it ran with and its view. */
  let tested = null;
  /** The person typed in the setup since it was filled from the saved settings. */
  let touched = false;

  const saved = (name) => UI.settings.value(name);

  function typed() {
    return { base_url: UI.completeUrl($("u-base_url").value), api_key: $("u-api_key").value.trim() };
  }

  function fill(view) {
    $("u-base_url").value = saved("base_url") || "";
    $("u-api_key").value = "";
    $("u-api_key").placeholder = saved("api_key")
      ? `Saved (${saved("api_key")}) — leave empty to keep it`
      : "Paste the key here";
    $("u-drop_dir").value = saved("drop_dir") || "";
    $("u-drop_dir").placeholder = view.drop_dir || "";
    for (const id of ["e-u-base_url", "e-u-api_key", "e-u-drop_dir"]) $(id).textContent = "";
    parts.result.hidden = true;
    tested = null;
    say($("setup-message"), "");
    UI.checkDropDir("u-drop_dir", "e-u-drop_dir", "w-u-drop_dir");
    // Start at login is asked in the desktop app only (a browser has no such setting).
    $("setup-autostart-row").hidden = !api.autostart;
    refresh();
  }

  /** Turns Start at login on when the person ticked it; a failure is said, not fatal. */
  async function applyAutostart() {
    if (!api.autostart || !$("u-autostart").checked) return "";
    try {
      await api.autostart.set(true);
      return " Twenty Sync starts when you log in (Settings can turn that off).";
    } catch (error) {
      return ` Start at login could not be turned on: ${error.message}.`;
    }
  }

  function mark(id, done) {
    $(id).dataset.done = done ? "yes" : "no";
  }

  /** Which steps are done, and whether Start syncing may be pressed. */
  function refresh() {
    const now = typed();
    mark("step-server", !!now.base_url);
    mark("step-key", !!(now.api_key || saved("api_key")));
    const current = tested && tested.base_url === now.base_url && tested.api_key === now.api_key;
    const passed = !!(current && tested.view && tested.view.ok);
    mark("step-test", passed);
    mark("step-folder", passed && !$("e-u-drop_dir").textContent);
    $("setup-start").disabled = !passed || !UI.reachable;
    let hint = "Test the connection first: Start syncing can be pressed once every check passed.";
    if (passed) hint = "Every check passed. Start syncing saves these settings and turns sending to Twenty on.";
    else if (tested && !current) hint = "The address or the key changed since the test: test the connection again.";
    $("setup-start-hint").textContent = hint;
  }

  async function test(button, call) {
    for (const id of ["e-u-base_url", "e-u-api_key"]) $(id).textContent = "";
    const values = typed();
    $("u-base_url").value = values.base_url;
    const view = await UI.checks.run(button, call, values, parts, (fields) => UI.showFieldErrors(fields, "u-"));
    tested = { ...values, view };
    refresh();
  }

  $("u-base_url").addEventListener("change", () => {
    $("u-base_url").value = UI.completeUrl($("u-base_url").value);
    refresh();
  });
  $("setup-form").addEventListener("input", () => {
    touched = true;
    refresh();
  });
  UI.watchDropDir("u-drop_dir", "e-u-drop_dir", "w-u-drop_dir");
  $("setup-test").addEventListener("click", (event) => test(event.currentTarget, api.testConnection));
  $("setup-create-field").addEventListener("click", (event) => test(event.currentTarget, api.createField));

  $("setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("setup-message");
    const now = typed();
    // Only what the person typed, and the one choice this button stands for: send to Twenty.
    const update = { sync_mode: "direct_crm" };
    if (now.base_url !== (saved("base_url") || "")) update.base_url = now.base_url;
    if (now.api_key) update.api_key = now.api_key;
    const drop = $("u-drop_dir").value.trim();
    if (drop !== (saved("drop_dir") || "")) update.drop_dir = drop;
    if (saved("enabled") === false) update.enabled = true;
    $("setup-start").disabled = true;
    say(message, "Saving…", "");
    try {
      const view = await api.saveSettings(update);
      UI.settings.view = view;
      const mode = view.settings.sync_mode;
      if (mode && mode.value !== "direct_crm") {
        say(message, `Saved, but the ${mode.source === "env" ? "environment" : "command line"} sets the sync mode to ${mode.value}, and it wins over this screen: change it there.`, "warn");
        refresh();
        return;
      }
      touched = false;
      tested = null;
      const autostart = await applyAutostart();
      if (UI.settingsChanged) UI.settingsChanged();
      location.hash = "#status";
      UI.notify("Syncing is on: changes are sent to Twenty now. Drop a file in Imports (or in the drop folder) to import it." + autostart);
    } catch (error) {
      const named = UI.showFieldErrors(error.fields, "u-");
      say(message, named ? "Nothing was saved: fix the fields marked above." : error.message, "error");
      refresh();
    }
  });

  UI.screens.setup = {
    async show() {
      try {
        const view = await UI.settings.load();
        if (!touched) fill(view);
        else refresh();
      } catch (error) {
        UI.showError($("setup-message"), error);
      }
    },
    /** The agent answers again (or stopped): Start syncing follows. */
    reachability: refresh,
  };
})();
