// The field app's service worker (issue 7): keeps the app's page and its stylesheet and script
// so 网格通 opens with no signal. It never answers for the API: what is composed offline waits in
// the page's IndexedDB queue, and a cached answer to a write would lose it.
"use strict";

var CACHE = "hejie-field-__VERSION__";
var SHELL = ["/m", "__CSS__", "__JS__", "/m/icon.svg"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("hejie-field-") === 0 && k !== CACHE;
    }).map(function (k) { return caches["delete"](k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (req.mode === "navigate" && url.pathname === "/m") {
    // The page first (it carries fresh records and a fresh form token), the kept copy offline.
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { c.put("/m", copy); });
      }
      return res;
    })["catch"](function () {
      return caches.match("/m");
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname + url.search) >= 0) {
    event.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
  }
});
