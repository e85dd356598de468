// The owner's morning page: ask for today's rounds again every 30 s, only while the tab is visible (htmx's
// own `every 30s [filter]` needs eval, which the CSP refuses). An element opts in with data-refresh-every.
(function () {
  "use strict";

  function refresh() {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-refresh-every]").forEach(function (element) {
      window.htmx.trigger(element, "refresh-today");
    });
  }

  var seconds = 30;
  var first = document.querySelector("[data-refresh-every]");
  if (!first) return;
  seconds = parseInt(first.getAttribute("data-refresh-every"), 10) || seconds;
  setInterval(refresh, seconds * 1000);
  // Back on the tab after a while away: bring the page up to date at once.
  document.addEventListener("visibilitychange", refresh);
})();
