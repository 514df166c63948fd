// The connection test's result as Settings and the setup show it: the message, then each check
// with its state in words and a mark (passed, failed, not run, missing), and the Create field
// button when the `externalId` field is missing and the key may create it.
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { h } = UI;

  const LABELS = {
    reachable: "Server reachable",
    authenticated: "API key accepted",
    read_companies: "Can read companies",
    read_people: "Can read people",
    external_id_companies: "Companies have the externalId field",
    external_id_people: "People have the externalId field",
  };

  /** What a check's state looks like: the word read out, the mark, the CSS class. */
  const STATES = {
    ok: { word: "Passed", mark: "✓" },
    failed: { word: "Failed", mark: "✗" },
    not_run: { word: "Not run", mark: "–" },
    missing: { word: "Missing", mark: "!" },
  };

  function stateOf(check, view) {
    const state = check.state || (check.ok ? "ok" : "failed");
    if (state === "failed" && view.can_create_field && check.name.startsWith("external_id")) return "missing";
    return state;
  }

  /** Renders `view` (a ConnectionView) into the elements of one connection panel. */
  function render(view, parts) {
    parts.result.hidden = false;
    parts.result.dataset.ok = view.ok ? "yes" : "no";
    parts.message.textContent = `${view.message} (${view.latency_ms} ms)`;
    parts.list.replaceChildren(
      ...view.checks.map((check) => {
        const state = stateOf(check, view);
        const shown = STATES[state] || STATES.failed;
        return h("li", { class: state, "data-state": state, "data-check": check.name },
          h("span", { class: "check-mark", "aria-hidden": "true" }, shown.mark),
          h("strong", {}, LABELS[check.name] || check.name),
          h("span", { class: "check-state" }, shown.word),
          h("span", { class: "check-detail" }, check.detail),
        );
      }),
    );
    parts.create.hidden = !view.can_create_field;
  }

  /** Runs `call(form)` (test or create) with `button` showing that it works; returns the view,
   *  or null when the test could not start (the fields at fault are marked by `onFields`). */
  async function run(button, call, form, parts, onFields) {
    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Testing…";
    parts.result.hidden = false;
    delete parts.result.dataset.ok;
    parts.message.textContent = "Asking Twenty…";
    parts.list.replaceChildren();
    parts.create.hidden = true;
    try {
      const view = await call(form);
      render(view, parts);
      return view;
    } catch (error) {
      if (onFields) onFields(error.fields);
      parts.result.dataset.ok = "no";
      parts.message.textContent = error.message;
      return null;
    } finally {
      button.disabled = !UI.reachable;
      button.textContent = label;
    }
  }

  UI.checks = { render, run };
})();
