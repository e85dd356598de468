// EarlyBird's only script besides htmx (CSP: script-src 'self', no inline handlers).
(function () {
  "use strict";

  // <button data-copy="text">: copy to the clipboard and say so.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  });

  // <a data-print>: open the print dialog.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });

  // A round: after a stop is confirmed in place, count the round's progress again from its stops
  // (the confirmation answers with the stop alone; each stop carries its state in data-state).
  function recountRound() {
    var box = document.getElementById("round-progress");
    var round = document.getElementById("round");
    if (!box || !round) return;
    var counts = { total: 0, todo: 0, partial: 0, not_delivered: 0 };
    round.querySelectorAll(".stop[data-state]").forEach(function (stop) {
      var state = stop.getAttribute("data-state");
      counts.total += 1;
      if (state === "todo") counts.todo += 1;
      if (state === "PARTIALLY_DELIVERED") counts.partial += 1;
      if (state === "NOT_DELIVERED") counts.not_delivered += 1;
    });
    counts.done = counts.total - counts.todo;
    box.querySelectorAll("[data-count]").forEach(function (element) {
      var value = counts[element.getAttribute("data-count")];
      element.textContent = value;
      var badge = element.closest(".badge.warn, .badge.bad");
      if (badge) badge.hidden = value === 0;
    });
    var bar = box.querySelector("[data-progress-bar]");
    if (bar) {
      bar.max = counts.total || 1;
      bar.value = counts.done;
      bar.textContent = counts.done + " of " + counts.total;
    }
  }

  // htmx:load fires on the new stop once swapped in (the old element, and the form, are gone by then).
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    if (element && element.classList && element.classList.contains("stop")) recountRound();
  });

  // Orders calendar: the day panel opens below the month; bring it into view on a phone.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "day-panel") {
      target.scrollIntoView({ block: "nearest" });
    }
  });
})();
