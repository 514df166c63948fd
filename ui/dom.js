// What every screen shares: building DOM nodes (text is always set with textContent, never parsed
// as HTML), formatting numbers and times, and the registry the screens join (`screens`), so
// app.js can show them and pass them live updates. Loaded before the screens.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  /** `h("td", {class: "num", onclick: f}, child, …)`: an element with attributes, listeners and
   *  children (nodes or text). */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const number = new Intl.NumberFormat();
  const fmt = (n) => (n === undefined || n === null ? "–" : number.format(n));
  const plural = (n, one, many) => `${fmt(n)} ${n === 1 ? one : many}`;

  function when(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    const today = new Date();
    const sameDay = date.toDateString() === today.toDateString();
    return sameDay
      ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
      : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function ago(iso) {
    if (!iso) return "";
    const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${seconds} seconds ago`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 48) return hours === 1 ? "1 hour ago" : `${hours} hours ago`;
    return `${Math.round(hours / 24)} days ago`;
  }

  function inFuture(iso) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.round((new Date(iso).getTime() - Date.now()) / 1000));
    if (seconds < 2) return "now";
    if (seconds < 60) return `in ${seconds} seconds`;
    return `in ${Math.round(seconds / 60)} minutes`;
  }

  function duration(ms) {
    if (ms < 1000) return `${ms} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const seconds = Math.round(ms / 1000);
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
    return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  }

  /** A file size in words: "900 bytes", "12 KB", "3.3 MB". */
  function size(bytes) {
    if (bytes < 1000) return `${fmt(bytes)} bytes`;
    if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
    if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
    return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
  }

  /** Shows a message in `target`: `tone` is "ok", "error", "warn" or "" (plain). */
  function say(target, text, tone) {
    target.textContent = text || "";
    target.className = tone ? `${tone}-text` : "";
  }

  function showError(target, error) {
    say(target, error && error.message ? error.message : String(error), "error");
  }

  /** A server address as typed, completed the way the agent completes it: a bare host
   *  (`crm.example.com`) gets `https://`. */
  function completeUrl(text) {
    const value = (text || "").trim();
    if (!value || value.includes("://")) return value;
    return "https://" + value;
  }

  /** The settings view the screens share (`show_settings`), refreshed after every save. */
  const settings = {
    view: null,
    async load() {
      settings.view = await window.TwentySync.api.settings();
      return settings.view;
    },
    value(name) {
      const entry = settings.view && settings.view.settings && settings.view.settings[name];
      return entry ? entry.value : null;
    },
    /** Server address and API key are both set: the setup's first two steps are done. */
    configured() {
      return !!(settings.value("base_url") && settings.value("api_key"));
    },
  };

  window.TwentySyncUI = {
    $,
    h,
    fmt,
    plural,
    when,
    ago,
    inFuture,
    duration,
    size,
    say,
    showError,
    completeUrl,
    settings,
    /** name → { show(), update(liveUpdate)?, leave()? }: filled by the screen scripts. */
    screens: {},
    /** Whether the agent answers (app.js keeps it current). */
    reachable: true,
  };
})();
