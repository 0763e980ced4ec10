/* Workflow Island designer: Compare with, the diff of two versions drawn on the graph:
 * added parts green, changed amber, removed ones drawn back in red dashes, with a count
 * per part (workflow_platform/definitions/diff.py computes it).
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { $, api, config, clone } = D;

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
  D.exitDiff = exitDiff;
})();
