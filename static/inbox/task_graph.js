// The task page's picture of the instance: its version's graph, drawn read-only with the
// designer's code (static/designer/graph.js), the current state highlighted and the ones
// it passed through shaded. Labels are drawn on the canvas as text, never as markup.
(function () {
  "use strict";
  const container = document.getElementById("instance-graph");
  const source = document.getElementById("instance-graph-data");
  if (!container || !source || !window.cytoscape || !window.WIGraph) return;
  const graph = JSON.parse(source.textContent);
  const cy = WIGraph.create(container, { editable: false });
  cy.boxSelectionEnabled(false);
  cy.autounselectify(true);
  cy.add(WIGraph.elementsFor(graph.document));
  cy.style().selector("node.visited").style({ "background-color": "#e8eefc" }).update();
  (graph.visited || []).forEach((name) => cy.getElementById("s:" + name).addClass("visited"));
  cy.getElementById("s:" + WIGraph.text(graph.current)).addClass("sim-current");
  const positioned = (graph.document.states || []).every((s) => s.position);
  if (positioned) WIGraph.fit(cy);
  else WIGraph.autoLayout(cy, false, () => WIGraph.fit(cy));
  window.WITaskGraph = cy; // for people (and tests) poking at the page
  container.dataset.ready = "1";
})();
