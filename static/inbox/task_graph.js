// The task and instance pages' picture of the instance: its version's graph, drawn read-only with the
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
  // A picture, not the editor: smaller labels are fine if the whole machine shows.
  const PICTURE_ZOOM = 0.55;
  const current = cy.getElementById("s:" + WIGraph.text(graph.current));
  current.addClass("sim-current");
  // Fitted at a legible zoom, a big machine may not fit: then the current state is what
  // this picture is for, so it is brought into view.
  const show = () => {
    WIGraph.fit(cy, PICTURE_ZOOM);
    if (current.empty()) return;
    const view = cy.extent();
    const box = current.boundingBox();
    if (box.x1 < view.x1 || box.x2 > view.x2 || box.y1 < view.y1 || box.y2 > view.y2) {
      cy.center(current);
    }
  };
  const positioned = (graph.document.states || []).every((s) => s.position);
  if (positioned) show();
  else WIGraph.autoLayout(cy, false, show);
  window.WITaskGraph = cy; // for people (and tests) poking at the page
  container.dataset.ready = "1";
})();
