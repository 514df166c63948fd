// The About screen: the version, the data and log folders (the desktop app opens the log folder
// in the file manager; a browser shows its path), and the Twenty server with what the agent has
// detected of it (`about`).
"use strict";

(function () {
  const UI = window.TwentySyncUI;
  const { api } = window.TwentySync;
  const { $, say } = UI;

  function details(server) {
    const parts = [];
    if (server.metadata_api) parts.push(`metadata API: ${server.metadata_api === "graphql" ? "GraphQL" : "REST"}`);
    if (server.upserts_apply !== null && server.upserts_apply !== undefined) {
      parts.push(server.upserts_apply ? "batch upserts apply" : "batch upserts ignored");
    }
    if (server.max_batch) parts.push(`at most ${UI.fmt(server.max_batch)} records per batch`);
    const found = [server.external_id_on_companies && "companies", server.external_id_on_people && "people"].filter(Boolean);
    parts.push(found.length ? `externalId field found on ${found.join(" and ")}` : "externalId field not checked yet");
    if (server.data_model_read) parts.push("workspace fields read");
    return parts.join(" · ");
  }

  function render(about) {
    $("about-version").textContent = about.version;
    $("about-data-dir").textContent = about.data_dir;
    $("about-log-dir").textContent = about.log_dir;
    $("about-open-logs").hidden = !api.openLogFolder;
    $("about-logs-hint").hidden = !!api.openLogFolder;
    const server = about.server;
    $("about-no-server").hidden = !!server;
    $("about-server").hidden = !server;
    if (server) {
      $("about-server-url").textContent = server.base_url;
      $("about-server-flavour").textContent = server.flavour;
      $("about-server-details").textContent = details(server);
    }
  }

  $("about-open-logs").addEventListener("click", async () => {
    const message = $("about-logs-message");
    say(message, "");
    try {
      await api.openLogFolder();
      say(message, "Opened in your file manager.", "ok");
    } catch (error) {
      UI.showError(message, error);
    }
  });

  UI.screens.about = {
    async show() {
      say($("about-message"), "");
      try {
        render(await api.about());
      } catch (error) {
        UI.showError($("about-message"), error);
      }
    },
  };
})();
