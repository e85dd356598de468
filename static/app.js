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

  // A round: say what a tap did and how far the round is (#round-announce is a role=status region).
  function announce(text) {
    var region = document.getElementById("round-announce");
    if (region) region.textContent = text;
  }

  function stopName(stop) {
    var heading = stop.querySelector(".stop-name");
    var name = heading ? heading.firstChild.textContent.trim() : "";
    var badge = stop.querySelector(".stop-name .badge");
    return badge ? name + ": " + badge.textContent.trim() : name;
  }

  // After a tap, the next stop to do gets the focus (and scrolls into view), so the boy goes on from there.
  function focusNextStop(stop) {
    var round = document.getElementById("round");
    if (!round) return;
    var next = null;
    for (var sibling = stop.nextElementSibling; sibling && !next; sibling = sibling.nextElementSibling) {
      if (sibling.matches(".stop[data-state=todo]")) next = sibling;
    }
    next = next || round.querySelector(".stop[data-state=todo]");
    var target = next && (next.querySelector("button[value=full]") || next.querySelector("summary"));
    if (target) {
      target.focus();
    } else {
      var progress = document.getElementById("round-progress");
      if (progress) {
        progress.setAttribute("tabindex", "-1");
        progress.focus();
      }
    }
  }

  // htmx:load fires on the new stop once swapped in (the old element, and the form, are gone by then).
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    if (!(element && element.classList && element.classList.contains("stop"))) return;
    recountRound();
    if (element.querySelector(".error")) {
      var field = element.querySelector(".has-error input, .has-error select") || element.querySelector(".error");
      if (field.matches(".error")) field.setAttribute("tabindex", "-1");
      field.focus();
      return;
    }
    if (element.getAttribute("data-state") === "todo" || !document.getElementById("round")) return;
    var done = document.querySelector("#round-progress [data-count=done]");
    var total = document.querySelector("#round-progress [data-count=total]");
    announce(stopName(element) + ". " + (done ? done.textContent : "?") + " of " +
             (total ? total.textContent : "?") + " stops done.");
    focusNextStop(element);
  });

  // A tap in flight: every button of that stop is disabled, so a second tap cannot send it twice.
  // A tap that fails (no signal, timeout, server error) leaves the stop as it was, marked "not saved" with a retry.
  var retries = new WeakMap();

  function stopOf(event) {
    var element = event.detail && event.detail.elt;
    return element && element.closest ? element.closest(".stop") : null;
  }

  function setBusy(stop, busy) {
    stop.setAttribute("aria-busy", busy ? "true" : "false");
    stop.querySelectorAll("button").forEach(function (button) {
      if (!button.hasAttribute("data-retry")) button.disabled = busy;
    });
  }

  function clearFailure(stop) {
    var notice = stop.querySelector(".stop-failed");
    if (notice) notice.remove();
  }

  function markNotSaved(stop, message, retry) {
    clearFailure(stop);
    var notice = document.createElement("p");
    notice.className = "stop-failed";
    notice.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.textContent = message;
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-retry", "");
    button.textContent = "Retry";
    button.addEventListener("click", function () {
      clearFailure(stop);
      retry();
    });
    notice.appendChild(text);
    notice.appendChild(button);
    var heading = stop.querySelector(".stop-name");
    heading.parentNode.insertBefore(notice, heading.nextSibling);
  }

  function isFetch(event) {
    var config = event.detail.requestConfig;
    return Boolean(config && config.verb === "get");
  }

  function failureText(event) {
    var xhr = event.detail.xhr;
    var what = isFetch(event) ? "Form not opened" : "Not saved";
    if (!navigator.onLine) return what + ": no signal.";
    if (event.type === "htmx:timeout") return what + ": the network is too slow.";
    // The app's error answer says why in words a person can act on ("This day is billed", "Wait a minute").
    var box = xhr && xhr.status >= 400 &&
      new DOMParser().parseFromString(xhr.responseText || "", "text/html").querySelector(".error-box p");
    if (box) return what + ": " + box.textContent.trim();
    return what + ": the server did not answer.";
  }

  // The same request again: the same button pressed, or the stop's form fetched again into its place.
  // Taken when the request starts (htmx:beforeRequest names the element that asked).
  function retryOf(event) {
    var element = event.detail.elt;
    var config = event.detail.requestConfig || {};
    var submitter = config.triggeringEvent && config.triggeringEvent.submitter;
    if (isFetch(event)) {
      return function () {
        var placeholder = element.querySelector("a");
        if (placeholder) htmx.ajax("get", config.path, { source: element, target: placeholder, swap: "outerHTML" });
      };
    }
    var button = element.matches("button") ? element : submitter;
    return function () { if (button && button.isConnected) button.click(); };
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var stop = stopOf(event);
    if (!stop) return;
    clearFailure(stop);
    setBusy(stop, true);
    retries.set(stop, retryOf(event));
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var stop = stopOf(event);
    if (stop && stop.isConnected) setBusy(stop, false);
  });

  // An error page must not replace the stop: the stop stays, marked, with a retry.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var stop = stopOf(event);
    var status = event.detail.xhr.status;
    if (!stop || status < 400 || status === 422) return;
    event.detail.shouldSwap = false;
    markNotSaved(stop, failureText(event), retries.get(stop));
  });

  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var stop = stopOf(event);
      if (stop) markNotSaved(stop, failureText(event), retries.get(stop));
      showOffline();
    });
  });

  // No signal: a banner says so until the phone is back online.
  function showOffline() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine;
  }
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  document.addEventListener("DOMContentLoaded", showOffline);

  // Orders calendar: the day panel opens below the month; bring it into view on a phone.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "day-panel") {
      target.scrollIntoView({ block: "nearest" });
    }
  });
})();
