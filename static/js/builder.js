// Hookflow builder: the canvas's pointer and keyboard interactions. Every
// change is one POST of a small form to the canvas's edit URL, carrying the
// revision it was made on; the server answers with the new canvas (or the
// current one with a conflict notice), which htmx swaps in.
(function () {
  "use strict";
  var chosenType = null;   // palette card chosen for the next + slot
  var chosenAction = null; // and, for a connector action, which one
  var chosenOutput = null; // output clicked for click-to-map

  function canvas() { return document.getElementById("canvas"); }

  function edit(values) {
    var c = canvas();
    values.revision = c.getAttribute("data-revision");
    return htmx.ajax("POST", c.getAttribute("data-edit-url"), { target: "#canvas", swap: "outerHTML", values: values });
  }

  function clearOutput() {
    if (chosenOutput) chosenOutput.classList.remove("chosen");
    chosenOutput = null;
    document.body.classList.remove("mapping");
  }

  // laneOf copies a lane binding's target (lane and output flag) into values.
  function laneOf(el, values) {
    if (el.hasAttribute("data-lane")) {
      values.lane = el.getAttribute("data-lane");
      values.laneOutput = el.getAttribute("data-lane-output");
    }
    return values;
  }

  function bindRef(input, card, field) {
    edit(laneOf(input, { op: "bind", card: input.getAttribute("data-card"), field: input.getAttribute("data-field"), refCard: card, refField: field }));
  }

  // Show 409 and 422 answers too: they carry the canvas with its notice.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var s = evt.detail.xhr.status;
    if (s === 409 || s === 422) { evt.detail.shouldSwap = true; evt.detail.isError = false; }
  });

  document.addEventListener("click", function (evt) {
    var t = evt.target;
    var pal = t.closest(".palette-card");
    if (pal) {
      document.querySelectorAll(".palette-card.chosen").forEach(function (b) { b.classList.remove("chosen"); });
      chosenType = pal.getAttribute("data-type");
      chosenAction = pal.getAttribute("data-action");
      pal.classList.add("chosen");
      document.body.classList.add("placing");
      return;
    }
    var slot = t.closest(".slot");
    if (slot && chosenType) {
      var add = { op: "add", type: chosenType, lane: slot.getAttribute("data-lane"), index: slot.getAttribute("data-index") };
      if (chosenAction) add.action = chosenAction;
      edit(add);
      chosenType = null;
      document.body.classList.remove("placing");
      document.querySelectorAll(".palette-card.chosen").forEach(function (b) { b.classList.remove("chosen"); });
      return;
    }
    var out = t.closest(".out");
    if (out) {
      var same = chosenOutput === out;
      clearOutput();
      if (!same) { chosenOutput = out; out.classList.add("chosen"); document.body.classList.add("mapping"); }
      return;
    }
    var op = t.closest("[data-op]");
    if (op) {
      var v = { op: op.getAttribute("data-op"), card: op.getAttribute("data-card") };
      if (op.hasAttribute("data-field")) v.field = op.getAttribute("data-field");
      if (op.hasAttribute("data-delta")) v.delta = op.getAttribute("data-delta");
      if (op.hasAttribute("data-output")) { v.output = op.getAttribute("data-output"); v.field = op.getAttribute("data-key"); }
      edit(laneOf(op, v));
      return;
    }
    var input = t.closest(".in");
    // While an output is chosen, a click anywhere on an input field maps it,
    // its value box included.
    if (input && chosenOutput) {
      evt.preventDefault();
      bindRef(input, chosenOutput.getAttribute("data-card"), chosenOutput.getAttribute("data-field"));
      clearOutput();
    }
  });

  // Keyboard: Enter or Space on a focused input maps the chosen output; Escape forgets it.
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") { clearOutput(); return; }
    var input = evt.target.closest && evt.target.closest(".in");
    if (input && evt.target === input && (evt.key === "Enter" || evt.key === " ") && chosenOutput) {
      evt.preventDefault();
      bindRef(input, chosenOutput.getAttribute("data-card"), chosenOutput.getAttribute("data-field"));
      clearOutput();
    }
  });

  // Static values: saved when the field is left or Enter is pressed.
  // Field forms add, rename and retype a card's own fields.
  document.addEventListener("submit", function (evt) {
    var tf = evt.target.closest("form.test-form");
    if (tf) {
      evt.preventDefault();
      var values = { op: "test" };
      tf.querySelectorAll("textarea").forEach(function (t) { values[t.name] = t.value; });
      edit(values);
      return;
    }
    var ff = evt.target.closest("form.field-form");
    if (ff) {
      evt.preventDefault();
      var v = { op: ff.getAttribute("data-field-op"), card: ff.getAttribute("data-card"), output: ff.getAttribute("data-output"),
        key: ff.querySelector("[name=key]").value, type: ff.querySelector("[name=type]").value };
      if (ff.hasAttribute("data-key")) v.field = ff.getAttribute("data-key");
      edit(v);
      return;
    }
    var pf = evt.target.closest("form.path");
    if (pf) { evt.preventDefault(); savePath(pf); return; }
    var form = evt.target.closest("form.static");
    if (!form) return;
    evt.preventDefault();
    saveStatic(form);
  });
  // A path into a mapped output (e.g. body.id) keeps the mapping and narrows it.
  function savePath(pf) {
    edit({ op: "bind", card: pf.getAttribute("data-card"), field: pf.getAttribute("data-field"),
      refCard: pf.getAttribute("data-ref-card"), refField: pf.getAttribute("data-ref-field"),
      refPath: pf.querySelector("input[name=path]").value.trim() });
  }
  document.addEventListener("change", function (evt) {
    var pf = evt.target.closest && evt.target.closest("form.path");
    if (pf) { savePath(pf); return; }
    var form = evt.target.closest && evt.target.closest("form.static");
    if (form) saveStatic(form);
  });
  function saveStatic(form) {
    var value = form.querySelector("input[name=value]").value;
    var v = { card: form.getAttribute("data-card"), field: form.getAttribute("data-field") };
    if (value === "") { v.op = "unbind"; } else { v.op = "bind"; v.value = value; }
    edit(laneOf(form, v));
  }

  // Drag and drop: an output onto an input.
  document.addEventListener("dragstart", function (evt) {
    var out = evt.target.closest && evt.target.closest(".out");
    if (!out) return;
    evt.dataTransfer.setData("text/plain", JSON.stringify({ card: out.getAttribute("data-card"), field: out.getAttribute("data-field") }));
    evt.dataTransfer.effectAllowed = "link";
  });
  document.addEventListener("dragover", function (evt) {
    if (evt.target.closest && evt.target.closest(".in")) evt.preventDefault();
  });
  document.addEventListener("drop", function (evt) {
    var input = evt.target.closest && evt.target.closest(".in");
    if (!input) return;
    evt.preventDefault();
    try {
      var src = JSON.parse(evt.dataTransfer.getData("text/plain"));
      bindRef(input, src.card, src.field);
    } catch (e) { /* not one of our outputs */ }
  });

  // Palette search.
  document.addEventListener("input", function (evt) {
    if (!evt.target.classList.contains("palette-search")) return;
    var q = evt.target.value.toLowerCase();
    document.querySelectorAll(".palette-card").forEach(function (b) {
      var hit = b.textContent.toLowerCase().indexOf(q) >= 0 || b.getAttribute("data-type").indexOf(q) >= 0;
      b.hidden = !hit;
    });
    document.querySelectorAll(".palette-group").forEach(function (g) {
      g.hidden = g.querySelectorAll(".palette-card:not([hidden])").length === 0;
    });
  });
})();
