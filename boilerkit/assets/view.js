/* boilerkit view: legend, label switches, hover details, and (in edit mode) the labelling editor.
   Reads its data from the JSON element #boilerkit-data. Loads nothing. */
(function () {
  "use strict";
  var dataElement = document.getElementById("boilerkit-data");
  if (!dataElement) return;
  var cfg = JSON.parse(dataElement.textContent);
  var blocks = cfg.blocks, labels = cfg.labels, edit = cfg.mode === "edit" ? cfg.edit : null;
  var html = document.documentElement;
  var nodesOf = blocks.map(function () { return []; });
  document.querySelectorAll("[data-bk]").forEach(function (node) {
    var i = +node.getAttribute("data-bk");
    if (nodesOf[i]) nodesOf[i].push(node);
  });
  var current = blocks.map(function (b) { return b.l; });
  var members = {};
  blocks.forEach(function (b, i) { (members[b.g] = members[b.g] || []).push(i); });

  // The page's forms stay for their looks, but go nowhere (the policy also forbids it).
  window.addEventListener("submit", function (e) { e.preventDefault(); e.stopPropagation(); }, true);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function pct(p) { return (p === null || p === undefined) ? "" : p.toFixed(2); }
  function labelIndex(label) { return label === null ? "u" : String(labels.indexOf(label)); }

  /* -- the panel, in a shadow root so the page's CSS cannot reach it -- */
  var host = el("boilerkit-ui");
  host.style.cssText = "all:initial!important;position:fixed!important;z-index:2147483647!important;" +
    "top:0!important;left:0!important;width:0!important;height:0!important;display:block!important";
  var shadow = host.attachShadow({mode: "open"});
  var style = el("style");
  style.textContent =
    ".panel{position:fixed;top:10px;right:10px;background:#fff;color:#111;font:13px/1.35 system-ui,sans-serif;" +
    "border:1px solid #888;border-radius:6px;box-shadow:0 2px 10px rgba(0,0,0,.25);padding:8px 10px;" +
    "max-width:340px;max-height:90vh;overflow:auto}" +
    ".panel.min .body{display:none}.head{display:flex;gap:6px;align-items:center}.head b{flex:none}" +
    ".title{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:#555}" +
    "table{border-collapse:collapse;margin:6px 0}td{padding:2px 4px;vertical-align:middle}" +
    ".sw{display:inline-block;width:14px;height:14px;border-radius:3px;border:1px solid rgba(0,0,0,.3)}" +
    ".n{text-align:right;font-variant-numeric:tabular-nums}button{font:inherit;font-size:12px;" +
    "padding:1px 6px;cursor:pointer}.name{border:0;background:none;padding:0;font-size:13px}" +
    "kbd{font:11px monospace;border:1px solid #aaa;border-radius:3px;padding:0 3px;color:#333}" +
    ".status{margin-top:4px;color:#333}.status.err{color:#b00}.help{color:#555;font-size:11.5px;margin-top:6px}" +
    ".row{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin-top:4px}" +
    ".tip{position:fixed;display:none;pointer-events:none;background:rgba(20,20,20,.92);color:#fff;" +
    "font:12px/1.4 system-ui,sans-serif;padding:4px 7px;border-radius:4px;max-width:420px;white-space:pre-line}";
  shadow.appendChild(style);
  var panel = el("div", {"class": "panel", "id": "panel"});
  var head = el("div", {"class": "head"});
  head.appendChild(el("b", {}, "boilerkit"));
  head.appendChild(el("span", {"class": "title"}, cfg.heading || ""));
  var minimise = el("button", {"title": "fold the panel"}, "–");
  minimise.addEventListener("click", function () {
    panel.classList.toggle("min");
    minimise.textContent = panel.classList.contains("min") ? "+" : "–";
  });
  head.appendChild(minimise);
  panel.appendChild(head);
  var body = el("div", {"class": "body"});
  panel.appendChild(body);
  if (cfg.mode === "compare" || cfg.colourBy === "gold") {
    body.appendChild(el("div", {"class": "status", "id": "colour-by"},
      "colours: " + (cfg.colourBy === "gold" ? "gold labels" : "predicted labels")));
  }

  var shortcuts = {};
  if (edit) {
    var reserved = {u: 1, p: 1, s: 1, x: 1};
    var firsts = {};
    labels.forEach(function (l) { var c = l.charAt(0).toLowerCase(); firsts[c] = (firsts[c] || 0) + 1; });
    labels.forEach(function (l) {
      var c = l.charAt(0).toLowerCase();
      if (firsts[c] === 1 && !reserved[c] && !/[0-9\[\]]/.test(c)) shortcuts[c] = l;
    });
  }
  function keyFor(label) {
    var i = labels.indexOf(label), keys = [];
    if (i >= 0 && i < 9) keys.push(String(i + 1));
    Object.keys(shortcuts).forEach(function (k) { if (shortcuts[k] === label) keys.push(k); });
    return keys.join(" ");
  }

  var table = el("table");
  var counts = {};
  var rows = labels.concat([null]).map(function (label) {
    var key = labelIndex(label);
    var tr = el("tr", {"data-label": label === null ? "" : label});
    var box = el("input", {"type": "checkbox", "title": "show or hide these blocks"});
    box.checked = true;
    box.addEventListener("change", function () { html.classList.toggle("bk-hide-" + key, !box.checked); });
    var sw = el("span", {"class": "sw"});
    sw.style.background = label === null ? "rgba(150,150,150,.4)" : cfg.colours[label];
    var name = el(edit ? "button" : "span", {"class": "name"}, label === null ? "unlabelled" : label);
    if (edit) {
      name.title = "give the selected blocks this label";
      name.addEventListener("click", function () { assign(label); });
    }
    var n = el("td", {"class": "n"});
    counts[key] = n;
    var only = el("button", {"title": "show only these blocks"}, "only");
    only.addEventListener("click", function () { showOnly(label); });
    [box, sw, name].forEach(function (x) { var td = el("td"); td.appendChild(x); tr.appendChild(td); });
    tr.appendChild(n);
    var td = el("td"); td.appendChild(only); tr.appendChild(td);
    if (edit) {
      var k = el("td"); var keys = label === null ? "0 x" : keyFor(label);
      if (keys) k.appendChild(el("kbd", {}, keys));
      tr.appendChild(k);
    }
    table.appendChild(tr);
    return {label: label, tr: tr, box: box, key: key};
  });
  body.appendChild(table);

  function showOnly(label) {
    rows.forEach(function (r) {
      var visible = r.label === label;
      r.box.checked = visible;
      html.classList.toggle("bk-hide-" + r.key, !visible);
    });
  }
  var controls = el("div", {"class": "row"});
  var colourBox = el("input", {"type": "checkbox", "id": "colours"});
  colourBox.checked = true;
  colourBox.addEventListener("change", function () { html.classList.toggle("bk-plain", !colourBox.checked); });
  var colourLabel = el("label", {}, " colours");
  colourLabel.insertBefore(colourBox, colourLabel.firstChild);
  controls.appendChild(colourLabel);
  var all = el("button", {"title": "show every label"}, "show all");
  all.addEventListener("click", function () {
    rows.forEach(function (r) { r.box.checked = true; html.classList.remove("bk-hide-" + r.key); });
  });
  controls.appendChild(all);
  body.appendChild(controls);
  var diffs = blocks.filter(function (b) { return b.d; }).length;
  if (blocks.some(function (b) { return b.gold !== undefined; })) {
    body.appendChild(el("div", {"class": "status", "id": "diffs"},
      diffs + " block" + (diffs === 1 ? "" : "s") + " where gold and prediction differ (dashed red)"));
  }

  function updateCounts() {
    var c = {};
    current.forEach(function (l) { var k = labelIndex(l); c[k] = (c[k] || 0) + 1; });
    rows.forEach(function (r) {
      counts[r.key].textContent = c[r.key] || 0;
      r.tr.style.display = (r.label === null && !c.u) ? "none" : "";
    });
  }
  updateCounts();

  /* -- hover details -- */
  var tip = el("div", {"class": "tip", "id": "tip"});
  shadow.appendChild(panel);
  shadow.appendChild(tip);
  html.appendChild(host);
  function describe(i) {
    var b = blocks[i], lines = [];
    var predicted = b.p + " " + pct(b.pp) + (b.r ? "   runner-up: " + b.r[0] + " " + pct(b.r[1]) : "");
    if (edit) {
      lines.push("label: " + (current[i] === null ? "unlabelled" : current[i]));
      lines.push("predicted: " + predicted);
    } else if (b.gold !== undefined) {
      lines.push("gold: " + (b.gold === null ? "unlabelled" : b.gold));
      lines.push("predicted: " + predicted);
    } else {
      lines.push(predicted);
    }
    var shared = members[b.g].length;
    lines.push("<" + b.t + ">" + (shared > 1 ? "   one of " + shared + " text runs of this element" : ""));
    return lines.join("\n");
  }
  document.addEventListener("mouseover", function (e) {
    var node = e.target && e.target.closest ? e.target.closest("[data-bk]") : null;
    if (!node) { tip.style.display = "none"; return; }
    tip.textContent = describe(+node.getAttribute("data-bk"));
    tip.style.display = "block";
  });
  document.addEventListener("mousemove", function (e) {
    if (tip.style.display !== "block") return;
    var x = e.clientX + 14, y = e.clientY + 16;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = Math.max(4, e.clientX - w - 10);
    if (y + h > window.innerHeight - 4) y = Math.max(4, e.clientY - h - 10);
    tip.style.left = x + "px"; tip.style.top = y + "px";
  });

  /* -- side by side: keep the two panes of the report's comparison scrolled together -- */
  if (cfg.mode === "compare" && window.parent !== window) {
    var echo = false;
    window.addEventListener("scroll", function () {
      if (echo) { echo = false; return; }
      window.parent.postMessage({boilerkitScroll: [window.scrollX, window.scrollY]}, "*");
    }, {passive: true});
    window.addEventListener("message", function (e) {
      var d = e.data;
      if (e.source === window.parent && d && d.boilerkitScroll) {
        echo = true;
        window.scrollTo(d.boilerkitScroll[0], d.boilerkitScroll[1]);
      }
    });
  }

  if (!edit) return;

  /* -- the editor -- */
  html.classList.add("bk-edit");
  var selection = [], container = null, undoStack = [], dirty = false;
  var info = el("div", {"class": "status", "id": "selection"}, "nothing selected");
  var status = el("div", {"class": "status", "id": "status"}, edit.status || "");
  var nav = el("div", {"class": "row"});
  var prev = el("button", {"id": "prev"}, "← previous");
  var save = el("button", {"id": "save"}, "save");
  var next = el("button", {"id": "next"}, "next →");
  prev.disabled = !edit.prev; next.disabled = !edit.next;
  prev.addEventListener("click", function () { go(edit.prev); });
  next.addEventListener("click", function () { go(edit.next); });
  save.addEventListener("click", function () { saveLabels(); });
  nav.appendChild(prev); nav.appendChild(save); nav.appendChild(next);
  nav.appendChild(el("span", {"id": "position"}, edit.position || ""));
  body.appendChild(info);
  body.appendChild(nav);
  body.appendChild(status);
  body.appendChild(el("div", {"class": "help"},
    "click a block · Shift- or Alt-click: its container · p: grow to the parent · " +
    "1–9 or a n t c: give a label · 0 or x: unlabelled · u or Ctrl-Z: undo · Esc: deselect · " +
    "s or Ctrl-S: save · [ ]: previous / next page (saves first)"));

  function setStatus(text, error) { status.textContent = text; status.classList.toggle("err", !!error); }
  function groupOf(ids) {
    var seen = {}, out = [];
    ids.forEach(function (i) {
      members[blocks[i].g].forEach(function (j) { if (!seen[j]) { seen[j] = 1; out.push(j); } });
    });
    return out.sort(function (a, b) { return a - b; });
  }
  function blocksIn(element) {
    var ids = [];
    if (element.hasAttribute && element.hasAttribute("data-bk")) ids.push(+element.getAttribute("data-bk"));
    element.querySelectorAll("[data-bk]").forEach(function (n) { ids.push(+n.getAttribute("data-bk")); });
    return groupOf(ids);
  }
  function select(ids, box) {
    selection.forEach(function (i) { nodesOf[i].forEach(function (n) { n.classList.remove("bk-selected"); }); });
    if (container) container.removeAttribute("data-bk-container");
    selection = ids; container = box || null;
    selection.forEach(function (i) { nodesOf[i].forEach(function (n) { n.classList.add("bk-selected"); }); });
    if (container) container.setAttribute("data-bk-container", "");
    if (!selection.length) { info.textContent = "nothing selected"; return; }
    var kinds = {};
    selection.forEach(function (i) { var l = current[i] === null ? "unlabelled" : current[i]; kinds[l] = (kinds[l] || 0) + 1; });
    info.textContent = selection.length + " block" + (selection.length === 1 ? "" : "s") + " selected (" +
      Object.keys(kinds).map(function (k) { return kinds[k] + " " + k; }).join(", ") + ")" +
      (container ? " in <" + container.tagName.toLowerCase() + ">" : "");
  }
  /* The smallest element from `start` upwards that holds more than `more` blocks. */
  function grow(start, more) {
    for (var e = start; e && e !== html; e = e.parentElement) {
      var ids = blocksIn(e);
      if (ids.length > more) return {element: e, ids: ids};
    }
    return null;
  }
  function isOurs(e) { return e.composedPath && e.composedPath().indexOf(host) >= 0; }

  window.addEventListener("mousedown", function (e) { if (!isOurs(e)) e.preventDefault(); }, true);
  window.addEventListener("click", function (e) {
    if (isOurs(e)) return;
    e.preventDefault(); e.stopPropagation();
    var target = e.target.nodeType === 1 ? e.target : e.target.parentElement;
    var node = target && target.closest("[data-bk]");
    if (e.shiftKey || e.altKey) {
      var found = node ? grow(node.parentElement, groupOf([+node.getAttribute("data-bk")]).length)
                       : grow(target, 0);
      if (found) select(found.ids, found.element);
      return;
    }
    if (node) select(groupOf([+node.getAttribute("data-bk")]), null);
    else select([], null);
  }, true);

  function setLabel(i, label) {
    current[i] = label;
    nodesOf[i].forEach(function (n) {
      n.setAttribute("data-bk-label", label === null ? "" : label);
      n.setAttribute("data-bk-c", labelIndex(label));
      if (label !== blocks[i].p) n.setAttribute("data-bk-edited", ""); else n.removeAttribute("data-bk-edited");
    });
  }
  function assign(label) {
    if (!selection.length) { setStatus("select a block first", true); return; }
    var change = selection.filter(function (i) { return current[i] !== label; });
    if (!change.length) { select([], null); return; }
    undoStack.push(change.map(function (i) { return [i, current[i]]; }));
    change.forEach(function (i) { setLabel(i, label); });
    dirty = true;
    updateCounts();
    setStatus(change.length + " block" + (change.length === 1 ? "" : "s") + " → " +
              (label === null ? "unlabelled" : label) + " (unsaved)");
    select([], null);
  }
  function undo() {
    var step = undoStack.pop();
    if (!step) { setStatus("nothing to undo"); return; }
    step.forEach(function (pair) { setLabel(pair[0], pair[1]); });
    dirty = true;
    updateCounts();
    select(step.map(function (pair) { return pair[0]; }), null);
    setStatus("undone (unsaved)");
  }
  function saveLabels() {
    setStatus("saving…");
    return fetch(edit.save, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Boilerkit-Token": edit.token},
      body: JSON.stringify({labels: current})
    }).then(function (response) {
      return response.json().then(function (reply) {
        if (!response.ok || !reply.ok) throw new Error(reply.error || response.statusText);
        dirty = false;
        setStatus("saved " + reply.path + " (" + reply.attributes + " data-label attribute" +
                  (reply.attributes === 1 ? "" : "s") + ")");
        html.setAttribute("data-bk-saved", String(++saves));
        return true;
      });
    }).catch(function (error) { setStatus("not saved: " + error.message, true); return false; });
  }
  var saves = 0;
  function go(url) {
    if (!url) return;
    if (!dirty) { window.location.href = url; return; }
    saveLabels().then(function (ok) { if (ok) window.location.href = url; });
  }
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
  window.addEventListener("keydown", function (e) {
    if (isOurs(e) && e.target !== host) return;
    var key = e.key, lower = key.length === 1 ? key.toLowerCase() : key, mod = e.ctrlKey || e.metaKey;
    var handled = true;
    if (mod && lower === "z") undo();
    else if (mod && lower === "s") saveLabels();
    else if (mod || e.altKey) handled = false;
    else if (/^[1-9]$/.test(key) && +key <= labels.length) assign(labels[+key - 1]);
    else if (key === "0" || lower === "x" || key === "Delete" || key === "Backspace") assign(null);
    else if (shortcuts[lower] && key.length === 1) assign(shortcuts[lower]);
    else if (lower === "u") undo();
    else if (key === "Escape") select([], null);
    else if (lower === "p") {
      var start = container ? container.parentElement
        : (selection.length ? nodesOf[selection[0]][0] && nodesOf[selection[0]][0].parentElement : null);
      var found = start ? grow(start, selection.length) : null;
      if (found) select(found.ids, found.element);
    }
    else if (lower === "s") saveLabels();
    else if (key === "]") go(edit.next);
    else if (key === "[") go(edit.prev);
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  }, true);
  blocks.forEach(function (b, i) { if (current[i] !== b.p) setLabel(i, current[i]); });
})();
