/* Workflow Island designer: live validation and the problems it finds.
 *
 * After each change (debounced) the whole document goes to the server's validator (the
 * definitions service); its problems are counted on the toolbar chip, listed in the
 * Problems tab, and drawn on the graph: a problem's path ("states[2].task.form",
 * "transitions[0].when", "initial", "actions.charge.dependency") is mapped onto the
 * state or transition it is about. Publishing stays disabled while any remain.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $, api, config } = D;

  let validateTimer = null, validateSeq = 0;
  D.scheduleValidation = function () {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(D.validate, 350);
  };
  D.validate = async function () {
    const seq = ++validateSeq;
    const chip = $("#btn-problems");
    const { ok, body } = await api(config.urls.validate, { method: "POST", json: { document: D.doc } });
    if (seq !== validateSeq) return;
    if (!ok) { chip.textContent = "Validation unavailable"; chip.className = "problems-chip bad"; return; }
    D.problems = body.problems || [];
    showProblems();
  };

  /* Which graph element a problem's path points at (e.g. "states[2].task.form",
   * "transitions[0].when", "initial", "actions.charge.dependency"). */
  D.elementForPath = function (path) {
    let m = /^states\[(\d+)\]/.exec(path || "");
    if (m) { const s = D.doc.states[+m[1]]; return s ? "s:" + WIGraph.text(s.name) : null; }
    m = /^states\.([^.[\]]+)/.exec(path || "");
    if (m) return "s:" + m[1];
    m = /^transitions\[(\d+)\]/.exec(path || "");
    if (m) return "t:" + m[1];
    m = /^transitions\.(\d+)/.exec(path || "");
    if (m) return "t:" + m[1];
    if (path === "initial" && D.doc.initial) return "s:" + WIGraph.text(D.doc.initial);
    m = /^actions\.([^.[\]]+)/.exec(path || "");
    if (m) {
      const index = D.doc.transitions.findIndex((t) => t.action === m[1]);
      return index >= 0 ? "t:" + index : null;
    }
    return null;
  };

  D.decorateProblems = function () {
    const cy = D.cy;
    cy.elements().removeClass("problem");
    D.problems.forEach((p) => {
      const id = D.elementForPath(p.path);
      if (id) cy.getElementById(id).addClass("problem");
    });
  };

  /* "state review" or "transition a → b (approve)": what a problem is about, in words. */
  function describe(id) {
    if (id.startsWith("s:")) return "State " + id.slice(2);
    const t = D.doc.transitions[+id.slice(2)];
    return t ? "Transition " + t.from + " → " + t.to + " (" + (t.on || "auto") + ")" : "Transition";
  }

  /* The server names the element in domain words ("state 'review'"); the graph's own
   * description is the fallback for problems found before the server answered. */
  function where(problem, target) {
    if (problem.element) return problem.element.charAt(0).toUpperCase() + problem.element.slice(1);
    return target ? describe(target) : "The definition";
  }

  function showProblems() {
    const chip = $("#btn-problems");
    const n = D.problems.length;
    chip.textContent = n ? n + (n === 1 ? " problem" : " problems") : "✓ Valid";
    chip.className = "problems-chip " + (n ? "bad" : "ok");
    const list = $("#problem-list");
    list.replaceChildren(...(n ? D.problems.map((p) => {
      const target = D.elementForPath(p.path);
      return h("li", { class: "problem-item", "data-path": p.path },
        h("button", { type: "button", class: "link-button", onclick: () => target && D.select(target) },
          h("strong", { class: "problem-target" }, where(p, target) + ": "),
          h("span", { class: "problem-message" }, p.message)),
        p.field ? h("span", { class: "problem-field muted" }, "field " + p.field) : null);
    }) : [h("li", { class: "muted" }, "No problems: this version can be published.")]));
    const publish = $("#btn-publish");
    if (publish) {
      publish.disabled = n > 0;
      publish.title = n ? "Fix the " + n + " problem(s) first" : "Publish this version";
    }
    D.decorateProblems();
  }
  D.showProblems = showProblems;
})();
