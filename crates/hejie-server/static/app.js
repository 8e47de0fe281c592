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

  // Intake: as the complaint is typed, ask the server for the likely type, risk flags, severity,
  // track and responsible organisation, show why, and pre-select what the clerk has not chosen.
  function intakeSuggest(form) {
    var url = form.getAttribute("data-suggest");
    var panel = form.querySelector("[data-suggest-panel]");
    var text = form.querySelector("#description");
    var csrf = form.querySelector("input[name=csrf]");
    if (!url || !panel || !text || !csrf || !window.fetch) return;
    var type = form.querySelector("[data-suggest-type]");
    var severity = form.querySelector("[data-suggest-severity]");
    var track = form.querySelector("[data-suggest-track]");
    var village = form.querySelector("#division");
    var grid = form.querySelector("#grid");
    var heads = form.querySelector("#head_count");
    var amount = form.querySelector("#amount");
    var timer = null;
    var sent = 0;

    // A choice made by hand is never overwritten; one the form came back with counts as made.
    [type, severity, track].forEach(function (s) {
      if (!s) return;
      if (s.value) s.setAttribute("data-touched", "1");
      s.addEventListener("change", function () { s.setAttribute("data-touched", "1"); });
    });

    function el(tag, cls, txt) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (txt != null) e.textContent = txt;
      return e;
    }

    function prefill(select, code) {
      if (!select || !code || select.getAttribute("data-touched")) return;
      if (select.querySelector("option[value='" + code + "']")) select.value = code;
    }

    function row(label) {
      var r = el("div", "suggest-row");
      r.appendChild(el("span", "suggest-label", label));
      var body = el("div", "suggest-body");
      r.appendChild(body);
      panel.appendChild(r);
      return body;
    }

    function show(res) {
      panel.textContent = "";
      var head = el("div", "suggest-head");
      head.appendChild(el("strong", null, "智能受理建议"));
      head.appendChild(el("span", "muted small", "仅供参考，可随时修改"));
      panel.appendChild(head);

      var types = row("纠纷类型");
      var chips = el("div", "suggest-types");
      (res.types || []).forEach(function (t, i) {
        var c = el("span", i === 0 ? "chip chip-top" : "chip");
        c.setAttribute("data-type", t.code);
        c.appendChild(el("span", null, t.label));
        c.appendChild(el("span", "chip-p", Math.round(t.probability * 100) + "%"));
        chips.appendChild(c);
      });
      types.appendChild(chips);
      if (res.evidence && res.evidence.length) {
        var words = res.evidence.slice(0, 6).map(function (e) { return e.word; });
        types.appendChild(el("p", "suggest-evidence", "依据：" + words.join("、")));
      }

      var risk = res.risk || {};
      var flags = risk.flags || [];
      var r = row("风险提示");
      if (flags.length) {
        var ul = el("ul", "suggest-flags");
        flags.forEach(function (f) {
          var li = el("li", "flag flag-" + f.kind);
          li.appendChild(el("strong", null, f.label));
          li.appendChild(el("span", null, f.reason));
          ul.appendChild(li);
        });
        r.appendChild(ul);
      } else {
        r.appendChild(el("p", "muted", "未发现风险信号"));
      }

      if (risk.severity && risk.track) {
        var t = row("分级分流");
        var p = el("p", "suggest-triage");
        p.appendChild(el("span", "badge sev-" + risk.severity.code, risk.severity.label));
        p.appendChild(el("span", "badge track-" + risk.track.code, risk.track.label));
        t.appendChild(p);
      }

      var o = row("建议分流");
      if (res.route) {
        o.appendChild(el("p", "suggest-org", res.route.organisation_name));
        o.appendChild(el("p", "muted small", res.route.reason));
      } else {
        o.appendChild(el("p", "muted", village && village.value ? "未找到对应单位" : "选择纠纷发生地后给出"));
      }
      panel.hidden = false;

      if (res.types && res.types.length) prefill(type, res.types[0].code);
      if (risk.severity) prefill(severity, risk.severity.code);
      if (risk.track) prefill(track, risk.track.code);
    }

    function ask() {
      var words = text.value.trim();
      if (words.length < 4) {
        panel.hidden = true;
        return;
      }
      var body = { text: words };
      var place = (grid && grid.value) || (village && village.value);
      if (place) body.division = place;
      var n = heads && parseInt(heads.value, 10);
      if (n > 0) body.head_count = n;
      if (amount && amount.value.trim()) body.amount = amount.value.trim();
      var mine = ++sent;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf.value },
        body: JSON.stringify(body)
      }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (res) {
        if (mine !== sent) return;
        if (res) show(res); else panel.hidden = true;
      }).catch(function () {
        if (mine === sent) panel.hidden = true;
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 400);
    }
    text.addEventListener("input", later);
    [village, grid, heads, amount].forEach(function (e) {
      if (e) e.addEventListener("change", ask);
    });
    if (text.value.trim()) ask();
  }

  function init() {
    var source = document.querySelector("[data-grid-source]");
    var target = document.querySelector("[data-grid-target]");
    if (source && target) gridFilter(source, target);
    document.querySelectorAll("[data-outcome-form]").forEach(outcomeFields);
    var toggle = document.querySelector("[data-accept-toggle]");
    if (toggle) acceptToggle(toggle);
    var intake = document.querySelector("form[data-suggest]");
    if (intake) intakeSuggest(intake);
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
