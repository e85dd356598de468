// A bill's day-by-day detail: folded on a phone, open on a wider screen, and always open on paper.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 720px)");

  function details() {
    return document.querySelectorAll("details.bill-days");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (wide.matches) {
      details().forEach(function (element) { element.open = true; });
    }
  });
  window.addEventListener("beforeprint", function () {
    details().forEach(function (element) { element.open = true; });
  });
})();
