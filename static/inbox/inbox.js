// Live inbox: a websocket that only hints "tasks changed"; htmx re-reads the rows, the
// badge and the task panel from the server (the database is the truth). Reconnects with
// backoff and re-syncs on every (re)connect. Also ticks the SLA countdowns.
(function () {
  "use strict";
  const root = document.querySelector("[data-inbox-live]");
  if (!root) return;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const url = scheme + location.host + root.dataset.inboxLive;
  let delay = 500;
  let pending = null;

  function refresh() {
    clearTimeout(pending);
    // Coalesce bursts (one change reaches tenant, group and user channels).
    pending = setTimeout(function () {
      document.body.dispatchEvent(new CustomEvent("inbox:refresh"));
    }, 60);
  }

  function connect() {
    const socket = new WebSocket(url);
    socket.addEventListener("open", function () {
      delay = 500;
      root.dataset.liveState = "connected";
      refresh(); // whatever we missed while away: re-sync from the database
    });
    socket.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.event === "task-changed") refresh();
    });
    socket.addEventListener("close", function (event) {
      root.dataset.liveState = "disconnected";
      if (event.code === 4401 || event.code === 4403) return; // signed out: no retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }

  function format(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    const text = d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m + "m " + sec + "s";
    return ms < 0 ? "overdue by " + text : "due in " + text;
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      const left = Date.parse(el.dataset.due) - now;
      el.textContent = format(left);
      const state = left < 0 ? "overdue" : left < 3600 * 1000 ? "due-soon" : "on-time";
      el.dataset.sla = state;
      const row = el.closest(".task-row, .task-status");
      if (row) {
        row.classList.remove("sla-on-time", "sla-due-soon", "sla-overdue", "sla-none");
        row.classList.add("sla-" + state);
      }
    });
  }

  connect();
  tick();
  setInterval(tick, 1000);
  // Snoozes end without any change to announce: re-read once a minute as well.
  setInterval(refresh, 60000);
  document.body.addEventListener("htmx:afterSwap", tick);
})();
