/* Workflow Island designer: keyboard shortcuts (the ? dialog lists them).
 *
 * Off while a field has the focus, except Ctrl+S; Esc leaves the field first, then
 * clears the selection, closes dialogs and leaves compare.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { $ } = D;

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
      else { D.cy.$(":selected").unselect(); if (D.mode === "diff") D.exitDiff(); }
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
      t: () => D.toggleTable(),
      "?": () => { $("#shortcuts").hidden = false; $("#shortcuts button").focus(); },
    };
    const fn = keys[e.key] || keys[e.key.toLowerCase()];
    if (fn && (e.target === document.body || e.target.id === "cy" || e.target.closest(".designer"))) {
      e.preventDefault();
      fn();
    }
  });
})();
