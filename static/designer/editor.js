/* Workflow Island designer: the editor core.
 *
 * The browser holds the version's document while a person edits it. Every change goes
 * through change(), which keeps an undo snapshot, re-draws the graph and the table, keeps
 * a copy in localStorage (work survives a closed tab or a save conflict) and asks the
 * server to validate the whole document (problems.js). Side panels are Django-rendered
 * (htmx, panels.js): they post the part and the document, and a valid edit comes back as
 * a "designer:apply" event that applyPart() puts into the document. Saving and its
 * conflicts live in saving.js; the tools around the graph in keyboard.js, table_view.js,
 * catalog.js, dry_run.js, live_view.js and compare.js. User text only ever reaches the
 * DOM as textContent.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("designer-config").textContent);
  const $ = (sel, root) => (root || document).querySelector(sel);
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const storeKey = "wi-designer-" + config.version.id;

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => {
      if (c === null || c === undefined || c === false) return;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return node;
  }

  function normalize(doc) {
    doc.states = Array.isArray(doc.states) ? doc.states : [];
    doc.transitions = Array.isArray(doc.transitions) ? doc.transitions : [];
    doc.actions = doc.actions && typeof doc.actions === "object" ? doc.actions : {};
    doc.dependencies = doc.dependencies && typeof doc.dependencies === "object" ? doc.dependencies : {};
    return doc;
  }
  const clone = (v) => JSON.parse(JSON.stringify(v));

  const D = {
    config, h, $, clone, csrf,
    doc: normalize(clone(config.document)),
    base: normalize(clone(config.document)),
    checksum: config.version.checksum,
    editable: config.editable,
    dirty: false,
    problems: [],
    mode: "edit", // edit | diff | dryrun | live
    undoStack: [],
    redoStack: [],
    hooks: { render: [], started: [] },
  };
  window.WIDesigner = D;

  async function api(url, options) {
    const opts = Object.assign({ method: "GET", headers: {} }, options || {});
    opts.headers = Object.assign({ "X-CSRFToken": csrf, Accept: "application/json" }, opts.headers);
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, opts);
    let body = {};
    try { body = await response.json(); } catch (e) { body = { message: response.statusText }; }
    return { ok: response.ok, status: response.status, body: body };
  }
  D.api = api;

  function setSaveState(text, kind) {
    const el = $("#save-state");
    el.textContent = text;
    el.className = "save-state " + (kind || "");
  }
  D.setSaveState = setSaveState;

  function showBanner(text, kind, actions) {
    const banner = $("#banner");
    banner.replaceChildren(h("span", {}, text), ...(actions || []));
    banner.className = "banner " + (kind || "");
    banner.hidden = false;
  }
  D.showBanner = showBanner;
  D.hideBanner = () => { $("#banner").hidden = true; };

  /* ---------------- document changes, undo, redo ---------------- */

  function remember() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ document: D.doc, base: D.base,
        checksum: D.checksum, at: new Date().toISOString() }));
    } catch (e) { /* storage full or disabled: the in-page copy still exists */ }
  }

  D.normalize = normalize;
  D.storeKey = storeKey;

  function markDirty() {
    D.dirty = true;
    setSaveState("Unsaved changes", "dirty");
    remember();
    D.scheduleValidation();
  }
  D.markDirty = markDirty;

  D.change = function (mutate, options) {
    if (!D.editable) return false;
    D.undoStack.push(JSON.stringify(D.doc));
    if (D.undoStack.length > 200) D.undoStack.shift();
    D.redoStack.length = 0;
    mutate(D.doc);
    markDirty();
    D.render(options);
    return true;
  };
  D.undo = function () {
    if (!D.editable || !D.undoStack.length) return;
    D.redoStack.push(JSON.stringify(D.doc));
    D.doc = JSON.parse(D.undoStack.pop());
    markDirty();
    D.render();
  };
  D.redo = function () {
    if (!D.editable || !D.redoStack.length) return;
    D.undoStack.push(JSON.stringify(D.doc));
    D.doc = JSON.parse(D.redoStack.pop());
    markDirty();
    D.render();
  };

  /* Names compare as text: an imported file may hold a number where a name belongs. */
  const same = (a, b) => WIGraph.text(a) === WIGraph.text(b);
  D.same = same;
  D.stateByName = (name) => D.doc.states.find((s) => same(s.name, name));

  function uniqueName(prefix, taken) {
    let i = 1;
    while (taken.has(prefix + "_" + i)) i += 1;
    return prefix + "_" + i;
  }
  D.uniqueName = uniqueName;

  /* The first place near ``wanted`` where a new state overlaps none: the new state must
   * never hide another one. */
  function freeSpot(wanted) {
    const boxes = D.cy.nodes("[name]").map((node) => node.boundingBox({ includeLabels: false }));
    const clear = (p) => boxes.every((b) => p.x + 80 < b.x1 - 20 || p.x - 80 > b.x2 + 20 || p.y + 30 < b.y1 - 20 || p.y - 30 > b.y2 + 20);
    for (let ring = 0; ring < 8; ring += 1) {
      for (let dy = -ring; dy <= ring; dy += 1) {
        for (let dx = -ring; dx <= ring; dx += 1) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
          const p = { x: wanted.x + dx * 190, y: wanted.y + dy * 110 };
          if (clear(p)) return p;
        }
      }
    }
    return wanted;
  }

  D.addState = function (position, name, kind) {
    const taken = new Set(D.doc.states.map((s) => s.name));
    const stateName = name || uniqueName("state", taken);
    if (taken.has(stateName)) return null;
    let pos = position;
    const n = D.doc.states.length;
    if (!pos && D.cy.width() > 0) {
      const ext = D.cy.extent();
      pos = freeSpot({ x: ext.x1 + ext.w / 2, y: ext.y1 + ext.h / 2 });
    }
    if (!pos) { // the graph is hidden (table view): lay it out when it shows again
      pos = { x: 220 * (n % 4), y: 150 * Math.floor(n / 4) };
      D.needsLayout = true;
    }
    D.change((doc) => {
      const state = { name: stateName, kind: kind || "normal", position: { x: Math.round(pos.x), y: Math.round(pos.y) } };
      doc.states.push(state);
      if (!doc.initial) doc.initial = stateName;
    });
    D.select("s:" + stateName);
    return stateName;
  };

  D.addTransition = function (from, to, on) {
    let index = -1;
    D.change((doc) => { doc.transitions.push({ from: from, to: to, on: on || "auto" }); index = doc.transitions.length - 1; });
    D.select("t:" + index);
    return index;
  };

  D.deleteState = function (name) {
    D.change((doc) => {
      doc.states = doc.states.filter((s) => !same(s.name, name));
      doc.transitions = doc.transitions.filter((t) => !same(t.from, name) && !same(t.to, name));
      if (same(doc.initial, name)) doc.initial = doc.states.length ? doc.states[0].name : "";
    });
    D.clearPanel();
  };
  D.deleteTransition = function (index) {
    D.change((doc) => { doc.transitions.splice(index, 1); });
    D.clearPanel();
  };
  D.deleteAction = function (name) {
    D.change((doc) => {
      delete doc.actions[name];
      doc.transitions.forEach((t) => { if (t.action === name) delete t.action; });
      Object.values(doc.actions).forEach((a) => { if (a.compensation === name) delete a.compensation; });
    });
    D.clearPanel();
  };
  D.deleteDependency = function (name) {
    D.change((doc) => {
      delete doc.dependencies[name];
      Object.values(doc.actions).forEach((a) => { if (a.dependency === name) delete a.dependency; });
    });
    D.clearPanel();
  };

  D.deleteSelection = function () {
    const sel = D.cy.$(":selected");
    if (!sel.length || !D.editable) return;
    const states = sel.nodes().map((n) => n.data("name")).filter(Boolean);
    const gone = (name) => states.includes(WIGraph.text(name));
    const edges = sel.edges().map((e) => e.data("index")).filter((i) => i !== undefined).sort((a, b) => b - a);
    D.change((doc) => {
      edges.forEach((i) => doc.transitions.splice(i, 1));
      doc.states = doc.states.filter((s) => !gone(s.name));
      doc.transitions = doc.transitions.filter((t) => !gone(t.from) && !gone(t.to));
      if (gone(doc.initial)) doc.initial = doc.states.length ? doc.states[0].name : "";
    });
    D.clearPanel();
  };

  /* A panel's "designer:apply": put the cleaned part into the document (undoable). */
  D.applyPart = function (detail) {
    const { part, original, value, name } = detail;
    if (part === "state") {
      D.change((doc) => {
        const i = doc.states.findIndex((s) => same(s.name, original));
        const state = value.state;
        if (i >= 0) doc.states[i] = state; else doc.states.push(state);
        if (original !== "") {
          // A rename (or a number turned into text) carries the transitions along.
          doc.transitions.forEach((t) => {
            if (same(t.from, original)) t.from = state.name;
            if (same(t.to, original)) t.to = state.name;
          });
          if (same(doc.initial, original)) doc.initial = state.name;
        }
        if (value.initial) doc.initial = state.name;
        else if (same(doc.initial, state.name)) doc.initial = "";
      }, { keepPanel: true });
      D.select("s:" + name, true);
    } else if (part === "transition") {
      D.change((doc) => { doc.transitions[original] = value; }, { keepPanel: true });
      D.select("t:" + original, true);
    } else if (part === "action" || part === "dependency") {
      const key = part === "action" ? "actions" : "dependencies";
      D.change((doc) => {
        const entries = Object.entries(doc[key]).map(([k, v]) => (k === original ? [name, value] : [k, v]));
        if (!(original in doc[key])) entries.push([name, value]);
        doc[key] = Object.fromEntries(entries);
        if (original && original !== name) {
          if (part === "action") {
            doc.transitions.forEach((t) => { if (t.action === original) t.action = name; });
            Object.values(doc.actions).forEach((a) => { if (a.compensation === original) a.compensation = name; });
          } else {
            Object.values(doc.actions).forEach((a) => { if (a.dependency === original) a.dependency = name; });
          }
        }
      }, { keepPanel: true });
    }
  };

  /* ---------------- rendering ---------------- */

  D.render = function (options) {
    const cy = D.cy;
    const selected = cy.$(":selected").map((e) => e.id());
    D.suppressPanel = true;
    cy.batch(() => {
      cy.elements().remove();
      cy.add(WIGraph.elementsFor(D.doc));
      selected.forEach((id) => cy.getElementById(id).select());
    });
    D.suppressPanel = false;
    $("#doc-json").value = JSON.stringify(D.doc);
    D.decorateProblems();
    const empty = $("#empty-hint");
    if (empty) empty.hidden = !(D.editable && D.doc.states.length === 0);
    D.hooks.render.forEach((fn) => fn(options || {}));
    const undo = $("#btn-undo"), redo = $("#btn-redo");
    if (undo) undo.disabled = !D.undoStack.length;
    if (redo) redo.disabled = !D.redoStack.length;
  };

  D.select = function (id, keepPanel) {
    D.suppressPanel = !!keepPanel;
    D.cy.$(":selected").unselect();
    const el = D.cy.getElementById(id);
    if (el.length) el.select();
    D.suppressPanel = false;
  };

  /* Fit the graph in view: not blown up to poster size, not shrunk below legible. */
  D.fitView = function () { WIGraph.fit(D.cy); };

  D.layout = function (animate) {
    const cy = D.cy;
    WIGraph.autoLayout(cy, animate, () => {
      const positions = {};
      cy.nodes().forEach((n) => { if (n.data("name")) positions[n.data("name")] = n.position(); });
      const apply = (doc) => doc.states.forEach((s) => {
        const p = positions[WIGraph.text(s.name)];
        if (p) s.position = { x: Math.round(p.x), y: Math.round(p.y) };
      });
      if (animate && D.editable && D.mode === "edit") D.change(apply);
      else { apply(D.doc); D.render(); }
      D.fitView();
    });
  };

  /* ---------------- wiring ---------------- */

  function wire() {
    const cy = D.cy;
    cy.on("select", "node", (e) => { if (!D.suppressPanel && D.mode !== "diff" && e.target.data("name")) D.openPanel("state", e.target.data("name")); });
    cy.on("select", "edge", (e) => { if (!D.suppressPanel && D.mode !== "diff" && e.target.data("index") !== undefined) D.openPanel("transition", e.target.data("index")); });
    cy.on("dragfree", "node", (e) => {
      const name = e.target.data("name");
      if (!name) return;
      const p = e.target.position();
      if (!D.change((doc) => { const s = doc.states.find((x) => same(x.name, name)); if (s) s.position = { x: Math.round(p.x), y: Math.round(p.y) }; }, { keepPanel: true })) return;
    });
    cy.on("dbltap", (e) => { if (e.target === cy && D.editable && D.mode === "edit") D.addState(e.position); });

    const on = (id, fn) => { const el = $(id); if (el) el.addEventListener("click", fn); };
    on("#btn-add-state", () => D.addState());
    on("#btn-undo", D.undo);
    on("#btn-redo", D.redo);
    on("#btn-delete", D.deleteSelection);
    on("#btn-layout", () => D.layout(true));
    on("#btn-fit", D.fitView);
    on("#btn-zoom-in", () => cy.zoom({ level: cy.zoom() * 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }));
    on("#btn-zoom-out", () => cy.zoom({ level: cy.zoom() / 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }));
    on("#btn-problems", () => D.showTab("problems"));
    document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => D.showTab(tab.dataset.tab)));
    document.querySelectorAll("[data-close-dialog]").forEach((b) => b.addEventListener("click", () => { b.closest(".dialog").hidden = true; }));

    document.body.addEventListener("designer:apply", (e) => D.applyPart(e.detail));
    // A tab opened in the background may not have painted its canvas yet.
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { D.cy.resize(); D.cy.forceRender(); } });
    window.addEventListener("beforeunload", (e) => { if (D.dirty) { e.preventDefault(); e.returnValue = ""; } });
  }

  D.start = function () {
    // Let panels and the start form show their validation errors (htmx skips 4xx by default).
    htmx.config.responseHandling.unshift({ code: "4(09|22|00)", swap: true, error: false });
    D.cy = WIGraph.create($("#cy"), {
      editable: D.editable, handle: $("#connect-handle"),
      canConnect: () => D.editable && D.mode === "edit",
      onConnect: (from, to) => { D.addTransition(from, to); },
    });
    wire();
    const needsLayout = D.doc.states.some((s) => !s.position);
    D.render();
    if (needsLayout && D.doc.states.length) D.layout(false);
    else D.fitView();
    setSaveState(D.editable ? "Saved" : "", "saved");
    D.validate();
    if (D.offerStoredCopy) D.offerStoredCopy();
    if (new URLSearchParams(window.location.search).get("published")) {
      showBanner("Published. Instances can now start on this version.", "ok");
      history.replaceState(null, "", window.location.pathname); // a reload does not say it again
    }
    D.hooks.started.forEach((fn) => fn());
  };
  // Deferred scripts have all run before DOMContentLoaded: every part is in place by then.
  document.addEventListener("DOMContentLoaded", () => D.start());
})();
