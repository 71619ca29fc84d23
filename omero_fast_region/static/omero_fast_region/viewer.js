/* omero-fast-region demo viewer: pan/zoom over render_image_region tiles, no build step.
 *
 * View model: `zoom` = screen pixels per full-resolution pixel, (cx, cy) = the full-resolution
 * point at the viewport centre. The resolution level drawn is the coarsest one that still has
 * at least one level pixel per screen pixel (level 0 = full resolution, as in the tile= URLs).
 * Progress is published on <body data-pending data-loaded data-failed data-ready> for tests.
 */
(function () {
  "use strict";

  var base = document.body.dataset.base || "/";
  var $ = function (id) { return document.getElementById(id); };
  var viewport = $("viewport"), layer = $("tiles"), statusEl = $("status");
  var MAX_ZOOM = 8, TILE_CAP = 1024, FALLBACK_TILE = 512;
  var state = { images: [], info: null, levels: [], z: 0, t: 0, zoom: 1, cx: 0, cy: 0, channels: [] };
  var tiles = new Map();  // "level/col/row" -> <img>
  var counts = { pending: 0, loaded: 0, failed: 0 };

  // ---- image information ---------------------------------------------------------------

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": " + r.status); }
      return r.json();
    });
  }

  /* Prefer the stock-shaped webgateway/imgData; keep the catalog entry for what it lacks. */
  function imageInfo(entry) {
    return fetchJson(base + "webgateway/imgData/" + entry.id + "/").then(function (data) {
      if (!data || !data.size || !data.channels) { return entry; }
      var merged = Object.assign({}, entry, data);
      merged.level_sizes = entry.level_sizes;
      merged.tile_size = data.tile_size || entry.tile_size;
      return merged;
    }, function () { return entry; });
  }

  function levelsOf(info) {
    var w = info.size.width, h = info.size.height;
    if (info.level_sizes && info.level_sizes.length) {
      return info.level_sizes.map(function (s) { return { w: s[0], h: s[1], factor: w / s[0] }; });
    }
    var scaling = info.zoomLevelScaling;
    if (!info.tiles || !scaling) { return [{ w: w, h: h, factor: 1 }]; }
    return Object.keys(scaling).map(Number).sort(function (a, b) { return a - b; }).map(function (k) {
      var s = scaling[k];
      return { w: Math.max(1, Math.ceil(w * s)), h: Math.max(1, Math.ceil(h * s)), factor: 1 / s };
    });
  }

  function tileDims(info) {
    var ts = info.tile_size || {};
    var tw = ts.width || FALLBACK_TILE, th = ts.height || FALLBACK_TILE;
    if (tw > TILE_CAP || th > TILE_CAP) { tw = th = FALLBACK_TILE; }
    return [tw, th];
  }

  // ---- rendering query (stock grammar: c=1|lo:hi$RRGGBB,-2|…&m=c) ----------------------

  /* channels: [{active, start, end, color, lut}] -> the query of a render URL */
  function renderParams(channels) {
    var c = channels.map(function (ch, i) {
      return (ch.active ? "" : "-") + (i + 1) + "|" + ch.start + ":" + ch.end + "$" + (ch.lut || ch.color);
    }).join(",");
    return "c=" + c + "&m=c&q=0.9";
  }

  function renderQuery() { return renderParams(state.channels); }

  function tileUrl(level, col, row, tw, th) {
    return base + "webgateway/render_image_region/" + state.info.id + "/" + state.z + "/" + state.t +
      "/?tile=" + level + "," + col + "," + row + "," + tw + "," + th + "&" + renderQuery();
  }

  // ---- drawing ---------------------------------------------------------------------------

  function pickLevel() {
    var best = 0;
    state.levels.forEach(function (lv, i) {
      if (1 / lv.factor >= state.zoom * 0.999 && lv.factor > state.levels[best].factor) { best = i; }
    });
    return best;
  }

  function publish() {
    var ds = document.body.dataset;
    ds.pending = counts.pending; ds.loaded = counts.loaded; ds.failed = counts.failed;
    ds.ready = counts.pending === 0 && tiles.size > 0 ? "1" : "0";
    statusEl.textContent = counts.pending ? "loading " + counts.pending + " tile(s)…" :
      tiles.size + " tile(s)" + (counts.failed ? ", " + counts.failed + " failed" : "");
  }

  function watch(img, url) {
    counts.pending += 1;
    img.dataset.src = url;
    img.onload = function () {
      if (img.dataset.src !== url) { return; }
      counts.pending -= 1; counts.loaded += 1; img.dataset.state = "loaded"; publish();
    };
    img.onerror = function () {
      if (img.dataset.src !== url) { return; }
      counts.pending -= 1; counts.failed += 1; img.dataset.state = "failed"; img.style.visibility = "hidden"; publish();
    };
    img.dataset.state = "loading";
    img.style.visibility = "";
    img.src = url;
  }

  function forget(img) {
    if (img.dataset.state === "loading") { counts.pending -= 1; }
    img.onload = img.onerror = null;
    img.remove();
  }

  function draw() {
    if (!state.info) { return; }
    var index = pickLevel(), lv = state.levels[index], dims = tileDims(state.info);
    var tw = dims[0], th = dims[1];
    var vw = viewport.clientWidth, vh = viewport.clientHeight;
    var scale = state.zoom * lv.factor;  // screen px per level px
    var x0 = (state.cx - vw / 2 / state.zoom) / lv.factor, y0 = (state.cy - vh / 2 / state.zoom) / lv.factor;
    var c0 = Math.max(0, Math.floor(x0 / tw)), r0 = Math.max(0, Math.floor(y0 / th));
    var c1 = Math.min(Math.ceil(lv.w / tw) - 1, Math.floor((x0 + vw / scale) / tw));
    var r1 = Math.min(Math.ceil(lv.h / th) - 1, Math.floor((y0 + vh / scale) / th));
    var wanted = new Set();
    for (var row = r0; row <= r1; row++) {
      for (var col = c0; col <= c1; col++) {
        var key = index + "/" + col + "/" + row, img = tiles.get(key);
        wanted.add(key);
        if (!img) {
          img = document.createElement("img");
          img.alt = ""; img.draggable = false; img.dataset.key = key;
          layer.appendChild(img); tiles.set(key, img);
        }
        var w = Math.min(tw, lv.w - col * tw), h = Math.min(th, lv.h - row * th);
        img.style.left = Math.round((col * tw - x0) * scale) + "px";
        img.style.top = Math.round((row * th - y0) * scale) + "px";
        img.style.width = Math.ceil(w * scale) + "px";
        img.style.height = Math.ceil(h * scale) + "px";
        var url = tileUrl(index, col, row, tw, th);
        if (img.dataset.src !== url) { watch(img, url); }
      }
    }
    tiles.forEach(function (img, key) { if (!wanted.has(key)) { forget(img); tiles.delete(key); } });
    $("zoom-level").textContent = "level " + index + " · " + Math.round(state.zoom * 1000) / 10 + "%";
    publish();
  }

  var redrawTimer = null;
  function redrawSoon() { clearTimeout(redrawTimer); redrawTimer = setTimeout(draw, 120); }

  // ---- zoom and pan ----------------------------------------------------------------------

  function fitZoom() {
    var s = state.info.size;
    return Math.min(viewport.clientWidth / s.width, viewport.clientHeight / s.height);
  }

  function minZoom() { return Math.min(fitZoom(), 1 / state.levels[state.levels.length - 1].factor); }

  function zoomTo(zoom, mx, my) {
    var vw = viewport.clientWidth, vh = viewport.clientHeight;
    if (mx === undefined) { mx = vw / 2; my = vh / 2; }
    zoom = Math.max(minZoom(), Math.min(MAX_ZOOM, zoom));
    var px = state.cx + (mx - vw / 2) / state.zoom, py = state.cy + (my - vh / 2) / state.zoom;
    state.zoom = zoom;
    state.cx = px - (mx - vw / 2) / zoom; state.cy = py - (my - vh / 2) / zoom;
    draw();
  }

  function fit() {
    state.zoom = fitZoom();
    state.cx = state.info.size.width / 2; state.cy = state.info.size.height / 2;
    draw();
  }

  viewport.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = viewport.getBoundingClientRect();
    zoomTo(state.zoom * (e.deltaY < 0 ? 2 : 0.5), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });

  var drag = null;
  viewport.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX, y: e.clientY, cx: state.cx, cy: state.cy };
    viewport.setPointerCapture(e.pointerId); viewport.classList.add("dragging");
  });
  viewport.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    state.cx = drag.cx - (e.clientX - drag.x) / state.zoom;
    state.cy = drag.cy - (e.clientY - drag.y) / state.zoom;
    draw();
  });
  function endDrag() { drag = null; viewport.classList.remove("dragging"); }
  viewport.addEventListener("pointerup", endDrag);
  viewport.addEventListener("pointercancel", endDrag);
  viewport.addEventListener("keydown", function (e) {
    var step = 100 / state.zoom, moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) { state.cx += moves[e.key][0]; state.cy += moves[e.key][1]; draw(); }
    else if (e.key === "+" || e.key === "=") { zoomTo(state.zoom * 2); }
    else if (e.key === "-") { zoomTo(state.zoom / 2); }
    else if (e.key === "0") { fit(); }
    else { return; }
    e.preventDefault();
  });
  $("zoom-in").onclick = function () { zoomTo(state.zoom * 2); };
  $("zoom-out").onclick = function () { zoomTo(state.zoom / 2); };
  $("zoom-fit").onclick = fit;
  window.addEventListener("resize", redrawSoon);

  // ---- controls --------------------------------------------------------------------------

  function planeSlider(name, size, value) {
    var input = $(name), out = $(name + "-value");
    $(name + "-row").hidden = size <= 1;
    input.max = Math.max(0, size - 1); input.value = value; out.textContent = value + 1;
    input.oninput = function () {
      state[name] = Number(input.value); out.textContent = state[name] + 1; redrawSoon();
    };
  }

  function channelControls() {
    var box = $("channels");
    box.textContent = "";
    state.channels.forEach(function (ch, i) {
      var div = document.createElement("div");
      div.className = "channel" + (ch.active ? "" : " inactive");
      var step = Number.isInteger(ch.min) && Number.isInteger(ch.max) ? 1 : (ch.max - ch.min) / 256 || 1;
      div.innerHTML =
        '<label class="name"><input type="checkbox" class="toggle"> <span class="swatch"></span> <span class="label"></span></label>' +
        '<div class="window"><span>start</span><input type="range" class="start"><output class="start-value"></output>' +
        '<span>end</span><input type="range" class="end"><output class="end-value"></output></div>';
      div.dataset.channel = i + 1;
      div.querySelector(".label").textContent = ch.label;
      div.querySelector(".swatch").style.background = "#" + ch.color;
      var toggle = div.querySelector(".toggle");
      toggle.checked = ch.active;
      toggle.onchange = function () {
        ch.active = toggle.checked; div.classList.toggle("inactive", !ch.active); draw();
      };
      ["start", "end"].forEach(function (which) {
        var input = div.querySelector("." + which), out = div.querySelector("." + which + "-value");
        input.min = ch.min; input.max = ch.max; input.step = step; input.value = ch[which];
        out.textContent = ch[which];
        input.oninput = function () {
          ch[which] = Number(input.value); out.textContent = ch[which]; redrawSoon();
        };
      });
      box.appendChild(div);
    });
  }

  function selectThumbnail(id) {
    Array.prototype.forEach.call($("thumbnails").children, function (b) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.id) === id));
    });
  }

  function openImage(entry) {
    statusEl.textContent = "loading " + (entry.meta && entry.meta.imageName || entry.id) + "…";
    return imageInfo(entry).then(function (info) {
      tiles.forEach(forget); tiles.clear();
      state.info = info;
      state.levels = levelsOf(info);
      state.z = (info.rdefs && info.rdefs.defaultZ) || 0;
      state.t = (info.rdefs && info.rdefs.defaultT) || 0;
      state.channels = info.channels.map(function (ch) {
        var w = ch.window || {};
        return { label: ch.label, color: ch.color || "FFFFFF", lut: ch.lut || null, active: !!ch.active,
                 start: w.start, end: w.end, min: Math.min(w.min, w.start), max: Math.max(w.max, w.end) };
      });
      $("image-name").textContent = (info.meta && info.meta.imageName) || "image " + info.id;
      planeSlider("z", info.size.z, state.z);
      planeSlider("t", info.size.t, state.t);
      channelControls();
      selectThumbnail(info.id);
      history.replaceState(null, "", "#image=" + info.id);
      fit();
    });
  }

  // ---- thumbnails ------------------------------------------------------------------------

  /* render_thumbnail when the server has it, else the smallest level of the default plane. */
  function thumbnailFallback(entry) {
    var sizes = entry.level_sizes || [[entry.size.width, entry.size.height]];
    var last = sizes.length - 1, rdefs = entry.rdefs || {};
    var channels = entry.channels.map(function (ch) {
      return { active: ch.active, start: ch.window.start, end: ch.window.end, color: ch.color, lut: ch.lut };
    });
    var where = "webgateway/render_image_region/" + entry.id + "/" + (rdefs.defaultZ || 0) + "/" + (rdefs.defaultT || 0) + "/";
    var what = last > 0 ? "tile=" + last + ",0,0," + sizes[last][0] + "," + sizes[last][1]
      : "region=0,0," + sizes[0][0] + "," + sizes[0][1];
    return base + where + "?" + what + "&" + renderParams(channels);
  }

  function buildThumbnails() {
    var strip = $("thumbnails");
    state.images.forEach(function (entry) {
      var button = document.createElement("button");
      button.type = "button"; button.dataset.id = entry.id;
      button.title = (entry.meta && entry.meta.imageName) || "image " + entry.id;
      var img = document.createElement("img");
      img.alt = button.title;
      img.onerror = function () {
        if (img.dataset.fallback) { button.innerHTML = '<span class="missing">' + entry.id + "</span>"; return; }
        img.dataset.fallback = "1"; img.src = thumbnailFallback(entry);
      };
      img.src = base + "webgateway/render_thumbnail/" + entry.id + "/96/";
      button.appendChild(img);
      button.onclick = function () { openImage(entry); };
      strip.appendChild(button);
    });
  }

  // ---- start -------------------------------------------------------------------------------

  fetchJson(base + "viewer/images.json").then(function (data) {
    state.images = data.images.filter(function (i) { return !i.error; });
    if (!state.images.length) { statusEl.textContent = "the catalog has no readable images"; return; }
    buildThumbnails();
    var wanted = Number(new URLSearchParams(location.hash.slice(1)).get("image"));
    var first = state.images.filter(function (i) { return i.id === wanted; })[0] || state.images[0];
    return openImage(first);
  }).catch(function (err) { statusEl.textContent = "error: " + err.message; });
})();
