// 和解 — small conveniences on top of forms that work without JavaScript.
"use strict";

(function () {
  // Grids: show only the grids of the chosen village or community.
  function gridFilter(source, target) {
    var groups = Array.prototype.map.call(
      target.querySelectorAll("optgroup[data-village]"),
      function (g) { return g.cloneNode(true); }
    );
    var placeholder = target.querySelector("option[value='']");
    placeholder = placeholder ? placeholder.cloneNode(true) : null;
    function apply() {
      var chosen = target.value;
      target.textContent = "";
      if (placeholder) target.appendChild(placeholder.cloneNode(true));
      groups.forEach(function (g) {
        if (g.getAttribute("data-village") === source.value) {
          target.appendChild(g.cloneNode(true));
        }
      });
      target.value = chosen;
      if (target.value !== chosen) target.value = "";
      target.disabled = target.options.length <= 1;
    }
    source.addEventListener("change", apply);
    apply();
  }

  // Closing: show the fields the chosen outcome needs.
  function outcomeFields(form) {
    var select = form.querySelector("[data-outcome]");
    if (!select) return;
    var parts = form.querySelectorAll("[data-when]");
    function apply() {
      parts.forEach(function (p) {
        var wanted = p.getAttribute("data-when").split(" ");
        p.hidden = wanted.indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", apply);
    apply();
  }

  // Intake: the acceptance fields only when "accept now" is ticked.
  function acceptToggle(box) {
    var fields = document.querySelector("[data-accept-fields]");
    if (!fields) return;
    function apply() { fields.hidden = !box.checked; }
    box.addEventListener("change", apply);
    apply();
  }

  // One submission per click: a double tap must not register a case twice.
  function oncePerSubmit(form) {
    form.addEventListener("submit", function (e) {
      if (form.getAttribute("data-busy")) {
        e.preventDefault();
        return;
      }
      form.setAttribute("data-busy", "1");
      window.setTimeout(function () { form.removeAttribute("data-busy"); }, 4000);
    });
  }

  function init() {
    var source = document.querySelector("[data-grid-source]");
    var target = document.querySelector("[data-grid-target]");
    if (source && target) gridFilter(source, target);
    document.querySelectorAll("[data-outcome-form]").forEach(outcomeFields);
    var toggle = document.querySelector("[data-accept-toggle]");
    if (toggle) acceptToggle(toggle);
    document.querySelectorAll("form[method='post']").forEach(oncePerSubmit);

    // After a refused form, bring the first field at fault into view.
    var bad = document.querySelector("[aria-invalid='true']");
    var alert = document.querySelector("[data-scroll-to]");
    if (bad) {
      bad.scrollIntoView({ block: "center" });
      bad.focus({ preventScroll: true });
    } else if (alert) {
      alert.scrollIntoView({ block: "center" });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
