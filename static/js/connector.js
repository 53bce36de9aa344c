// Hookflow: the connector page. The authentication form shows only the
// inputs of the chosen kind: each group names the kinds that use it
// (data-auth-kinds); the others are hidden and disabled, so that they are
// neither shown nor sent. The server renders the same state, and checks
// only the chosen kind's inputs.
(function () {
  "use strict";
  function sync(select) {
    var form = select.form;
    if (!form) return;
    form.querySelectorAll("[data-auth-kinds]").forEach(function (el) {
      var on = el.getAttribute("data-auth-kinds").split(" ").indexOf(select.value) >= 0;
      el.hidden = !on;
      if (el.tagName === "FIELDSET") el.disabled = !on;
    });
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.matches("select[data-auth-kind]")) sync(evt.target);
  });
  // A form restored by the browser (back button) may hold another kind.
  document.querySelectorAll("select[data-auth-kind]").forEach(sync);
})();
