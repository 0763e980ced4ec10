/* Workflow Island designer: the graph canvas (Cytoscape.js, vendored in static/vendor).
 *
 * Turns a workflow document into nodes (states; the kind sets shape and colour) and
 * directed, labelled edges (transitions: trigger, [guard], / action), and offers the
 * mouse gesture for new transitions: a handle on the hovered state that is dragged onto
 * another state. Every label is drawn by Cytoscape on a canvas, as text: names holding
 * HTML or script are never parsed as markup.
 */
(function () {
  "use strict";

  const KIND_STYLE = {
    normal: { shape: "round-rectangle", bg: "#ffffff", border: "#2f6fed" },
    human: { shape: "round-rectangle", bg: "#f3ecff", border: "#7c3aed" },
    wait: { shape: "round-hexagon", bg: "#fff6e0", border: "#c77700" },
    parallel: { shape: "round-tag", bg: "#e3f7f5", border: "#0f8b80" },
    final: { shape: "ellipse", bg: "#e7f6ed", border: "#1f9d55" },
    failed: { shape: "round-octagon", bg: "#fdecec", border: "#d64545" },
  };

  /* Names and labels are text, but an imported YAML file can hold numbers (or worse) in
   * them: the validator reports that, and drawing must not fail on it meanwhile. */
  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  function nodeLabel(state) {
    const title = text(state.label) || text(state.name);
    const kind = state.kind && state.kind !== "normal" ? "«" + text(state.kind) + "»" : "";
    return kind ? title + "\n" + kind : title;
  }

  function edgeLabel(t) {
    const on = text(t.on) || "auto";
    let label = on === "timer" && t.after ? "after " + text(t.after) : on;
    if (text(t.label)) label = text(t.label);
    if (text(t.when)) label += " [" + text(t.when) + "]";
    if (text(t.action)) label += " / " + text(t.action);
    return label;
  }

  function textWidth(label) {
    const longest = text(label).split("\n").reduce((m, line) => Math.max(m, line.length), 0);
    return Math.max(110, Math.min(260, longest * 7.4 + 30));
  }

  function elementsFor(doc) {
    const els = [];
    const names = new Set();
    (doc.states || []).forEach((s, i) => {
      const kind = KIND_STYLE[s.kind] ? s.kind : "normal";
      const label = nodeLabel(s);
      names.add(text(s.name));
      els.push({
        group: "nodes",
        data: {
          id: "s:" + text(s.name), name: text(s.name), index: i, kind: kind, label: label,
          w: textWidth(label), h: label.includes("\n") ? 52 : 40,
          shape: KIND_STYLE[kind].shape, bg: KIND_STYLE[kind].bg, border: KIND_STYLE[kind].border,
        },
        position: s.position ? { x: +s.position.x || 0, y: +s.position.y || 0 } : undefined,
        classes: text(doc.initial) === text(s.name) ? "initial" : "",
      });
    });
    const initial = (doc.states || []).find((s) => text(s.name) === text(doc.initial));
    if (initial) {
      const p = initial.position || { x: 0, y: 0 };
      els.push({ group: "nodes", data: { id: "__start__" }, classes: "start-marker",
        position: { x: (+p.x || 0) - textWidth(nodeLabel(initial)) / 2 - 60, y: +p.y || 0 },
        selectable: false, grabbable: false });
      els.push({ group: "edges", data: { id: "__start_edge__", source: "__start__", target: "s:" + text(initial.name) },
        classes: "start-edge", selectable: false });
    }
    (doc.transitions || []).forEach((t, i) => {
      if (!names.has(text(t.from)) || !names.has(text(t.to))) return; // drawn once both ends exist
      els.push({ group: "edges", data: { id: "t:" + i, index: i, source: "s:" + text(t.from),
        target: "s:" + text(t.to), label: edgeLabel(t) },
        classes: (t.when ? "guarded " : "") + (text(t.from) === text(t.to) ? "loop" : "") });
    });
    return els;
  }

  const STYLE = [
    { selector: "node[shape]", style: {
      shape: "data(shape)", width: "data(w)", height: "data(h)", "background-color": "data(bg)",
      "border-color": "data(border)", "border-width": 2, label: "data(label)",
      "text-valign": "center", "text-halign": "center", "text-wrap": "wrap", "text-max-width": 240,
      "font-size": 13, "font-family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
      color: "#1d2733", "line-height": 1.25, "overlay-opacity": 0, "transition-property":
      "border-width, border-color", "transition-duration": 120 } },
    { selector: "node.initial", style: { "border-width": 3 } },
    { selector: "node[kind = 'final']", style: { "border-style": "double", "border-width": 5 } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#14213d",
      "underlay-color": "#2f6fed", "underlay-opacity": 0.18, "underlay-padding": 6 } },
    { selector: "node.hover-target", style: { "underlay-color": "#1f9d55", "underlay-opacity": 0.3,
      "underlay-padding": 8 } },
    { selector: "node.start-marker", style: { shape: "ellipse", width: 18, height: 18,
      "background-color": "#14213d", "border-width": 0, label: "" } },
    { selector: "node.ghost", style: { width: 1, height: 1, opacity: 0, label: "" } },
    { selector: "edge", style: {
      width: 2, "line-color": "#8796a8", "target-arrow-color": "#8796a8",
      "target-arrow-shape": "triangle", "arrow-scale": 1.2, "curve-style": "bezier",
      "control-point-step-size": 60, label: "data(label)", "font-size": 12, color: "#1d2733",
      "text-background-color": "#ffffff", "text-background-opacity": 0.92,
      "text-background-padding": 3, "text-background-shape": "round-rectangle",
      "text-border-color": "#dde3ea", "text-border-width": 1, "text-border-opacity": 1,
      "text-wrap": "wrap", "text-max-width": 150, "overlay-opacity": 0 } },
    { selector: "edge.guarded", style: { "line-style": "solid", "line-color": "#5b6b7c",
      "target-arrow-color": "#5b6b7c" } },
    { selector: "edge.loop", style: { "loop-direction": "-45deg", "loop-sweep": "-60deg" } },
    { selector: "edge:selected", style: { width: 4, "line-color": "#2f6fed", "target-arrow-color": "#2f6fed" } },
    { selector: "edge.start-edge", style: { width: 2, "line-color": "#14213d",
      "target-arrow-color": "#14213d", label: "" } },
    { selector: "edge.ghost-edge", style: { "line-style": "dashed", "line-color": "#2f6fed",
      "target-arrow-color": "#2f6fed", label: "" } },
    { selector: ".problem", style: { "border-color": "#d64545", "border-width": 4,
      "line-color": "#d64545", "target-arrow-color": "#d64545", "underlay-color": "#d64545",
      "underlay-opacity": 0.16, "underlay-padding": 7 } },
    { selector: "node.problem", style: { "background-color": "#fff2f2" } },
    { selector: ".diff-added", style: { "border-color": "#1f9d55", "line-color": "#1f9d55",
      "target-arrow-color": "#1f9d55", "underlay-color": "#1f9d55", "underlay-opacity": 0.22,
      "underlay-padding": 7 } },
    { selector: ".diff-changed", style: { "border-color": "#c77700", "line-color": "#c77700",
      "target-arrow-color": "#c77700", "underlay-color": "#f3b23a", "underlay-opacity": 0.3,
      "underlay-padding": 7 } },
    { selector: ".diff-removed", style: { "border-color": "#d64545", "line-color": "#d64545",
      "target-arrow-color": "#d64545", "border-style": "dashed", "line-style": "dashed",
      opacity: 0.55 } },
    { selector: ".sim-current", style: { "border-color": "#14213d", "border-width": 5,
      "underlay-color": "#2f6fed", "underlay-opacity": 0.3, "underlay-padding": 10 } },
    { selector: "edge.sim-pass", style: { "line-color": "#1f9d55", "target-arrow-color": "#1f9d55", width: 4 } },
    { selector: "edge.sim-shadowed", style: { "line-color": "#8fd3a8", "target-arrow-color": "#8fd3a8",
      "line-style": "dashed" } },
    { selector: "edge.sim-fail", style: { "line-color": "#d64545", "target-arrow-color": "#d64545",
      "line-style": "dashed" } },
    { selector: "node[?count]", style: { label: "data(liveLabel)" } },
    { selector: "node.has-live", style: { "underlay-color": "#2f6fed", "underlay-opacity": 0.2,
      "underlay-padding": 6 } },
  ];

  function create(container, options) {
    cytoscape.use(cytoscapeDagre);
    const cy = cytoscape({
      container: container, style: STYLE, elements: [], minZoom: 0.2, maxZoom: 3,
      boxSelectionEnabled: true, selectionType: "single", autoungrabify: !options.editable,
    });
    if (options.editable) installConnectHandle(cy, options);
    return cy;
  }

  /* ---------------- layout and fitting ---------------- */

  // Below this zoom 13 px labels are no longer comfortably readable: a fitted view of a
  // big machine stops here and starts at its first state instead of shrinking further.
  const LEGIBLE_ZOOM = 0.8;
  const FIT_PADDING = 50;
  const LAYOUTS = {
    LR: { rankDir: "LR", nodeSep: 50, rankSep: 120, edgeSep: 30 },
    TB: { rankDir: "TB", nodeSep: 130, rankSep: 85, edgeSep: 40 },
  };

  function drawn(cy) {
    return cy.elements().not(".ghost, .ghost-edge");
  }

  /* The zoom at which ``eles`` fill the canvas. */
  function fitZoom(cy, eles) {
    const box = eles.boundingBox();
    if (!box.w || !box.h) return 1;
    return Math.min((cy.width() - 2 * FIT_PADDING) / box.w, (cy.height() - 2 * FIT_PADDING) / box.h);
  }

  /* Auto-layout with dagre, left to right; when that comes out too wide to read on this
   * canvas (a long chain) and top to bottom fits clearly better, top to bottom. ``done``
   * is called with the direction once the positions are in place. */
  function autoLayout(cy, animate, done) {
    const eles = drawn(cy);
    const run = (dir, extra) => eles.layout(Object.assign({ name: "dagre", fit: false }, LAYOUTS[dir], extra));
    let dir = "LR";
    if (cy.width() > 0 && eles.nodes().length > 2) {
      const before = {};
      eles.nodes().forEach((n) => { before[n.id()] = Object.assign({}, n.position()); });
      run("LR", { animate: false }).run(); // without animation dagre places synchronously
      const wide = fitZoom(cy, eles);
      if (wide < LEGIBLE_ZOOM) {
        run("TB", { animate: false }).run();
        if (fitZoom(cy, eles) > wide * 1.15) dir = "TB";
      }
      eles.nodes().forEach((n) => { n.position(before[n.id()]); }); // animate from where they were
    }
    const layout = run(dir, { animate: !!animate, animationDuration: 260 });
    layout.one("layoutstop", () => done(dir));
    layout.run();
  }

  /* Fit the graph in view: never blown up to poster size, never shrunk below legible
   * (``legible``, for a read-only picture that may be smaller than the editor's);
   * a machine too big for the canvas starts at its initial state (top left). */
  function fit(cy, legible) {
    const least = legible || LEGIBLE_ZOOM;
    const eles = drawn(cy);
    if (!eles.length || cy.width() === 0) return;
    const zoom = Math.min(1.15, fitZoom(cy, eles));
    if (zoom >= least) {
      cy.fit(eles, FIT_PADDING);
      if (cy.zoom() > 1.15) cy.zoom({ level: 1.15, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
      return;
    }
    const box = eles.boundingBox();
    cy.zoom(least);
    const wide = box.w * least > cy.width() - 2 * FIT_PADDING;
    const tall = box.h * least > cy.height() - 2 * FIT_PADDING;
    cy.pan({
      x: wide ? FIT_PADDING - box.x1 * least : (cy.width() - box.w * least) / 2 - box.x1 * least,
      y: tall ? FIT_PADDING - box.y1 * least : (cy.height() - box.h * least) / 2 - box.y1 * least,
    });
  }

  /* The drag-to-connect gesture: a handle shows on the hovered state; pressing it and
   * releasing over another state (or the same one, for a loop) asks for a transition. */
  function installConnectHandle(cy, options) {
    const handle = options.handle;
    const wrap = cy.container();
    let hovered = null, hideTimer = null, drag = null;

    function place(node) {
      const box = node.renderedBoundingBox({ includeLabels: false });
      handle.style.left = box.x2 - 10 + "px";
      handle.style.top = (box.y1 + box.y2) / 2 - 11 + "px";
      handle.hidden = false;
    }
    function hideSoon() {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => { if (!drag) handle.hidden = true; }, 400);
    }
    cy.on("mouseover", "node", (e) => {
      const node = e.target;
      if (!options.canConnect() || node.hasClass("start-marker") || node.hasClass("ghost")) return;
      clearTimeout(hideTimer);
      hovered = node;
      place(node);
    });
    cy.on("mouseout", "node", hideSoon);
    cy.on("pan zoom position", () => { if (hovered && !handle.hidden && !drag) place(hovered); });
    handle.addEventListener("mouseenter", () => clearTimeout(hideTimer));
    handle.addEventListener("mouseleave", hideSoon);

    function modelPoint(ev) {
      const rect = wrap.getBoundingClientRect();
      const pan = cy.pan(), zoom = cy.zoom();
      return { x: (ev.clientX - rect.left - pan.x) / zoom, y: (ev.clientY - rect.top - pan.y) / zoom };
    }
    function nodeAt(point) {
      return cy.nodes().filter((n) => {
        if (n.hasClass("ghost") || n.hasClass("start-marker")) return false;
        const b = n.boundingBox({ includeLabels: false });
        return point.x >= b.x1 && point.x <= b.x2 && point.y >= b.y1 && point.y <= b.y2;
      })[0];
    }
    handle.addEventListener("mousedown", (ev) => {
      if (!hovered || ev.button !== 0) return;
      ev.preventDefault();
      const point = modelPoint(ev);
      const ghost = cy.add({ group: "nodes", data: { id: "__ghost__" }, classes: "ghost", position: point });
      cy.add({ group: "edges", data: { id: "__ghost_edge__", source: hovered.id(), target: "__ghost__" }, classes: "ghost-edge" });
      drag = { source: hovered, ghost: ghost, over: null };
      wrap.classList.add("connecting");
    });
    document.addEventListener("mousemove", (ev) => {
      if (!drag) return;
      const point = modelPoint(ev);
      drag.ghost.position(point);
      const over = nodeAt(point);
      if (drag.over && drag.over !== over) drag.over.removeClass("hover-target");
      drag.over = over || null;
      if (over) over.addClass("hover-target");
    });
    function finish(ev, cancelled) {
      if (!drag) return;
      const { source, over } = drag;
      cy.remove("#__ghost__");
      if (over) over.removeClass("hover-target");
      drag = null;
      handle.hidden = true;
      wrap.classList.remove("connecting");
      if (!cancelled && over) options.onConnect(source.data("name"), over.data("name"));
    }
    document.addEventListener("mouseup", (ev) => finish(ev, false));
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") finish(ev, true); });
  }

  window.WIGraph = {
    create: create, elementsFor: elementsFor, edgeLabel: edgeLabel, text: text,
    autoLayout: autoLayout, fit: fit, KIND_STYLE: KIND_STYLE, STYLE: STYLE,
  };
})();
