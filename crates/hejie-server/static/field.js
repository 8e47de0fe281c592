// 网格通: the field app for grid workers and legal advisors (issue 7). Our own script, served by
// the binary at /static/field.js and used only by the /m pages.
//
// Offline first: a report, patrol log, consultation or activity is saved in the phone's
// IndexedDB the moment it is composed, with an id (UUID) chosen here. The queue is sent when a
// connection returns, one item at a time, oldest first; an item leaves the queue only when the
// server has answered for it. The id is the server's idempotency key, so an item sent twice
// (an answer lost on a bad line) is recorded once, and a batch cut off halfway resumes where it
// stopped.
(function () {
  "use strict";

  var app = document.querySelector("[data-field-app]");
  if (!app) return;
  var csrf = app.getAttribute("data-csrf") || "";
  var DB = "hejie-field";
  var STORE = "queue";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m" }).catch(function () {});
  }

  // ---------------------------------------------------------------------------------------
  // The queue in IndexedDB
  // ---------------------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "id" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  var queue = {
    all: function () {
      return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
        return (items || []).sort(function (a, b) { return a.created - b.created; });
      });
    },
    put: function (item) { return tx("readwrite", function (s) { s.put(item); }); },
    remove: function (id) { return tx("readwrite", function (s) { s["delete"](id); }); }
  };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Pages served over plain http on a LAN have no randomUUID; getRandomValues still works.
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ---------------------------------------------------------------------------------------
  // Status line, position, photos
  // ---------------------------------------------------------------------------------------

  var statusEl = document.getElementById("m-status");
  function say(text, bad) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.className = "m-status" + (bad ? " m-status-bad" : "");
  }

  var netEl = document.getElementById("m-net");
  function showNet() {
    if (!netEl) return;
    netEl.textContent = navigator.onLine ? "在线" : "离线";
    netEl.className = "m-net " + (navigator.onLine ? "m-net-on" : "m-net-off");
  }

  var lastPosition = null;
  function locate() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(lastPosition);
      navigator.geolocation.getCurrentPosition(function (p) {
        lastPosition = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: Date.now() };
        document.querySelectorAll("[data-position]").forEach(function (el) {
          el.textContent = "定位：" + lastPosition.lat.toFixed(5) + "，" + lastPosition.lon.toFixed(5) +
            "（精度约" + Math.round(lastPosition.accuracy) + "米）";
        });
        resolve(lastPosition);
      }, function () {
        document.querySelectorAll("[data-position]").forEach(function (el) {
          el.textContent = "定位：未能获取（请开启定位权限），仍可上报";
        });
        resolve(lastPosition);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // Photos are shrunk on the phone (longest side 1280 px, JPEG) so a queue of them fits and
  // syncs over a weak signal.
  function shrink(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, 1280 / Math.max(bmp.width, bmp.height));
      var c = document.createElement("canvas");
      c.width = Math.max(1, Math.round(bmp.width * scale));
      c.height = Math.max(1, Math.round(bmp.height * scale));
      c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
      return new Promise(function (resolve) {
        c.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.82);
      });
    })["catch"](function () { return file; });
  }

  function photosOf(form) {
    var input = form.querySelector("input[type=file]");
    var files = input && input.files ? Array.prototype.slice.call(input.files, 0, 6) : [];
    return Promise.all(files.map(shrink));
  }

  // ---------------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------------

  function send(item) {
    var init = { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (item.json) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(item.json);
    } else {
      var fd = new FormData();
      (item.fields || []).forEach(function (kv) { fd.append(kv[0], kv[1]); });
      (item.photos || []).forEach(function (blob, i) { fd.append("photo", blob, "photo-" + (i + 1) + ".jpg"); });
      init.body = fd;
    }
    return fetch(item.url, init);
  }

  var syncing = null;
  function sync() {
    if (syncing) return syncing;
    syncing = queue.all().then(function (items) {
      var sent = 0;
      var step = function (i) {
        if (i >= items.length) return sent;
        var item = items[i];
        return send(item).then(function (res) {
          if (res.status === 401) {
            say("登录已过期，请重新登录后同步（未上报的内容已保存在手机上）", true);
            throw new Error("unauthorized");
          }
          if (res.ok) {
            sent += 1;
            return queue.remove(item.id).then(function () { return step(i + 1); });
          }
          if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
            // The server refused this item; keep it with the reason and go on with the rest.
            return res.json()["catch"](function () { return {}; }).then(function (body) {
              item.error = body.message || ("提交被拒绝（" + res.status + "）");
              return queue.put(item).then(function () { return step(i + 1); });
            });
          }
          throw new Error("server " + res.status);
        });
      };
      return step(0);
    }).then(function (sent) {
      if (sent > 0) say("已同步" + sent + "条记录");
      return sent;
    }, function (e) {
      if (!(e && e.message === "unauthorized")) say("网络不畅，稍后自动重试（内容已保存在手机上）", true);
      return 0;
    }).then(function (sent) {
      syncing = null;
      return render().then(function () { return sent; });
    });
    return syncing;
  }

  function enqueue(item) {
    item.created = Date.now();
    return queue.put(item).then(function () {
      say(navigator.onLine ? "已保存，正在上报…" : "已保存在手机上，联网后自动上报");
      return render();
    }).then(function () {
      if (navigator.onLine) return sync();
    });
  }

  // ---------------------------------------------------------------------------------------
  // The queue on screen
  // ---------------------------------------------------------------------------------------

  var countEl = document.getElementById("m-queue-count");
  var listEl = document.getElementById("m-queue-list");
  function render() {
    return queue.all().then(function (items) {
      if (countEl) countEl.textContent = String(items.length);
      if (!listEl) return;
      listEl.textContent = "";
      if (items.length === 0) {
        var li = document.createElement("li");
        li.className = "muted";
        li.textContent = "没有待上报的记录";
        listEl.appendChild(li);
      }
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "m-queue-item" + (item.error ? " m-queue-error" : "");
        li.setAttribute("data-queue-id", item.id);
        var t = document.createElement("span");
        t.textContent = item.label + (item.photos && item.photos.length ? "（" + item.photos.length + "张照片）" : "");
        li.appendChild(t);
        if (item.error) {
          var e = document.createElement("span");
          e.className = "m-queue-reason";
          e.textContent = "未能上报：" + item.error;
          li.appendChild(e);
          var del = document.createElement("button");
          del.type = "button";
          del.className = "btn btn-ghost btn-small";
          del.textContent = "删除";
          del.addEventListener("click", function () { queue.remove(item.id).then(render); });
          li.appendChild(del);
        }
        listEl.appendChild(li);
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Forms
  // ---------------------------------------------------------------------------------------

  function value(form, name) {
    var el = form.elements[name];
    return el ? String(el.value || "").trim() : "";
  }

  function checked(form, name) {
    var el = form.elements[name];
    return !!(el && el.checked);
  }

  var categories = {};
  try { categories = JSON.parse(app.getAttribute("data-categories") || "{}"); } catch (e) { categories = {}; }

  var report = document.getElementById("report-form");
  if (report) {
    var fillCategories = function () {
      var ledger = value(report, "ledger") || "dispute";
      var select = report.elements.category;
      select.textContent = "";
      (categories[ledger] || []).forEach(function (c) {
        var o = document.createElement("option");
        o.value = c;
        o.textContent = c;
        select.appendChild(o);
      });
      report.classList.toggle("is-dispute", ledger === "dispute");
    };
    Array.prototype.forEach.call(report.querySelectorAll("input[name=ledger]"), function (r) {
      r.addEventListener("change", fillCategories);
    });
    var onSpot = report.elements.on_spot;
    if (onSpot) onSpot.addEventListener("change", function () {
      report.classList.toggle("is-on-spot", onSpot.checked);
    });
    fillCategories();
    report.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var ledger = value(report, "ledger");
      if (!value(report, "text")) { say("请填写情况描述", true); return; }
      if (ledger === "dispute" && !value(report, "parties")) { say("矛盾纠纷请至少填写一名当事人", true); return; }
      if (ledger === "dispute" && checked(report, "on_spot") && !checked(report, "confirmed")) {
        say("就地化解须经当事人确认，请勾选“当事人已确认”", true);
        return;
      }
      var observed = Date.now();
      Promise.all([locate(), photosOf(report)]).then(function (got) {
        var pos = got[0];
        var fields = [
          ["id", uuid()], ["ledger", ledger], ["category", value(report, "category")],
          ["text", value(report, "text")], ["grid", value(report, "grid")],
          ["observed_at", String(observed)]
        ];
        if (ledger === "dispute") {
          fields.push(["parties", value(report, "parties")]);
          if (checked(report, "on_spot")) {
            fields.push(["on_spot", "1"], ["on_spot_record", value(report, "on_spot_record")]);
            if (checked(report, "confirmed")) fields.push(["confirmed", "1"]);
          }
        }
        if (pos) fields.push(["lat", String(pos.lat)], ["lon", String(pos.lon)], ["accuracy", String(pos.accuracy)]);
        var label = (report.querySelector("input[name=ledger]:checked").getAttribute("data-label") || "") +
          " · " + value(report, "category") + " · " + value(report, "text").slice(0, 20);
        var item = { id: fields[0][1], url: "/api/v1/field/reports", label: label, fields: fields, photos: got[1] };
        return enqueue(item).then(function () {
          report.reset();
          fillCategories();
          report.classList.remove("is-on-spot");
        });
      });
    });
  }

  // A patrol is kept on the phone while it runs (start, track points every minute, households
  // visited) and queued as one log when it ends.
  var patrolKey = "hejie-field-patrol";
  var patrolEl = document.getElementById("patrol");
  if (patrolEl) {
    var current = function () {
      try { return JSON.parse(localStorage.getItem(patrolKey) || "null"); } catch (e) { return null; }
    };
    var save = function (p) {
      if (p) localStorage.setItem(patrolKey, JSON.stringify(p)); else localStorage.removeItem(patrolKey);
      showPatrol();
    };
    var timer = null;
    var addPoint = function () {
      locate().then(function (pos) {
        var p = current();
        if (!p || !pos) return;
        p.track.push({ lat: pos.lat, lon: pos.lon, at: Date.now() });
        save(p);
      });
    };
    var showPatrol = function () {
      var p = current();
      patrolEl.classList.toggle("is-running", !!p);
      var info = document.getElementById("patrol-info");
      if (info) info.textContent = p ? ("巡查中：开始于" + new Date(p.started_at).toLocaleTimeString("zh-CN") +
        "，轨迹" + p.track.length + "个点，走访" + p.visits.length + "户") : "未在巡查";
      if (p && !timer) timer = setInterval(addPoint, 60000);
      if (!p && timer) { clearInterval(timer); timer = null; }
    };
    document.getElementById("patrol-start").addEventListener("click", function () {
      save({ id: uuid(), grid: value(report || patrolEl, "grid"), started_at: Date.now(), track: [], visits: [] });
      addPoint();
    });
    document.getElementById("patrol-visit").addEventListener("click", function () {
      var p = current();
      var who = document.getElementById("patrol-household");
      var note = document.getElementById("patrol-note");
      if (!p || !who.value.trim()) { say("请先开始巡查并填写走访对象", true); return; }
      p.visits.push({ household: who.value.trim(), note: note.value.trim(), at: Date.now() });
      who.value = "";
      note.value = "";
      save(p);
    });
    document.getElementById("patrol-end").addEventListener("click", function () {
      var p = current();
      if (!p) return;
      var summary = document.getElementById("patrol-summary");
      var body = {
        id: p.id, grid: p.grid, started_at: p.started_at, ended_at: Date.now(),
        track: p.track, visits: p.visits, note: summary ? summary.value.trim() : ""
      };
      save(null);
      enqueue({ id: p.id, url: "/api/v1/field/patrols", label: "巡查日志 · 走访" + p.visits.length + "户", json: body });
    });
    showPatrol();
  }

  // Consultations and activities queue like reports.
  var consult = document.getElementById("consult-form");
  if (consult) {
    consult.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!value(consult, "question") || !value(consult, "answer")) { say("请填写咨询问题和解答意见", true); return; }
      var id = uuid();
      var visit = app.getAttribute("data-open-visit") || null;
      enqueue({
        id: id, url: "/api/v1/field/consultations", label: "法律咨询 · " + value(consult, "question").slice(0, 20),
        json: {
          id: id, village: value(consult, "village"), asker: value(consult, "asker"),
          question: value(consult, "question"), answer: value(consult, "answer"),
          legal_aid: checked(consult, "legal_aid"), visit: visit
        }
      }).then(function () { consult.reset(); });
    });
  }

  var activity = document.getElementById("activity-form");
  if (activity) {
    activity.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!value(activity, "title")) { say("请填写活动主题", true); return; }
      photosOf(activity).then(function (photos) {
        var id = uuid();
        var fields = [["id", id], ["village", value(activity, "village")], ["activity", value(activity, "activity")],
          ["title", value(activity, "title")], ["audience", value(activity, "audience") || "0"],
          ["note", value(activity, "note")], ["held_at", String(Date.now())]];
        var kind = activity.elements.activity;
        var label = kind.options[kind.selectedIndex].text + " · " + value(activity, "title");
        return enqueue({ id: id, url: "/api/v1/field/activities", label: label, fields: fields, photos: photos });
      }).then(function () { activity.reset(); });
    });
  }

  // Check-in and check-out need the server's answer (the geofence), so they go at once.
  function postNow(url, body, json) {
    var init = { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body: body };
    if (json) init.headers["Content-Type"] = "application/json";
    return fetch(url, init).then(function (res) {
      return res.json()["catch"](function () { return {}; }).then(function (b) {
        if (!res.ok) throw new Error(b.message || ("提交失败（" + res.status + "）"));
        return b;
      });
    });
  }

  var checkIn = document.getElementById("checkin-form");
  if (checkIn) {
    checkIn.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!navigator.onLine) { say("签到需要联网核验位置，请到有信号处再签到", true); return; }
      say("正在定位…");
      Promise.all([locate(), photosOf(checkIn)]).then(function (got) {
        var fd = new FormData();
        fd.append("id", uuid());
        fd.append("village", value(checkIn, "village"));
        if (got[0]) {
          fd.append("lat", String(got[0].lat));
          fd.append("lon", String(got[0].lon));
          fd.append("accuracy", String(got[0].accuracy));
        }
        if (got[1][0]) fd.append("photo", got[1][0], "checkin.jpg");
        return postNow("/api/v1/field/visits", fd, false);
      }).then(function (b) {
        sessionStorage.setItem("hejie-checkin-notice", "已签到：" + b.fence_text + (b.flagged ? "（已标记待核实）" : ""));
        location.reload();
      }, function (e) { say(e.message, true); });
    });
  }

  var checkOut = document.getElementById("checkout-form");
  if (checkOut) {
    checkOut.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!value(checkOut, "log")) { say("请填写本次走访的工作日志", true); return; }
      var visit = checkOut.getAttribute("data-visit");
      locate().then(function (pos) {
        var body = { log: value(checkOut, "log") };
        if (pos) { body.lat = pos.lat; body.lon = pos.lon; body.accuracy = pos.accuracy; }
        return postNow("/api/v1/field/visits/" + visit + "/check-out", JSON.stringify(body), true);
      }).then(function (b) {
        sessionStorage.setItem("hejie-checkin-notice", "已签退：" + b.fence_text);
        location.reload();
      }, function (e) { say(e.message, true); });
    });
  }

  var visitPhoto = document.getElementById("visit-photo-form");
  if (visitPhoto) {
    visitPhoto.addEventListener("submit", function (ev) {
      ev.preventDefault();
      photosOf(visitPhoto).then(function (photos) {
        if (!photos[0]) throw new Error("请先拍摄照片");
        var fd = new FormData();
        fd.append("photo", photos[0], "visit.jpg");
        return postNow("/api/v1/field/visits/" + visitPhoto.getAttribute("data-visit") + "/photos", fd, false);
      }).then(function (b) {
        say("照片已上传（本次走访共" + b.photos + "张）");
        visitPhoto.reset();
      }, function (e) { say(e.message, true); });
    });
  }

  var notice = sessionStorage.getItem("hejie-checkin-notice");
  if (notice) {
    sessionStorage.removeItem("hejie-checkin-notice");
    say(notice);
  }

  var syncButton = document.getElementById("m-sync");
  if (syncButton) syncButton.addEventListener("click", function () { sync(); });
  window.addEventListener("online", function () { showNet(); sync(); });
  window.addEventListener("offline", showNet);
  setInterval(function () { if (navigator.onLine) sync(); }, 30000);

  showNet();
  render().then(function () { if (navigator.onLine) sync(); });
  locate();

  // For the browser tests and for support staff: the queue and the sync, by hand.
  window.hejieField = { sync: sync, queue: queue, render: render };
})();
