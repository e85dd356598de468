// EarlyBird's service worker for the delivery round (served at /delivery/sw.js, scope /delivery/).
// The round page asks it to keep the page and its static files; without signal, a page or file it kept answers.
// Only GETs are handled: a tap (POST) goes to the network or, failing, into the page's queue (static/app.js).
"use strict";

var CACHE = "earlybird-round-v1";

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var urls = event.data && event.data.keep;
  if (!Array.isArray(urls)) return;
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok) return cache.put(url, response);
      }).catch(function () { /* kept at the next visit */ });
    }));
  }));
});

// Network first (the round changes as the office works); what answered is kept for the next time without signal.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var fragment = request.headers.get("HX-Request") === "true";
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !fragment) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreVary: true }).then(function (kept) {
      return kept || Response.error();
    });
  }));
});
