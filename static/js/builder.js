// Hookflow builder: the canvas's pointer and keyboard interactions. Every
// change is one POST of a small form to the canvas's edit URL, carrying the
// revision it was made on; the server answers with the new canvas (or the
// current one with a conflict notice), which htmx swaps in. Changes are
// sent one at a time, each on the revision the previous one left.
(function () {
  "use strict";
  var CARD = "application/x-hookflow-card"; // what a palette card carries when dragged
  var chosenType = null;   // palette card chosen for the next + slot
  var chosenAction = null; // and, for a connector action, which one
  var chosenOutput = null; // output clicked for click-to-map

  function canvas() { return document.getElementById("canvas"); }
  function byTestID(root, id) { return root.querySelector('[data-testid="' + id + '"]'); }

  // The edit queue: one change in flight; the next is sent on the revision
  // the answer carries. After a conflict the rest are dropped: the user is
  // looking at a canvas that says their change was not saved.
  var queue = [];
  var busy = false;
  var lastStatus = 0;
  function edit(values) {
    queue.push(values);
    if (!busy) next();
  }
  function next() {
    if (lastStatus === 409) queue = [];
    var values = queue.shift();
    if (!values) { busy = false; return; }
    busy = true;
    var c = canvas();
    var before = c.getAttribute("data-revision");
    values.revision = before;
    htmx.ajax("POST", c.getAttribute("data-edit-url"), { target: "#canvas", swap: "outerHTML", values: values })
      .then(afterSwap, afterSwap).then(function () { followRevision(before); }).then(next);
  }

  // followRevision moves the page's forms marked data-follows-canvas (a
  // Webhook Event's settings, a flow's data setting: parts of the flow the
  // canvas never changes) from the revision the canvas was on to the one
  // its edit saved, so that they save on top of the user's own canvas
  // changes instead of being refused as changed elsewhere.
  function followRevision(before) {
    var c = canvas();
    if (lastStatus !== 200 || !c) return;
    var now = c.getAttribute("data-revision");
    document.querySelectorAll('form[data-follows-canvas] input[name="revision"]').forEach(function (input) {
      if (!c.contains(input) && input.value === before) input.value = now;
    });
  }

  // What the user had open and focused in the canvas survives its swap:
  // the test run, a card's "Edit inputs" while fields are added.
  var openDetails = [];
  var focused = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var s = evt.detail.xhr.status;
    lastStatus = s;
    // Show 409 and 422 answers too: they carry the canvas with its notice.
    if (s === 409 || s === 422) { evt.detail.shouldSwap = true; evt.detail.isError = false; }
    var c = canvas();
    if (!c || evt.detail.target !== c) return;
    openDetails = Array.prototype.map.call(c.querySelectorAll("details[open][data-testid]"), function (d) { return d.getAttribute("data-testid"); });
    var a = document.activeElement;
    focused = a && c.contains(a) && a.closest("details.fields") ? a.getAttribute("data-testid") : null;
  });
  function afterSwap() {
    var c = canvas();
    if (!c) return;
    openDetails.forEach(function (id) { var d = byTestID(c, id); if (d) d.open = true; });
    if (focused) { var el = byTestID(c, focused); if (el) el.focus(); }
    openDetails = [];
    focused = null;
    filterPalette();
  }

  function clearOutput() {
    if (chosenOutput) chosenOutput.classList.remove("chosen");
    chosenOutput = null;
    document.body.classList.remove("mapping");
  }

  function clearChosen() {
    chosenType = null;
    chosenAction = null;
    document.body.classList.remove("placing");
    document.querySelectorAll(".palette-card.chosen").forEach(function (b) { b.classList.remove("chosen"); });
  }

  // laneOf copies a lane binding's target (lane and output flag) into values.
  function laneOf(el, values) {
    if (el.hasAttribute("data-lane")) {
      values.lane = el.getAttribute("data-lane");
      values.laneOutput = el.getAttribute("data-lane-output");
    }
    return values;
  }

  // mapOnto maps an output onto an input. Typed text in a card's text input
  // is kept (the server puts the mapping beside it); any other typed value,
  // choice or lane value is replaced only when the user says so.
  function mapOnto(input, card, field) {
    var box = input.querySelector(":scope > form.static [name=value]");
    var value = box ? box.value.trim() : "";
    var keeps = box && box.tagName === "INPUT" && input.getAttribute("data-type") === "text" && !input.hasAttribute("data-lane");
    if (value !== "" && !keeps) {
      var label = input.querySelector(".in-label").firstChild.textContent.trim();
      if (!window.confirm("Replace the value \u201c" + value + "\u201d of " + label + " with the mapped field?")) return;
    }
    edit(laneOf(input, { op: "bind", card: input.getAttribute("data-card"), field: input.getAttribute("data-field"), refCard: card, refField: field }));
  }

  function addCard(type, action, lane, index) {
    var add = { op: "add", type: type, lane: lane, index: index };
    if (action) add.action = action;
    edit(add);
  }

  document.addEventListener("click", function (evt) {
    var t = evt.target;
    var pal = t.closest(".palette-card");
    if (pal) {
      clearChosen();
      chosenType = pal.getAttribute("data-type");
      chosenAction = pal.getAttribute("data-action");
      pal.classList.add("chosen");
      document.body.classList.add("placing");
      return;
    }
    var slot = t.closest(".slot");
    if (slot && chosenType) {
      addCard(chosenType, chosenAction, slot.getAttribute("data-lane"), slot.getAttribute("data-index"));
      clearChosen();
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
      var v = { op: op.getAttribute("data-op") };
      ["card", "field", "delta", "to", "index"].forEach(function (k) { if (op.hasAttribute("data-" + k)) v[k] = op.getAttribute("data-" + k); });
      if (op.hasAttribute("data-output")) { v.output = op.getAttribute("data-output"); v.field = op.getAttribute("data-key"); }
      edit(laneOf(op, v));
      return;
    }
    var input = t.closest(".in");
    // While an output is chosen, a click anywhere on an input field maps it,
    // its value box included.
    if (input && chosenOutput) {
      evt.preventDefault();
      mapOnto(input, chosenOutput.getAttribute("data-card"), chosenOutput.getAttribute("data-field"));
      clearOutput();
    }
  });

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  // Keyboard: Enter or Space on a focused input maps the chosen output;
  // Escape forgets it; Ctrl+Z (Cmd+Z) presses the Undo beside a notice.
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") { clearOutput(); clearChosen(); return; }
    if ((evt.ctrlKey || evt.metaKey) && (evt.key === "z" || evt.key === "Z") && !evt.shiftKey && !typing(evt.target)) {
      var undo = document.querySelector('[data-testid="undo"]');
      if (undo) { evt.preventDefault(); undo.click(); }
      return;
    }
    if (evt.key === "Enter" && evt.target.classList && evt.target.classList.contains("palette-search")) {
      evt.preventDefault();
      placeFirstMatch();
      return;
    }
    var input = evt.target.closest && evt.target.closest(".in");
    if (input && evt.target === input && (evt.key === "Enter" || evt.key === " ") && chosenOutput) {
      evt.preventDefault();
      mapOnto(input, chosenOutput.getAttribute("data-card"), chosenOutput.getAttribute("data-field"));
      clearOutput();
    }
  });

  // Static values: saved when the field is left or Enter is pressed. Enter
  // fires both a change and a submit; a value is sent once, and only when
  // it differs from what is saved (data-saved).
  // Field forms add, rename and retype a card's own fields.
  document.addEventListener("submit", function (evt) {
    var tf = evt.target.closest("form.test-form");
    if (tf) {
      evt.preventDefault();
      var values = { op: "test" };
      tf.querySelectorAll("textarea, select").forEach(function (t) { values[t.name] = t.value; });
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
    var cf = evt.target.closest("form.condition-form");
    if (cf) { evt.preventDefault(); saveCondition(cf); return; }
    var form = evt.target.closest("form.static");
    if (!form) return;
    evt.preventDefault();
    saveStatic(form);
  });
  document.addEventListener("change", function (evt) {
    var pf = evt.target.closest && evt.target.closest("form.path");
    if (pf) { savePath(pf); return; }
    var cf = evt.target.closest && evt.target.closest("form.condition-form");
    if (cf) { saveCondition(cf); return; }
    var form = evt.target.closest && evt.target.closest("form.static");
    if (form) saveStatic(form);
  });
  // unsaved reports whether a form's value differs from what was last
  // saved or sent, and notes it as sent.
  function unsaved(form, value) {
    if (value === (form.getAttribute("data-saved") || "")) return false;
    form.setAttribute("data-saved", value);
    return true;
  }
  // A path into a mapped output (e.g. body.id) keeps the mapping and narrows it.
  function savePath(pf) {
    var path = pf.querySelector("input[name=refPath]").value.trim();
    if (!unsaved(pf, path)) return;
    edit({ op: "bind", card: pf.getAttribute("data-card"), field: pf.getAttribute("data-field"),
      refCard: pf.getAttribute("data-ref-card"), refField: pf.getAttribute("data-ref-field"), refPath: path });
  }
  // A Search Rows condition's column and comparison are sent together.
  function saveCondition(cf) {
    edit({ op: "condition", card: cf.getAttribute("data-card"), index: cf.getAttribute("data-index"),
      column: cf.querySelector("[name=column]").value, operator: cf.querySelector("[name=operator]").value });
  }
  function saveStatic(form) {
    var value = form.querySelector("[name=value]").value;
    if (!unsaved(form, value)) return;
    var v = { card: form.getAttribute("data-card"), field: form.getAttribute("data-field") };
    if (value === "") { v.op = "unbind"; } else { v.op = "bind"; v.value = value; }
    edit(laneOf(form, v));
  }

  // Drag and drop: an output onto an input, a palette card onto a + slot.
  document.addEventListener("dragstart", function (evt) {
    var pal = evt.target.closest && evt.target.closest(".palette-card");
    if (pal) {
      evt.dataTransfer.setData(CARD, JSON.stringify({ type: pal.getAttribute("data-type"), action: pal.getAttribute("data-action") }));
      evt.dataTransfer.effectAllowed = "copy";
      document.body.classList.add("placing");
      return;
    }
    var out = evt.target.closest && evt.target.closest(".out");
    if (!out) return;
    evt.dataTransfer.setData("text/plain", JSON.stringify({ card: out.getAttribute("data-card"), field: out.getAttribute("data-field") }));
    evt.dataTransfer.effectAllowed = "link";
  });
  document.addEventListener("dragend", function () {
    if (!chosenType) document.body.classList.remove("placing");
  });
  function carriesCard(evt) {
    return Array.prototype.indexOf.call(evt.dataTransfer.types, CARD) >= 0;
  }
  document.addEventListener("dragover", function (evt) {
    if (!evt.target.closest) return;
    if (carriesCard(evt)) {
      if (evt.target.closest(".slot")) { evt.preventDefault(); evt.dataTransfer.dropEffect = "copy"; }
      return;
    }
    if (evt.target.closest(".in")) evt.preventDefault();
  });
  document.addEventListener("drop", function (evt) {
    if (!evt.target.closest) return;
    var slot = evt.target.closest(".slot");
    if (slot && carriesCard(evt)) {
      evt.preventDefault();
      try {
        var card = JSON.parse(evt.dataTransfer.getData(CARD));
        addCard(card.type, card.action, slot.getAttribute("data-lane"), slot.getAttribute("data-index"));
      } catch (e) { /* not one of our cards */ }
      clearChosen();
      return;
    }
    var input = evt.target.closest(".in");
    if (!input) return;
    evt.preventDefault();
    var src;
    try { src = JSON.parse(evt.dataTransfer.getData("text/plain")); } catch (e) { return; /* not one of our outputs */ }
    mapOnto(input, src.card, src.field);
  });

  // Palette search: cards whose title or type holds the words stay, each in
  // its group; groups left empty hide. Applied on typing and again after
  // every change of the canvas.
  function filterPalette() {
    var box = document.querySelector(".palette-search");
    if (!box) return;
    var q = box.value.trim().toLowerCase();
    var any = false;
    document.querySelectorAll(".palette-card").forEach(function (b) {
      var hit = q === "" || b.textContent.toLowerCase().indexOf(q) >= 0 || (b.getAttribute("data-type") || "").toLowerCase().indexOf(q) >= 0;
      b.hidden = !hit;
      any = any || hit;
    });
    document.querySelectorAll(".palette-group").forEach(function (g) {
      g.hidden = g.querySelector(".palette-card:not([hidden])") === null;
    });
    var none = document.querySelector('[data-testid="palette-no-match"]');
    if (none) none.hidden = any;
  }
  document.addEventListener("input", function (evt) {
    if (evt.target.classList.contains("palette-search")) filterPalette();
  });
  // A search left in the box (the browser keeps it on going back) filters too.
  filterPalette();

  var closing = ["control.return", "control.return_raw", "control.return_error"];
  // placeFirstMatch puts the first card the search shows at the end of the
  // flow's main line, before a closing Return card.
  function placeFirstMatch() {
    var first = document.querySelector(".palette-group:not([hidden]) .palette-card:not([hidden])");
    var top = canvas() && canvas().querySelector(".lane.top");
    if (!first || !top) return;
    var cards = top.querySelectorAll(":scope > .card:not(.event)");
    var index = cards.length;
    while (index > 0 && closing.indexOf(cards[index - 1].getAttribute("data-type")) >= 0) index--;
    addCard(first.getAttribute("data-type"), first.getAttribute("data-action"), "", String(index));
  }
})();
