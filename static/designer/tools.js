/* Workflow Island designer: the tools around the graph.
 *
 * Keyboard shortcuts; the table view (everything the graph does, by keyboard alone);
 * the actions and dependencies catalogue; the dry run (the server evaluates guards, the
 * page shows every candidate and which one fires); the live view of a published version
 * (instances per state, click through to the operations list); and the diff of two
 * versions drawn on the graph. All user text is inserted with textContent.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $, api, config, clone } = D;

  /* ---------------- keyboard ---------------- */

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }
  document.addEventListener("keydown", (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "s") { e.preventDefault(); D.save(); return; }
    if (e.key === "Escape") {
      document.querySelectorAll(".dialog").forEach((d) => { d.hidden = true; });
      // Esc leaves a field (so the editor's shortcuts apply again), then clears the selection.
      if (typing(e.target)) e.target.blur();
      else { D.cy.$(":selected").unselect(); if (D.mode === "diff") exitDiff(); }
      return;
    }
    if (typing(e.target)) return;
    if (mod && e.key.toLowerCase() === "z") { e.preventDefault(); if (e.shiftKey) D.redo(); else D.undo(); return; }
    if (mod && e.key.toLowerCase() === "y") { e.preventDefault(); D.redo(); return; }
    if (mod || e.altKey) return;
    const keys = {
      n: () => D.editable && D.mode === "edit" && D.addState(),
      Delete: () => D.deleteSelection(),
      Backspace: () => D.deleteSelection(),
      l: () => D.layout(true),
      f: () => D.fitView(),
      "+": () => $("#btn-zoom-in").click(),
      "=": () => $("#btn-zoom-in").click(),
      "-": () => $("#btn-zoom-out").click(),
      t: () => toggleTable(),
      "?": () => { $("#shortcuts").hidden = false; $("#shortcuts button").focus(); },
    };
    const fn = keys[e.key] || keys[e.key.toLowerCase()];
    if (fn && (e.target === document.body || e.target.id === "cy" || e.target.closest(".designer"))) {
      e.preventDefault();
      fn();
    }
  });

  /* ---------------- table view ---------------- */

  const table = $("#table-view");
  function toggleTable(force) {
    const show = force !== undefined ? force : table.hidden;
    table.hidden = !show;
    $("#cy").hidden = show;
    $("#btn-view").setAttribute("aria-pressed", String(show));
    $("#btn-view").textContent = show ? "Graph view" : "Table view";
    ["#legend", "#hint"].forEach((sel) => { const el = $(sel); if (el) el.hidden = show; });
    if (show) { renderTable(); const first = table.querySelector("button, input, select"); if (first) first.focus(); }
    else if (D.needsLayout) { D.needsLayout = false; D.cy.resize(); D.layout(true); }
    else { D.cy.resize(); D.fitView(); }
  }
  $("#btn-view").addEventListener("click", () => toggleTable());

  function options(names, selected) {
    return names.map((n) => h("option", { value: n, selected: n === selected }, n));
  }

  function renderTable() {
    if (table.hidden) return;
    const doc = D.doc;
    const names = doc.states.map((s) => s.name);
    const editable = D.editable;
    const stateRows = doc.states.map((s) => h("tr", {},
      h("th", { scope: "row" }, s.name, doc.initial === s.name ? h("span", { class: "badge" }, "initial") : null),
      h("td", {}, s.label || ""), h("td", {}, s.kind || "normal"),
      h("td", { class: "row-actions" },
        h("button", { type: "button", onclick: () => D.openPanel("state", s.name, true), "aria-label": "Edit state " + s.name }, editable ? "Edit" : "View"),
        editable ? h("button", { type: "button", onclick: () => D.deleteState(s.name), "aria-label": "Delete state " + s.name }, "Delete") : null)));
    const transitionRows = doc.transitions.map((t, i) => h("tr", {},
      h("td", {}, t.from), h("td", {}, t.to), h("td", {}, t.on || "auto"),
      h("td", {}, h("code", {}, t.when || "")), h("td", {}, t.action || ""),
      h("td", { class: "row-actions" },
        h("button", { type: "button", onclick: () => D.openPanel("transition", i, true), "aria-label": "Edit transition " + (i + 1) }, editable ? "Edit" : "View"),
        editable ? h("button", { type: "button", onclick: () => D.deleteTransition(i), "aria-label": "Delete transition " + (i + 1) }, "Delete") : null)));
    const addState = editable ? h("form", { class: "inline-form", "aria-label": "Add a state", onsubmit: (e) => {
      e.preventDefault();
      const name = e.target.elements.name.value.trim();
      if (!name) return;
      if (!D.addState(null, name, e.target.elements.kind.value)) { e.target.elements.name.setCustomValidity("That name is taken"); e.target.reportValidity(); return; }
      renderTable(); table.querySelector("#table-state-name").focus();
    } },
      h("label", { for: "table-state-name" }, "New state"),
      h("input", { id: "table-state-name", name: "name", required: true, pattern: "[A-Za-z][A-Za-z0-9_\\-]{0,63}", oninput: (e) => e.target.setCustomValidity("") }),
      h("label", { for: "table-state-kind" }, "Kind"),
      h("select", { id: "table-state-kind", name: "kind" }, options(Object.keys(WIGraph.KIND_STYLE), "normal")),
      h("button", { type: "submit" }, "Add state")) : null;
    const addTransition = editable && names.length ? h("form", { class: "inline-form", "aria-label": "Add a transition", onsubmit: (e) => {
      e.preventDefault();
      const f = e.target.elements;
      D.addTransition(f.from.value, f.to.value, f.on.value.trim() || "auto");
      renderTable(); table.querySelector("#table-t-from").focus();
    } },
      h("label", { for: "table-t-from" }, "From"), h("select", { id: "table-t-from", name: "from" }, options(names)),
      h("label", { for: "table-t-to" }, "To"), h("select", { id: "table-t-to", name: "to" }, options(names, names[1])),
      h("label", { for: "table-t-on" }, "Trigger"), h("input", { id: "table-t-on", name: "on", value: "auto" }),
      h("button", { type: "submit" }, "Add transition")) : null;
    table.replaceChildren(
      h("h2", {}, "States"),
      h("table", { class: "data", "data-testid": "states-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Label"), h("th", {}, "Kind"), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, stateRows.length ? stateRows : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No states yet.")))),
      addState,
      h("h2", {}, "Transitions"),
      h("table", { class: "data", "data-testid": "transitions-table" },
        h("thead", {}, h("tr", {}, ["From", "To", "Trigger", "Guard", "Action"].map((c) => h("th", {}, c)), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, transitionRows.length ? transitionRows : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No transitions yet.")))),
      addTransition);
  }
  D.hooks.render.push(renderTable);

  /* ---------------- actions and dependencies ---------------- */

  function renderCatalog() {
    const doc = D.doc;
    const list = (entries, part, describe) => h("ul", { class: "catalog-list" }, entries.length
      ? entries.map(([name, v]) => h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => D.openPanel(part, name) }, name), " ", h("span", { class: "muted small" }, describe(v))))
      : h("li", { class: "muted" }, "None yet."));
    const add = (part, key, value) => D.editable ? h("button", { type: "button", onclick: () => {
      const name = D.uniqueName(part, new Set(Object.keys(doc[key])));
      D.change((d) => { d[key][name] = value; });
      D.openPanel(part, name);
    } }, "+ New " + part) : null;
    $("#catalog").replaceChildren(
      h("h2", {}, "Actions"), h("p", { class: "muted small" }, "What a transition runs: one mutating operation, with retries and a compensation."),
      list(Object.entries(doc.actions), "action", (a) => (a.type || "?") + (a.dependency ? " → " + a.dependency : "")),
      add("action", "actions", { type: "set", params: {} }),
      h("h2", { class: "spaced" }, "Dependencies"), h("p", { class: "muted small" }, "Services actions call: rate limit and circuit breaker, shared by every worker."),
      list(Object.entries(doc.dependencies), "dependency", (dep) => (dep.rate_limit && dep.rate_limit.tps ? dep.rate_limit.tps + " tps" : "")),
      add("dependency", "dependencies", {}));
  }
  D.hooks.render.push(renderCatalog);

  /* ---------------- dry run ---------------- */

  const dry = { state: null, trace: [] };
  function parseJSON(id) {
    try { return { value: JSON.parse($(id).value || "{}") }; }
    catch (e) { return { error: "Not valid JSON: " + e.message }; }
  }
  async function dryStep(trigger) {
    const out = $("#dry-output");
    const data = parseJSON("#dry-data"), payload = parseJSON("#dry-payload");
    if (data.error || payload.error) { out.replaceChildren(h("p", { class: "field-error", role: "alert" }, data.error || payload.error)); return; }
    const { ok, body } = await api(config.urls.dry_run, { method: "POST", json: {
      document: D.doc, state: dry.state, trigger: trigger || null, data: data.value, payload: payload.value } });
    if (!ok) { out.replaceChildren(h("p", { class: "field-error", role: "alert" }, body.message || "Dry run failed")); return; }
    dry.state = body.state;
    D.mode = "dryrun";
    showDryStep(body);
  }
  function showDryStep(step) {
    const cy = D.cy;
    cy.elements().removeClass("sim-current sim-pass sim-fail sim-shadowed");
    cy.getElementById("s:" + step.state).addClass("sim-current");
    const out = $("#dry-output");
    const parts = [h("p", { class: "dry-state" }, "Current state: ", h("strong", { "data-testid": "dry-state" }, step.state), " ", h("span", { class: "badge" }, step.kind))];
    if (step.terminal) parts.push(h("p", { class: "message success" }, "This is a terminal state: the instance would end here."));
    else if (!step.triggers.length) parts.push(h("p", { class: "muted" }, "No transition leaves this state."));
    else parts.push(h("div", { class: "dry-triggers" }, h("span", { class: "muted small" }, "Send a trigger: "),
      step.triggers.map((t) => h("button", { type: "button", class: t === step.trigger ? "primary" : "", onclick: () => dryStep(t), "data-trigger": t }, t))));
    if (step.trigger) {
      parts.push(h("table", { class: "data compact", "data-testid": "dry-candidates" },
        h("thead", {}, h("tr", {}, h("th", {}, "To"), h("th", {}, "Guard"), h("th", {}, "Result"))),
        h("tbody", {}, step.candidates.map((c) => {
          cy.getElementById("t:" + c.index).addClass(c.fires ? "sim-pass" : c.guard === true ? "sim-shadowed" : "sim-fail");
          const result = c.error ? "error: " + c.error : c.guard ? (c.fires ? "true" : "true, but an earlier one fires") : "false";
          return h("tr", { class: c.fires ? "fires" : "" }, h("td", {}, c.to),
            h("td", {}, h("code", {}, c.when || "(no guard)")),
            h("td", { class: c.error ? "bad" : c.guard ? "ok" : "muted" }, (c.fires ? "fires · " : "") + result));
        }))));
      if (step.fires) parts.push(h("button", { type: "button", class: "primary", onclick: () => {
        dry.trace.push(step.state + " —" + step.trigger + "→ " + step.fires.to);
        dry.state = step.fires.to; dryStep(null);
      } }, "Take it: go to " + step.fires.to));
      else parts.push(h("p", { class: "notice small" }, "No guard holds: the instance would stay in " + step.state + "."));
    }
    if (dry.trace.length) parts.push(h("ol", { class: "dry-trace small" }, dry.trace.map((t) => h("li", {}, t))));
    parts.push(h("button", { type: "button", onclick: resetDry }, "Reset"));
    out.replaceChildren(...parts);
  }
  function resetDry() {
    dry.state = null; dry.trace = []; D.mode = "edit";
    D.cy.elements().removeClass("sim-current sim-pass sim-fail sim-shadowed");
    $("#dry-output").replaceChildren();
  }
  $("#dry-start").addEventListener("click", () => { dry.state = null; dry.trace = []; dryStep(null); });
  document.addEventListener("designer:tab", (e) => { if (e.detail !== "dryrun" && D.mode === "dryrun") resetDry(); });

  /* ---------------- live view ---------------- */

  let liveTimer = null, liveLinks = {};
  async function refreshLive() {
    const { ok, body } = await api(config.urls.live);
    const tbody = $("#live-table tbody");
    if (!ok) { tbody.replaceChildren(h("tr", {}, h("td", { colspan: 2, class: "bad" }, body.message || "Live counts unavailable"))); return; }
    liveLinks = body.links || {};
    const counts = body.counts || {};
    D.cy.nodes().forEach((n) => {
      const name = n.data("name");
      if (!name) return;
      const count = counts[name] || 0;
      n.data("count", count);
      n.data("liveLabel", n.data("label") + "\n● " + count + (count === 1 ? " instance" : " instances"));
      n.toggleClass("has-live", count > 0);
    });
    const rows = Object.entries(counts).map(([state, count]) => h("tr", {}, h("td", {}, state),
      h("td", {}, h("a", { href: liveLinks[state], "data-testid": "live-count-" + state }, String(count)))));
    tbody.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 2, class: "muted" }, "No instances yet."))]));
  }
  function startLive() { D.mode = "live"; refreshLive(); clearInterval(liveTimer); liveTimer = setInterval(refreshLive, 4000); }
  function stopLive() {
    clearInterval(liveTimer); liveTimer = null;
    if (D.mode === "live") D.mode = "edit";
    D.cy.nodes().forEach((n) => { n.removeData("count"); n.removeClass("has-live"); });
  }
  document.addEventListener("designer:tab", (e) => { if (e.detail === "live") startLive(); else if (liveTimer) stopLive(); });

  /* ---------------- diff view ---------------- */

  function transitionKey(t) { return t.from + "→" + t.to + ":" + (t.on || "auto"); }
  async function enterDiff(otherId) {
    const url = config.diffUrl.replace("{other}", otherId);
    const { ok, body } = await api(url);
    if (!ok) { D.showBanner("Compare failed: " + (body.message || "error"), "bad"); return; }
    D.mode = "diff";
    const diff = body.diff, other = body.other.document;
    const cy = D.cy;
    D.render();
    // A removed state is drawn beside a state it was connected to (its old position
    // belongs to another layout), one slot further down per removed neighbour.
    const removedStates = (other.states || []).filter((s) => !D.stateByName(s.name)).map((s) => clone(s));
    const slots = {};
    removedStates.forEach((s, i) => {
      const link = (other.transitions || []).find((t) => (t.to === s.name && D.stateByName(t.from)) || (t.from === s.name && D.stateByName(t.to)));
      const anchor = link ? cy.getElementById("s:" + (link.to === s.name ? link.from : link.to)) : cy.nodes("[name]").last();
      const key = anchor.length ? anchor.id() : "none";
      slots[key] = (slots[key] || 0) + 1;
      const p = anchor.length ? anchor.position() : { x: 0, y: 0 };
      s.position = { x: p.x + (link ? 60 : 200), y: p.y + 110 * slots[key] + i * 2 };
    });
    cy.add(WIGraph.elementsFor({ states: removedStates, transitions: [] }).map((e) => Object.assign(e, { classes: "diff-removed" })));
    const mine = new Set(D.doc.transitions.map(transitionKey));
    (other.transitions || []).forEach((t, i) => {
      if (mine.has(transitionKey(t))) return;
      if (!cy.getElementById("s:" + t.from).length || !cy.getElementById("s:" + t.to).length) return;
      cy.add({ group: "edges", data: { id: "old:" + i, source: "s:" + t.from, target: "s:" + t.to, label: WIGraph.edgeLabel(t) }, classes: "diff-removed" });
    });
    const states = diff.states || {};
    (states.added || []).forEach((n) => cy.getElementById("s:" + nameOf(n)).addClass("diff-added"));
    (states.changed || []).forEach((n) => cy.getElementById("s:" + nameOf(n)).addClass("diff-changed"));
    const theirs = new Set((other.transitions || []).map(transitionKey));
    D.doc.transitions.forEach((t, i) => { if (!theirs.has(transitionKey(t))) cy.getElementById("t:" + i).addClass("diff-added"); });
    ((diff.transitions || {}).changed || []).forEach((c) => {
      const index = D.doc.transitions.findIndex((t) => transitionKey(t) === transitionKeyOf(c));
      if (index >= 0) cy.getElementById("t:" + index).addClass("diff-changed");
    });
    const count = (part) => ["added", "removed", "changed"].map((k) => ((diff[part] || {})[k] || []).length);
    const [sa, sr, sc] = count("states"), [ta, tr, tc] = count("transitions"), [aa, ar, ac] = count("actions");
    $("#diff-summary").textContent = "against v" + body.other.number + ": states +" + sa + " −" + sr + " ~" + sc +
      " · transitions +" + ta + " −" + tr + " ~" + tc + " · actions +" + aa + " −" + ar + " ~" + ac;
    D.fitView();
    $("#diff-legend").hidden = false;
    $("#legend").hidden = true;
  }
  function nameOf(entry) { return typeof entry === "string" ? entry : entry.name || entry.key || ""; }
  function transitionKeyOf(entry) {
    if (typeof entry === "string") return entry;
    const t = entry.new || entry.after || entry;
    return transitionKey(t);
  }
  function exitDiff() {
    D.mode = "edit";
    $("#compare").value = "";
    $("#diff-legend").hidden = true;
    $("#legend").hidden = false;
    D.render();
  }
  $("#compare").addEventListener("change", (e) => { if (e.target.value) enterDiff(e.target.value); else exitDiff(); });
  $("#btn-exit-diff").addEventListener("click", exitDiff);

  D.start();
  D.cy.on("tap", "node", (e) => {
    const name = e.target.data("name");
    if (D.mode === "live" && name && liveLinks[name] && e.target.data("count")) window.location.assign(liveLinks[name]);
  });
})();
