// sitegate console: polls /api/state and draws the live page; a technician drags the corners
// of a camera's regions and saves them (POST /api/regions, with the session's CSRF token).
"use strict";
(function () {
  const meta = (n) => document.querySelector('meta[name="' + n + '"]').content;
  const csrf = meta("csrf"), pollMs = Math.max(200, +meta("poll-ms") || 1000), role = meta("role");
  const tech = role === "technician";
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const edits = {}; // "lane/camera" -> rois being edited (not yet saved)
  const cams = {};  // "lane/camera" -> {box, img, svg, status}
  window.sitegateConsole = { renders: 0, edits: edits };

  $("logout").onclick = async () => {
    await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": csrf } });
    location.href = "/login";
  };
  $("edit-hint").textContent = tech ? "Drag a corner to move a region, then save." : "Regions are shown; a technician's login can move them.";

  function laneBox(l) {
    let box = $("lane-" + l.id);
    if (!box) {
      box = el("div", { class: "lane", id: "lane-" + l.id });
      box.append(el("h3", {}, "lane " + l.id),
        el("span", { class: "kg", id: "kg-" + l.id }), el("span", { class: "deck", id: "deck-" + l.id }),
        el("svg:svg", { class: "trace", id: "trace-" + l.id, width: 360, height: 90, viewBox: "0 0 360 90" }),
        el("div", { class: "plates", id: "plates-" + l.id }));
      $("lanes").append(box);
    }
    $("kg-" + l.id).textContent = Math.round(l.last_kg) + " kg";
    const d = $("deck-" + l.id);
    d.textContent = l.deck || "-";
    d.className = "deck " + (l.deck || "");
    const svg = $("trace-" + l.id);
    svg.textContent = "";
    const t = l.trace || [];
    if (t.length > 1) {
      const t0 = t[0][0], t1 = t[t.length - 1][0], span = Math.max(1, t1 - t0);
      const top = Math.max(1000, ...t.map((p) => p[1])) * 1.1;
      const pts = t.map((p) => ((p[0] - t0) / span * 356 + 2).toFixed(1) + "," + (88 - p[1] / top * 86).toFixed(1)).join(" ");
      svg.append(el("svg:polyline", { points: pts }));
      svg.append(el("svg:text", { x: 4, y: 12, "font-size": 10 }, Math.round(top / 1.1) + " kg max"));
    }
    const pl = $("plates-" + l.id);
    pl.textContent = "last plates: " + ((l.last_plates || []).map((p) => p.text).join(", ") || "none yet");
  }

  function camBox(c) {
    const key = c.lane + "/" + c.id;
    let cam = cams[key];
    if (!cam) {
      const box = el("div", { class: "cam", id: "cam-" + c.lane + "-" + c.id });
      const frame = el("div", { class: "frame" });
      const img = el("img", { alt: "live frame of " + key });
      const svg = el("svg:svg", { viewBox: "0 0 1 1", preserveAspectRatio: "none", id: "rois-" + c.lane + "-" + c.id });
      frame.append(img, svg);
      const info = el("div", { class: "info" });
      const save = el("button", { id: "save-" + c.lane + "-" + c.id, disabled: "" }, "Save regions");
      const result = el("span", { class: "result", id: "result-" + c.lane + "-" + c.id });
      box.append(el("h3", {}, "camera " + key), frame, info);
      if (tech) {
        const add = el("button", { id: "add-" + c.lane + "-" + c.id }, "Add region");
        const del = el("button", { id: "remove-" + c.lane + "-" + c.id }, "Remove last region");
        add.onclick = () => editRegions(key, (rois) => {
          let n = rois.length + 1;
          while (rois.some((r) => r.name === "region-" + n)) n++;
          rois.push({ name: "region-" + n, polygon: [[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7]] });
        });
        del.onclick = () => editRegions(key, (rois) => { rois.pop(); });
        box.append(add, del, save, result);
      }
      $("cameras").append(box);
      cam = cams[key] = { box, img, svg, info, save, result, c };
      img.onerror = () => { img.removeAttribute("src"); };
      save.onclick = () => saveRegions(key);
    }
    cam.c = c;
    cam.img.src = "/api/frame?lane=" + encodeURIComponent(c.lane) + "&camera=" + encodeURIComponent(c.id) + "&t=" + Date.now();
    const st = c.status || {};
    const mud = c.mud.judged ? ("mud " + c.mud.score.toFixed(2) + " (threshold " + c.mud.threshold + ")") : "mud: no truck being watched";
    let cover = "";
    if (c.cover) cover = " · " + (c.cover.judged ? ("cover " + c.cover.score.toFixed(2) + " (threshold " + c.cover.threshold + ")") : "cover: no truck being watched");
    cam.info.textContent = (st.state || "?") + " · " + (st.fps || 0).toFixed(1) + " fps · " + mud + cover;
    const alarmed = (v) => v && v.judged && v.score >= v.threshold;
    cam.info.className = "info" + (alarmed(c.mud) || alarmed(c.cover) ? " muddy" : "");
    if (!edits[key]) drawRegions(key, c.rois);
  }

  function drawRegions(key, rois) {
    const cam = cams[key];
    cam.svg.textContent = "";
    rois.forEach((r, ri) => {
      cam.svg.append(el("svg:polygon", { points: r.polygon.map((p) => p[0] + "," + p[1]).join(" "), "data-roi": r.name }));
      cam.svg.append(el("svg:text", { x: r.polygon[0][0] + 0.01, y: r.polygon[0][1] - 0.01 }, r.name));
      if (!tech) return;
      r.polygon.forEach((p, pi) => {
        const h = el("svg:circle", { cx: p[0], cy: p[1], r: 0.015, class: "corner", "data-roi": ri, "data-pt": pi, id: "corner-" + key.replace("/", "-") + "-" + ri + "-" + pi });
        h.addEventListener("pointerdown", (ev) => startDrag(ev, key, rois, ri, pi));
        cam.svg.append(h);
      });
    });
  }

  // editRegions changes a camera's regions in the browser; Save sends them.
  function editRegions(key, change) {
    const cam = cams[key];
    const work = edits[key] || (edits[key] = JSON.parse(JSON.stringify(cam.c.rois)));
    change(work);
    cam.save.disabled = false;
    cam.result.textContent = "unsaved";
    cam.result.className = "result";
    drawRegions(key, work);
  }

  function startDrag(ev, key, rois, ri, pi) {
    ev.preventDefault();
    const cam = cams[key];
    const work = edits[key] || (edits[key] = JSON.parse(JSON.stringify(rois)));
    cam.save.disabled = false;
    cam.result.textContent = "unsaved";
    cam.result.className = "result";
    const rect = cam.svg.getBoundingClientRect();
    const move = (e) => {
      const x = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
      const y = Math.min(1, Math.max(0, (e.clientY - rect.top) / rect.height));
      work[ri].polygon[pi] = [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000];
      drawRegions(key, work);
    };
    const up = (e) => { move(e); window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  async function saveRegions(key) {
    const cam = cams[key], rois = edits[key];
    if (!rois) return;
    cam.save.disabled = true;
    cam.result.textContent = "applying...";
    try {
      const r = await fetch("/api/regions", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ lane: cam.c.lane, camera: cam.c.id, rois: rois }) });
      const rep = await r.json();
      if (r.ok) {
        cam.result.textContent = "applied as version " + rep.version;
        cam.result.className = "result ok";
        delete edits[key];
      } else {
        cam.result.textContent = (rep.status || "refused") + ": " + (rep.error || rep.reason || (rep.errors || []).map((e) => e.path + ": " + e.msg).join("; "));
        cam.result.className = "result bad";
        cam.save.disabled = false;
      }
    } catch (e) {
      cam.result.textContent = "not sent: " + e;
      cam.save.disabled = false;
    }
  }

  function render(s) {
    $("gw").textContent = "sitegate " + s.site + "/" + s.gateway + " (" + s.version + ")";
    $("clock").textContent = s.time;
    $("config-version").textContent = s.config_version;
    s.lanes.forEach(laneBox);
    s.cameras.forEach(camBox);
    const pr = $("problems");
    pr.textContent = "";
    s.problems.forEach((p) => pr.append(el("li", {}, p.what + ": " + p.detail)));
    if (!s.problems.length) pr.append(el("li", { class: "ok" }, "no open problems"));
    const o = s.outbox || {}, u = s.uplink || {};
    $("outbox").textContent = "outbox: " + (o.depth || 0) + " waiting (" + (o.bytes || 0) + " bytes, oldest " + Math.round(s.outbox_oldest_age_s) + " s) · uplink: " +
      (u.connected ? "connected" : "not connected") + ", " + (u.published || 0) + " published" + (u.last_error ? " · " + u.last_error : "");
    const tb = document.querySelector("#passages tbody");
    tb.textContent = "";
    s.passages.forEach((p) => {
      const ev = el("td");
      p.pictures.forEach((n) => {
        const src = "/api/evidence?passage=" + encodeURIComponent(p.id) + "&name=" + encodeURIComponent(n);
        const a = el("a", { href: src, target: "_blank" });
        a.append(el("img", { src: src, alt: n }));
        ev.append(a);
      });
      const tr = el("tr");
      tr.append(el("td", {}, p.ended_at), el("td", {}, p.lane), el("td", {}, p.plate ? p.plate.text : "-"),
        el("td", {}, p.weight ? Math.round(p.weight.gross_kg) : "-"), el("td", {}, (p.alarms || []).join(", ") || "none"), ev);
      tb.append(tr);
    });
    if (!window.sitegateConsole.renders) window.sitegateConsole.firstRenderMs = performance.now();
    window.sitegateConsole.renders++;
  }

  async function poll() {
    try {
      const r = await fetch("/api/state", { cache: "no-store" });
      if (r.status === 401) { location.href = "/login"; return; }
      if (r.ok) render(await r.json());
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, pollMs);
  }
  poll();
})();
