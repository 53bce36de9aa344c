// Hookflow Tables: a row's inline forms show the answers that refuse
// their values (409, 422), which carry the form with the errors by field.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var s = evt.detail.xhr.status;
    if ((s === 409 || s === 422) && evt.detail.target.closest && evt.detail.target.closest(".table-rows")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
})();
