// Hookflow: writes the times of <time datetime data-local> elements in the
// browser's time zone, naming it ("2026-11-01 11:00:05 GMT+1"). The server
// writes them in UTC ("… UTC"), which stays when this script cannot run;
// the UTC time is kept as the element's title.
(function () {
  "use strict";
  function pad(n, width) { return String(n).padStart(width || 2, "0"); }
  function zoneOf(d) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(d);
      for (var i = 0; i < parts.length; i++) {
        if (parts[i].type === "timeZoneName") return parts[i].value;
      }
    } catch (e) { /* no Intl: the offset below */ }
    var off = -d.getTimezoneOffset();
    return "UTC" + (off < 0 ? "-" : "+") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  }
  function localize(root) {
    if (!root || !root.querySelectorAll) return;
    var els = root.querySelectorAll("time[datetime][data-local]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) continue;
      var s = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
      if (el.getAttribute("data-local") === "ms") s += "." + pad(d.getMilliseconds(), 3);
      if (!el.title) el.title = el.textContent;
      el.textContent = s + " " + zoneOf(d);
      el.setAttribute("data-localized", "true");
    }
  }
  localize(document);
  // Content that htmx swaps in (the live list of executions) too.
  document.addEventListener("htmx:load", function (evt) { localize(evt.target); });
})();
