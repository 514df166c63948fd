// The Settings screen: every setting with where it comes from; Save sends only the values the
// person changed (never the form's defaults); changes not saved yet survive a switch to another
// screen (a banner says so, Discard drops them); Test connection / Create field with the
// values typed; the drop folder checked as it is typed; the warning when secrets are kept in a
// file; Start at login (the desktop app's own setting, applied at once; a browser says so). Also
// the drop-folder check the setup uses.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, h, say } = UI;

  const FIELDS = ["base_url", "api_key", "enabled", "sync_mode", "rate_limit", "batch_size", "drop_dir", "ui_port", "relay_port", "platform_url", "platform_token"];
  const SECRET_FIELDS = ["api_key", "platform_token"];
  const URL_FIELDS = ["base_url"];
  /** name → the value the form showed when it was loaded (as text). */
  let baseline = {};

  const input = (name) => $(`s-${name}`);

  function shownText(entry) {
    if (!entry || entry.value === null || entry.value === undefined) return "";
    return String(entry.value);
  }

  /** The field's value as text, the way it would be saved. */
  function typedText(name) {
    const field = input(name);
    if (field.type === "checkbox") return String(field.checked);
    if (URL_FIELDS.includes(name)) return UI.completeUrl(field.value);
    return field.value.trim();
  }

  /** The fields the person changed since the form was loaded. */
  function changed() {
    return FIELDS.filter((name) => {
      const field = input(name);
      if (!field || field.disabled || !(name in baseline)) return false;
      if (SECRET_FIELDS.includes(name)) return field.value.trim() !== "";
      if (field.type === "number" && field.value.trim() === "") return false;
      return typedText(name) !== baseline[name];
    });
  }

  function collectUpdate() {
    const update = {};
    for (const name of changed()) {
      const field = input(name);
      if (field.type === "checkbox") update[name] = field.checked;
      else if (field.type === "number") update[name] = Number(field.value);
      else update[name] = typedText(name);
    }
    return update;
  }

  function dirty() {
    return changed().length > 0;
  }

  /** Shows whether there is something not saved: the tab's mark, Discard, the banner elsewhere. */
  function markDirty() {
    const unsaved = dirty();
    $("settings-dirty-mark").hidden = !unsaved;
    $("discard-changes").hidden = !unsaved;
    if (!unsaved) $("unsaved-banner").hidden = true;
    return unsaved;
  }

  function clearFieldErrors() {
    for (const name of FIELDS) {
      const error = $(`e-${name}`);
      if (error) error.textContent = "";
      const field = input(name);
      if (field) field.removeAttribute("aria-invalid");
    }
  }

  /** Marks the fields a refusal names; true when one was marked. */
  function showFieldErrors(fields, prefix) {
    let first = null;
    for (const [name, message] of Object.entries(fields || {})) {
      const error = $(`e-${prefix || ""}${name}`);
      const field = $(`${prefix ? prefix : "s-"}${name}`);
      if (error) error.textContent = message;
      if (field) {
        field.setAttribute("aria-invalid", "true");
        first = first || field;
      }
    }
    if (first) first.focus();
    return first !== null;
  }

  /** Fills the form from the settings view (unless changes are pending and `force` is false). */
  function fill(view, force) {
    if (!force && dirty()) return;
    clearFieldErrors();
    const shown = view.settings || {};
    baseline = {};
    for (const name of FIELDS) {
      const field = input(name);
      if (!field) continue;
      const entry = shown[name];
      const wrapper = field.closest(".field");
      if (!entry) {
        field.disabled = true;
        continue;
      }
      field.disabled = false;
      if (SECRET_FIELDS.includes(name)) {
        field.value = "";
        field.placeholder = entry.value ? `Saved (${entry.value}) — type a new one to replace it` : "Not set";
      } else if (field.type === "checkbox") {
        field.checked = entry.value === true;
      } else {
        field.value = shownText(entry);
        if (name === "drop_dir") field.placeholder = view.drop_dir || "";
      }
      baseline[name] = SECRET_FIELDS.includes(name) ? "" : typedText(name);
      let source = wrapper.querySelector(".source");
      if (!source) {
        source = h("p", { class: "source" });
        wrapper.append(source);
      }
      source.textContent = entry.source && entry.source !== "default" ? `Currently set by: ${entry.source}` : "";
    }
    const warning = view.secrets_warning;
    $("secrets-warning").hidden = !warning;
    $("secrets-warning").textContent = warning ? `Note: ${warning}.` : "";
    const platform = ["platform_url", "platform_token"].some((n) => shown[n]);
    $("platform-unavailable").hidden = platform;
    markDirty();
    checkDropDir("s-drop_dir", "e-drop_dir", "w-drop_dir");
  }

  /** Start at login: read from the desktop session; in a browser, said to be the app's. */
  async function loadAutostart() {
    const box = $("s-autostart");
    const error = $("e-autostart");
    error.textContent = "";
    if (!api.autostart) {
      box.checked = false;
      box.disabled = true;
      $("h-autostart").textContent =
        "This is a setting of the desktop app: open Twenty Sync from your applications menu to change it. On a machine without a desktop, the command twenty-sync service install starts the agent when you log in (and at boot after loginctl enable-linger).";
      return;
    }
    try {
      box.checked = await api.autostart.enabled();
      box.disabled = false;
    } catch (failure) {
      box.disabled = true;
      error.textContent = `Cannot read whether Twenty Sync starts at login: ${failure.message}`;
    }
  }

  $("s-autostart").addEventListener("change", async (event) => {
    event.stopPropagation();
    const box = event.currentTarget;
    const wanted = box.checked;
    box.disabled = true;
    $("e-autostart").textContent = "";
    try {
      await api.autostart.set(wanted);
      say($("settings-message"), wanted ? "Twenty Sync now starts when you log in." : "Twenty Sync no longer starts when you log in.", "ok");
    } catch (failure) {
      box.checked = !wanted;
      $("e-autostart").textContent = `Could not change it: ${failure.message}`;
    }
    box.disabled = false;
  });
  UI.autostart = { load: loadAutostart };

  async function load() {
    loadAutostart();
    if (dirty()) {
      $("unsaved-banner").hidden = true;
      return;
    }
    say($("settings-message"), "");
    try {
      fill(await UI.settings.load(), true);
    } catch (error) {
      UI.showError($("settings-message"), error);
    }
  }

  // The drop folder is checked as it is typed, before saving: refused (why), or how many files
  // will be imported now and how many left alone.
  const dropChecks = {};
  async function checkDropDir(inputId, errorId, warningsId) {
    const field = $(inputId);
    if (!field || !api.checkDropDir) return null;
    const seq = (dropChecks[inputId] = (dropChecks[inputId] || 0) + 1);
    const error = $(errorId);
    const warnings = $(warningsId);
    try {
      const check = await api.checkDropDir(field.value.trim());
      if (seq !== dropChecks[inputId]) return null;
      error.textContent = check.refused || "";
      if (check.refused) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      warnings.replaceChildren(...(check.warnings || []).map((text) => h("li", {}, text)));
      return check;
    } catch (failure) {
      if (seq === dropChecks[inputId]) warnings.replaceChildren();
      return null;
    }
  }

  /** Checks `inputId` as it is typed (a little after the last key). */
  function watchDropDir(inputId, errorId, warningsId) {
    let timer = null;
    $(inputId).addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => checkDropDir(inputId, errorId, warningsId), 300);
    });
  }
  watchDropDir("s-drop_dir", "e-drop_dir", "w-drop_dir");

  for (const name of URL_FIELDS) {
    input(name).addEventListener("change", () => {
      input(name).value = UI.completeUrl(input(name).value);
      markDirty();
    });
  }
  // Typing makes the last "Saved" / "discarded" stale.
  $("settings-form").addEventListener("input", () => {
    if (markDirty()) say($("settings-message"), "");
  });
  $("settings-form").addEventListener("change", markDirty);

  async function discard() {
    baseline = {};
    $("unsaved-banner").hidden = true;
    try {
      fill(await UI.settings.load(), true);
      say($("settings-message"), "Your changes were discarded.", "");
    } catch (error) {
      UI.showError($("settings-message"), error);
    }
  }
  $("discard-changes").addEventListener("click", discard);
  $("discard-settings").addEventListener("click", discard);

  $("settings-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors();
    const message = $("settings-message");
    const update = collectUpdate();
    if (Object.keys(update).length === 0) {
      say(message, "Nothing to save: no setting was changed.", "");
      return;
    }
    say(message, "Saving…", "");
    try {
      const view = await api.saveSettings(update);
      UI.settings.view = view;
      fill(view, true);
      say(message, "Saved. The agent uses the new settings now.", "ok");
      if (UI.settingsChanged) UI.settingsChanged();
    } catch (error) {
      const named = showFieldErrors(error.fields);
      say(message, named ? "Nothing was saved: fix the fields marked below." : error.message, "error");
    }
  });

  const parts = {
    result: $("connection-result"),
    message: $("connection-message"),
    list: $("connection-checks"),
    create: $("create-field"),
  };
  const form = () => ({ base_url: typedText("base_url"), api_key: input("api_key").value.trim() });
  const onFields = (fields) => showFieldErrors(fields);
  $("test-connection").addEventListener("click", (event) => {
    clearFieldErrors();
    UI.checks.run(event.currentTarget, api.testConnection, form(), parts, onFields);
  });
  $("create-field").addEventListener("click", (event) => {
    clearFieldErrors();
    UI.checks.run(event.currentTarget, api.createField, form(), parts, onFields);
  });

  window.addEventListener("beforeunload", (event) => {
    if (!dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  UI.checkDropDir = checkDropDir;
  UI.watchDropDir = watchDropDir;
  UI.showFieldErrors = showFieldErrors;
  UI.screens.settings = {
    show: load,
    /** Leaving with changes not saved: the banner says so on the next screen. */
    leave() {
      $("unsaved-banner").hidden = !markDirty();
    },
  };
})();
