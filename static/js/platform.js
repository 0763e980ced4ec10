/* Behaviour every page shares, in a file so that the Content-Security-Policy can forbid
 * inline script (docs/adr/0014-content-security-policy.md). */
(function () {
  "use strict";
  if (window.htmx) {
    // htmx would add its indicator rules as an inline <style>, which the policy refuses
    // (no page uses htmx indicators), and would eval hx-on / js: values, which it also refuses.
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
  }
  // Cytoscape adds its container rule as an inline <style> unless an element with this id
  // exists: this <link> is that element, and carries the same rule from a file.
  const here = document.currentScript && document.currentScript.src;
  if (here && document.querySelector('script[src*="cytoscape"]')) {
    const link = document.createElement("link");
    link.id = "__________cytoscape_stylesheet";
    link.rel = "stylesheet";
    link.href = new URL("../css/cytoscape-container.css", here).href;
    document.head.appendChild(link);
  }
  // <select data-submit-on-change> (the tenant switch) submits its form when changed.
  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change")) {
      field.form.submit();
    }
  });
})();
