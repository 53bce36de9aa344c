// Hookflow Event Hooks: the custom headers' rows of a hook's form are
// added from a <template> (button[data-add-row="#template"]) and removed
// by their button[data-remove-row]; a new row's inputs take the next
// free number in their names (headers.<n>.name).
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var remove = evt.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("tr");
      var rows = row.parentNode;
      row.remove();
      if (!rows.querySelector("tr")) addRow(document.querySelector('[data-add-row]'));
      return;
    }
    var add = evt.target.closest("[data-add-row]");
    if (add) addRow(add);
  });

  function addRow(btn) {
    var tpl = document.querySelector(btn.getAttribute("data-add-row"));
    var rows = btn.closest("fieldset").querySelector("[data-rows]");
    var next = 0;
    rows.querySelectorAll("input[name]").forEach(function (input) {
      var m = /^headers\.(\d+)\./.exec(input.name);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    });
    var row = tpl.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("input[name]").forEach(function (input) {
      input.name = input.name.replace("__i__", String(next));
    });
    rows.appendChild(row);
    row.querySelector("input").focus();
  }
})();
