// The online mediation room (在线调解室): chat over the page's WebSocket, and video between the
// browsers (WebRTC). The server relays signaling only; media goes browser to browser. Whoever
// joins calls everyone already there. Each remote tile carries `data-peer-state` with the
// connection's state, which people see as a label and the browser tests read.
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root) return;

  var statusEl = document.getElementById("room-status");
  var videos = document.getElementById("videos");
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var localVideo = document.getElementById("local-video");

  var STATES = {
    "new": "等待连接", connecting: "正在连接", connected: "已连接",
    disconnected: "连接中断", failed: "连接失败", closed: "已离开"
  };

  var me = null;
  var ice = [];
  var local = null;
  var peers = {};
  var ws = null;

  function setStatus(text) { statusEl.textContent = text; }

  function line(cls, who, text, at) {
    var li = document.createElement("li");
    li.className = cls;
    if (who) {
      var b = document.createElement("strong");
      b.textContent = who;
      li.appendChild(b);
      li.appendChild(document.createTextNode("："));
    }
    li.appendChild(document.createTextNode(text));
    if (at) {
      var t = document.createElement("time");
      t.textContent = at;
      li.appendChild(t);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function send(msg) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(msg));
  }

  function tile(id, name, label) {
    var fig = document.createElement("figure");
    fig.className = "tile";
    fig.id = "peer-" + id;
    fig.setAttribute("data-peer-state", "new");
    var v = document.createElement("video");
    v.autoplay = true;
    v.playsInline = true;
    var cap = document.createElement("figcaption");
    var who = document.createElement("span");
    who.textContent = name + (label ? "（" + label + "）" : "");
    var st = document.createElement("span");
    st.className = "peer-state";
    st.textContent = STATES["new"];
    cap.appendChild(who);
    cap.appendChild(document.createTextNode(" · "));
    cap.appendChild(st);
    fig.appendChild(v);
    fig.appendChild(cap);
    videos.appendChild(fig);
    return { fig: fig, video: v, state: st };
  }

  function peer(info, initiator) {
    if (peers[info.id]) return peers[info.id];
    var p = { info: info, el: tile(info.id, info.name, info.label), pending: [] };
    var pc = new RTCPeerConnection({ iceServers: ice });
    p.pc = pc;
    peers[info.id] = p;
    if (local) {
      local.getTracks().forEach(function (t) { pc.addTrack(t, local); });
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    pc.onicecandidate = function (e) {
      if (e.candidate) send({ type: "signal", to: info.id, data: { candidate: e.candidate } });
    };
    pc.ontrack = function (e) {
      if (e.streams && e.streams[0]) p.el.video.srcObject = e.streams[0];
    };
    pc.onconnectionstatechange = function () {
      var s = pc.connectionState;
      p.el.fig.setAttribute("data-peer-state", s);
      p.el.state.textContent = STATES[s] || s;
    };
    if (initiator) {
      pc.createOffer()
        .then(function (o) { return pc.setLocalDescription(o); })
        .then(function () { send({ type: "signal", to: info.id, data: { sdp: pc.localDescription } }); })
        .catch(function (err) { setStatus("视频连接失败：" + err); });
    }
    return p;
  }

  function drop(id) {
    var p = peers[id];
    if (!p) return;
    p.pc.close();
    p.el.fig.remove();
    delete peers[id];
  }

  function onSignal(from, data) {
    var p = peers[from] || peer({ id: from, name: "参加人", label: "" }, false);
    var pc = p.pc;
    if (data.sdp) {
      pc.setRemoteDescription(data.sdp)
        .then(function () {
          p.pending.forEach(function (c) { pc.addIceCandidate(c); });
          p.pending = [];
          if (data.sdp.type === "offer") {
            return pc.createAnswer()
              .then(function (a) { return pc.setLocalDescription(a); })
              .then(function () { send({ type: "signal", to: from, data: { sdp: pc.localDescription } }); });
          }
        })
        .catch(function (err) { setStatus("视频连接失败：" + err); });
    } else if (data.candidate) {
      if (pc.remoteDescription) pc.addIceCandidate(data.candidate).catch(function () {});
      else p.pending.push(data.candidate);
    }
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.ws;
    ws = new WebSocket(url);
    ws.onopen = function () { setStatus("已进入调解室"); };
    ws.onclose = function () {
      setStatus("与调解室的连接已断开，请刷新页面重新进入");
      Object.keys(peers).forEach(drop);
    };
    ws.onmessage = function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m.type === "welcome") {
        me = m.you;
        ice = m.ice || [];
        root.setAttribute("data-joined", "true");
        m.peers.forEach(function (info) {
          line("chat-note", null, info.name + "（" + info.label + "）已在调解室", null);
          peer(info, true);
        });
      } else if (m.type === "joined") {
        line("chat-note", null, m.peer.name + "（" + m.peer.label + "）进入调解室", null);
        var known = peers[m.peer.id];
        if (!known) peer(m.peer, false);
      } else if (m.type === "left") {
        var gone = peers[m.peer];
        if (gone) line("chat-note", null, gone.info.name + "离开调解室", null);
        drop(m.peer);
      } else if (m.type === "chat") {
        line(m.from === me ? "chat-mine" : "chat-theirs", m.name + "（" + m.label + "）", m.text, m.at);
      } else if (m.type === "signal") {
        onSignal(m.from, m.data);
      } else if (m.type === "error") {
        line("chat-error", null, m.message, null);
      }
    };
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    send({ type: "chat", text: text });
    input.value = "";
  });

  var media = navigator.mediaDevices && navigator.mediaDevices.getUserMedia
    ? navigator.mediaDevices.getUserMedia({ video: true, audio: true })
    : Promise.reject(new Error("unsupported"));
  media
    .then(function (stream) { local = stream; localVideo.srcObject = stream; })
    .catch(function () { setStatus("未能打开摄像头或麦克风，可继续文字交流并观看对方视频"); })
    .then(connect);
})();
