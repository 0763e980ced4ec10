// Live inbox: a websocket that only hints "tasks changed"; htmx re-reads the rows, the
// badge and the task panel from the server (the database is the truth). Reconnects with
// backoff and re-syncs on every (re)connect. Also ticks the SLA countdowns.
//
// The re-read rows are not swapped in as a whole: only the rows whose task changed
// (a new revision) are replaced, new ones inserted and gone ones removed, so a row
// someone ticked for "Claim selected" stays ticked while others' tasks come and go.
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

  /* Put the freshly rendered rows in place, keeping every unchanged row's element. */
  function reconcile(tbody, html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.querySelector("#task-rows") || template.content;
    const current = new Map();
    Array.from(tbody.children).forEach(function (row) { if (row.id) current.set(row.id, row); });
    const changed = [];
    const rows = Array.from(fresh.children).map(function (row) {
      const old = row.id ? current.get(row.id) : null;
      if (old && old.dataset.revision === row.dataset.revision) return old;
      if (old) keepTick(old, row);
      changed.push(row);
      return row;
    });
    const sameOrder = rows.length === tbody.children.length &&
      rows.every(function (row, i) { return row === tbody.children[i] || (row.id && row.id === tbody.children[i].id); });
    if (sameOrder) {
      // Replace the changed rows where they are: the others (and the focus) stay put.
      rows.forEach(function (row, i) { if (tbody.children[i] !== row) tbody.children[i].replaceWith(row); });
    } else {
      tbody.replaceChildren.apply(tbody, rows); // moved rows keep their ticks
    }
    changed.forEach(function (row) { htmx.process(row); });
    tick();
  }

  function keepTick(old, row) {
    const was = old.querySelector("input[name=task]");
    const now = row.querySelector("input[name=task]");
    if (was && now && was.checked) now.checked = true;
  }

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "task-rows" || !event.detail.xhr || event.detail.xhr.status !== 200) return;
    event.detail.shouldSwap = false;
    reconcile(target, event.detail.serverResponse);
  });

  connect();
  tick();
  setInterval(tick, 1000);
  // Snoozes end without any change to announce: re-read once a minute as well.
  setInterval(refresh, 60000);
  document.body.addEventListener("htmx:afterSwap", tick);
})();
