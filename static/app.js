// EarlyBird's only script besides htmx (CSP: script-src 'self', no inline handlers).
(function () {
  "use strict";

  // A word the page gave this script in its language (data-word-* on <body>, see base.html).
  function word(name) {
    return document.body.getAttribute("data-word-" + name) || "";
  }

  // <button data-copy="text">: copy to the clipboard and say so.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = word("copied");
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
    announce(stopName(element) + ". " + word("stops-done").replace("{done}", done ? done.textContent : "?")
             .replace("{total}", total ? total.textContent : "?"));
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
    button.textContent = word("retry");
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
    var what = isFetch(event) ? word("not-opened") : word("not-saved");
    if (!navigator.onLine) return what + ": " + word("no-signal");
    if (event.type === "htmx:timeout") return what + ": " + word("too-slow");
    // The app's error answer says why in words a person can act on ("This day is billed", "Wait a minute").
    var box = xhr && xhr.status >= 400 &&
      new DOMParser().parseFromString(xhr.responseText || "", "text/html").querySelector(".error-box p");
    if (box) return what + ": " + box.textContent.trim();
    return what + ": " + word("no-answer");
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
      if (stop && !isFetch(event) && queueBox()) {
        queueTap(stop, event.detail.requestConfig);
      } else if (stop && isFetch(event) && openDoorOffline(stop, event)) {
        announce(queueBox().getAttribute("data-offline"));
      } else if (stop) {
        markNotSaved(stop, failureText(event), retries.get(stop));
      }
      showOffline();
    });
  });

  // No signal: a banner says so until the phone is back online (a round says it in its own words, #tap-queue).
  function showOffline() {
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = navigator.onLine || Boolean(queueBox());
    showQueue();
  }
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  document.addEventListener("DOMContentLoaded", showOffline);

  // A round without signal. Every tap carries a key of its own (stop, date, a random part) that the server takes
  // once. A tap that cannot be sent is kept on the phone (localStorage, in the order tapped), its stop says "saved
  // on phone", and the queue is sent, in order, as soon as the signal returns; the page counts what waits. The
  // words come from #tap-queue's data- attributes (the template's, so they can be translated).
  var QUEUE = "earlybird.round.taps";

  function queueBox() { return document.getElementById("tap-queue"); }

  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (error) { return []; }
  }

  function saveQueue(queue) {
    localStorage.setItem(QUEUE, JSON.stringify(queue));
    showQueue();
  }

  function showQueue() {
    var box = queueBox();
    if (!box) return;
    var waiting = loadQueue().length;
    box.hidden = waiting === 0 && navigator.onLine;
    if (waiting === 0) box.textContent = box.getAttribute("data-offline");
    else if (waiting === 1) box.textContent = box.getAttribute("data-one");
    else box.textContent = box.getAttribute("data-many").replace("{n}", waiting);
  }

  function newTapKey(stop, path) {
    var day = (String(path).match(/\d{4}-\d{2}-\d{2}/) || ["day"])[0];
    var random = new Uint32Array(2);
    crypto.getRandomValues(random);
    return stop.id.replace(/^stop-/, "") + ":" + day + ":" + random[0].toString(36) + random[1].toString(36);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var stop = stopOf(event);
    if (!stop || event.detail.verb !== "post" || !queueBox()) return;
    if (!stop.getAttribute("data-tap-key")) stop.setAttribute("data-tap-key", newTapKey(stop, event.detail.path));
    event.detail.parameters.tap_key = stop.getAttribute("data-tap-key");
  });

  function markSaved(stop) {
    var box = queueBox();
    if (!stop || !box || stop.querySelector(".stop-saved")) return;
    var notice = document.createElement("p");
    notice.className = "stop-saved badge warn";
    notice.textContent = box.getAttribute("data-saved");
    var heading = stop.querySelector(".stop-name");
    heading.parentNode.insertBefore(notice, heading.nextSibling);
  }

  function queueTap(stop, config) {
    var key = stop.getAttribute("data-tap-key");
    var queue = loadQueue();
    if (!queue.some(function (tap) { return tap.key === key; })) {
      var body = [];
      config.formData.forEach(function (value, name) { body.push([name, String(value)]); });
      queue.push({ key: key, url: config.path, stop: stop.id, body: body });
      saveQueue(queue);
    }
    stop.removeAttribute("data-tap-key");  // a later tap at this stop is a tap of its own
    clearFailure(stop);
    markSaved(stop);
    announce(queueBox().getAttribute("data-saved"));
  }

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function refusedText(html) {
    var box = new DOMParser().parseFromString(html || "", "text/html").querySelector(".error-box p");
    return queueBox().getAttribute("data-refused") + (box ? ": " + box.textContent.trim() : ".");
  }

  // The server's answer to a queued tap: the stop as it now stands (or with its errors, 422) takes its place; a
  // refusal (the order cancelled meanwhile, the day over) is said on the stop, which the boy can tap again.
  function showAnswer(tap, status, html) {
    var stop = document.getElementById(tap.stop);
    if (!stop) return;
    if (status < 300 || status === 422) {
      htmx.swap(stop, html, { swapStyle: "outerHTML" });
      return;
    }
    var saved = stop.querySelector(".stop-saved");
    if (saved) saved.remove();
    clearFailure(stop);
    var notice = document.createElement("p");
    notice.className = "stop-failed";
    notice.setAttribute("role", "alert");
    notice.textContent = refusedText(html);
    var heading = stop.querySelector(".stop-name");
    heading.parentNode.insertBefore(notice, heading.nextSibling);
  }

  var flushing = false;

  // Send the queue, first tap first; stop at the first that finds no signal (or a server that cannot answer now).
  function flushQueue() {
    if (flushing || !queueBox()) return;
    var tap = loadQueue()[0];
    if (!tap) return;
    flushing = true;
    var body = new URLSearchParams();
    tap.body.forEach(function (pair) { body.append(pair[0], pair[1]); });
    fetch(tap.url, { method: "POST", body: body, credentials: "same-origin",
                     headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() } })
      .then(function (response) {
        return response.text().then(function (html) {
          // Signed out, rate-limited or the server down: the tap waits on the phone for the next try.
          if (response.status >= 500 || response.status === 401 || response.status === 429) throw new Error("later");
          saveQueue(loadQueue().filter(function (queued) { return queued.key !== tap.key; }));
          showAnswer(tap, response.status, html);
          return true;
        });
      })
      .catch(function () { return false; })
      .then(function (sent) {
        flushing = false;
        if (sent) flushQueue();
      });
  }

  window.addEventListener("online", flushQueue);
  setInterval(function () { if (navigator.onLine) flushQueue(); }, 15000);
  document.addEventListener("DOMContentLoaded", function () {
    if (!queueBox()) return;
    loadQueue().forEach(function (tap) { markSaved(document.getElementById(tap.stop)); });
    if (navigator.onLine) flushQueue();
    registerWorker();
  });

  // The round keeps working through a reload without signal: a service worker keeps the page and its files.
  function registerWorker() {
    var url = queueBox().getAttribute("data-worker");
    if (!url || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(url, { scope: url.replace(/[^/]*$/, "") }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var urls = [location.pathname + location.search];
      document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=icon][href]").forEach(function (el) {
        urls.push(el.getAttribute("src") || el.getAttribute("href"));
      });
      registration.active.postMessage({ keep: urls });
    }).catch(function () { /* without a worker the round still queues its taps */ });
  }

  // A stop's bottles and cash: the fields of the round's #door-fields template, opened into the stop in place of
  // `placeholder`; the stop's taps carry them (hx-include). Their ids get the stop's customer id.
  function openDoor(stop, url, placeholder) {
    var template = document.getElementById("door-fields");
    if (!template || stop.querySelector(".stop-door")) return false;
    var suffix = "-" + stop.id.replace(/^stop-/, "");
    var fields = template.content.firstElementChild.cloneNode(true);
    fields.querySelectorAll("[id]").forEach(function (el) { el.id += suffix; });
    fields.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor += suffix; });
    var only = fields.querySelector("button[value=door]");
    only.setAttribute("hx-post", url);
    only.setAttribute("hx-include", "closest .stop");
    placeholder.replaceWith(fields);
    htmx.process(fields);
    fields.querySelector("input").focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-door-open]");
    if (opener) openDoor(opener.closest(".stop"), opener.getAttribute("data-door-open"), opener);
  });

  // Without signal a stop's form cannot be fetched: its bottles and cash can still be recorded, and queued.
  function openDoorOffline(stop, event) {
    var placeholder = event.detail.elt.querySelector("a");
    return Boolean(queueBox() && placeholder && openDoor(stop, event.detail.requestConfig.path, placeholder));
  }

  // Orders calendar: the day panel opens below the month; bring it into view on a phone.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "day-panel") {
      target.scrollIntoView({ block: "nearest" });
    }
  });
})();
