/* Workflow Island designer: the table view, which does everything the graph does with
 * the keyboard alone: add a state or a transition, edit (the same property panels) and
 * delete. Drawn from the document on every change, with textContent only.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $ } = D;

  const table = $("#table-view");
  D.toggleTable = function (force) {
    const show = force !== undefined ? force : table.hidden;
    table.hidden = !show;
    $("#cy").hidden = show;
    $("#btn-view").setAttribute("aria-pressed", String(show));
    $("#btn-view").textContent = show ? "Graph view" : "Table view";
    ["#legend", "#hint"].forEach((sel) => { const el = $(sel); if (el) el.hidden = show; });
    if (show) { renderTable(); const first = table.querySelector("button, input, select"); if (first) first.focus(); }
    else if (D.needsLayout) { D.needsLayout = false; D.cy.resize(); D.layout(true); }
    else { D.cy.resize(); D.fitView(); }
  };
  $("#btn-view").addEventListener("click", () => D.toggleTable());

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
    // replaceChildren() writes a null argument as the text "null": a published
    // version has no add forms, so drop them instead of passing them.
    table.replaceChildren(...[
      h("h2", {}, "States"),
      h("table", { class: "data", "data-testid": "states-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Label"), h("th", {}, "Kind"), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, stateRows.length ? stateRows : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No states yet.")))),
      addState,
      h("h2", {}, "Transitions"),
      h("table", { class: "data", "data-testid": "transitions-table" },
        h("thead", {}, h("tr", {}, ["From", "To", "Trigger", "Guard", "Action"].map((c) => h("th", {}, c)), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, transitionRows.length ? transitionRows : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No transitions yet.")))),
      addTransition].filter(Boolean));
  }
  D.hooks.render.push(renderTable);
})();
