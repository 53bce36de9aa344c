// The layout check of TestBrowserLayout: it looks at the page as laid out
// and returns what does not fit, as a list of findings:
//   overlap:  two boxes, neither inside the other, that cover each other;
//   overflow: a box that sticks out of its container's content box, where
//             the container does not scroll or clip;
//   overflow: also a box that makes its scroll container scroll sideways,
//             where that container is not meant to (SIDEWAYS);
//   text:     text that sticks out of its own box;
//   touch:    two framed boxes (panels, cards, tables…) with no room between;
//   page:     the page scrolls sideways (what sticks out of the window).
(() => {
  "use strict";
  // The boxes that must not overlap, and those that must fit their container.
  const BOXES = "fieldset, section, table, input, select, textarea, button, h1, h2, h3, .panel, .card";
  const FITS = BOXES + ", a.button, label, pre, .badge, .chip, .flash, .field-error, .lane";
  // Whose own text must fit.
  const TEXT = "button, a.button, h1, h2, h3, th, td, label, legend, summary, p, pre, li, .badge, .chip, .flash, .in-label";
  // The scroll containers meant to scroll sideways.
  const SIDEWAYS = ".canvas, pre, textarea";
  // Framed boxes, which need room between them.
  const FRAMED = ".panel, .card, fieldset, section, table, .flash";
  const ROOM = 4; // px at least between two framed boxes
  const SLACK = 1; // px of rounding

  const px = (cs, p) => parseFloat(cs[p]) || 0;
  const rect = el => {
    const r = el.getBoundingClientRect();
    return { l: r.left, t: r.top, r: r.right, b: r.bottom };
  };
  const shown = el => {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width >= 1 && r.height >= 1;
  };
  const clips = el => {
    const cs = getComputedStyle(el);
    return cs.overflowX !== "visible" || cs.overflowY !== "visible";
  };
  // inside is el's padding box, or its content box with padding.
  const inside = (el, padding) => {
    const r = rect(el), cs = getComputedStyle(el);
    r.l += px(cs, "borderLeftWidth"); r.r -= px(cs, "borderRightWidth");
    r.t += px(cs, "borderTopWidth"); r.b -= px(cs, "borderBottomWidth");
    if (padding) {
      r.l += px(cs, "paddingLeft"); r.r -= px(cs, "paddingRight");
      r.t += px(cs, "paddingTop"); r.b -= px(cs, "paddingBottom");
    }
    return r;
  };
  const cut = (a, b) => ({ l: Math.max(a.l, b.l), t: Math.max(a.t, b.t), r: Math.min(a.r, b.r), b: Math.min(a.b, b.b) });
  const empty = r => r.r - r.l < 1 || r.b - r.t < 1;
  const round = r => ({ l: Math.round(r.l), t: Math.round(r.t), r: Math.round(r.r), b: Math.round(r.b) });
  // seen is the part of el's box that its clipping ancestors let show.
  const seen = el => {
    let r = rect(el);
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (clips(a)) r = cut(r, inside(a, false));
      if (empty(r)) return null;
    }
    return r;
  };
  // container is the box el is laid out in (inline boxes are skipped).
  const container = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const d = getComputedStyle(p).display;
      if (d !== "inline" && d !== "contents") return p;
    }
    return null;
  };

  // A short, stable name for an element: up to three steps up to its
  // nearest ancestor with a data-testid or id, with classes and positions
  // among its kind, after the nearest data-testid around it ("form[…] … td > input").
  const step = el => {
    let s = el.tagName.toLowerCase();
    const tid = el.getAttribute("data-testid");
    if (tid) return s + '[data-testid="' + tid + '"]';
    if (el.id) return s + "#" + el.id;
    const cls = [...el.classList].slice(0, 2);
    if (cls.length) s += "." + cls.join(".");
    const p = el.parentElement;
    if (p) {
      const same = [...p.children].filter(c => c.tagName === el.tagName);
      if (same.length > 1) s += ":nth-of-type(" + (same.indexOf(el) + 1) + ")";
    }
    return s;
  };
  const path = el => {
    const parts = [];
    let e = el;
    while (e && e !== document.body && parts.length < 3) {
      parts.unshift(step(e));
      const named = e.hasAttribute("data-testid") || e.id;
      e = e.parentElement;
      if (named) break;
    }
    const around = e && e.closest("[data-testid]");
    if (!around) return parts.join(" > ");
    return step(around) + (around === e ? " > " : " … ") + parts.join(" > ");
  };
  const text = el => {
    let t = el.getAttribute("aria-label") || el.getAttribute("placeholder") || "";
    if (!t) t = /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) ? el.name || "" : el.innerText || "";
    t = t.replace(/\s+/g, " ").trim();
    return t.length > 40 ? t.slice(0, 39) + "…" : t;
  };

  const found = [];
  const add = (kind, a, b, n, side) =>
    found.push({ kind, a: path(a), aText: text(a), b: b ? path(b) : "", bText: b ? text(b) : "", px: Math.round(n), side: side || "" });

  // Overlaps.
  const boxes = [...document.querySelectorAll(BOXES)].filter(shown)
    .map(el => ({ el, r: seen(el) })).filter(x => x.r).map(x => ({ el: x.el, r: round(x.r) }));
  const overlapping = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const c = cut(a.r, b.r), area = Math.max(0, c.r - c.l) * Math.max(0, c.b - c.t);
      if (area <= 2) continue;
      // Boxes inside two overlapping boxes are left out: the outer pair says it.
      const within = (x, y) => (x.contains(a.el) && y.contains(b.el)) || (x.contains(b.el) && y.contains(a.el));
      if (overlapping.some(([x, y]) => within(x, y))) continue;
      overlapping.push([a.el, b.el]);
      add("overlap", a.el, b.el, area);
    }
  }

  // Framed boxes side by side or one above the other with no room between.
  const framed = [...document.querySelectorAll(FRAMED)].filter(el => shown(el) && seen(el)).map(el => ({ el, r: round(rect(el)) }));
  for (let i = 0; i < framed.length; i++) {
    for (let j = i + 1; j < framed.length; j++) {
      const a = framed[i], b = framed[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const across = Math.min(a.r.r, b.r.r) - Math.max(a.r.l, b.r.l); // shared width
      const along = Math.min(a.r.b, b.r.b) - Math.max(a.r.t, b.r.t); // shared height
      const gapY = Math.max(a.r.t, b.r.t) - Math.min(a.r.b, b.r.b);
      const gapX = Math.max(a.r.l, b.r.l) - Math.min(a.r.r, b.r.r);
      if ((across > 0 && gapY >= 0 && gapY < ROOM) || (along > 0 && gapX >= 0 && gapX < ROOM)) {
        add("touch", a.el, b.el, across > 0 && gapY >= 0 ? gapY : gapX);
      }
    }
  }

  // Boxes sticking out of a container that neither scrolls nor clips.
  const sides = (r, box) => [["left", box.l - r.l], ["right", r.r - box.r], ["top", box.t - r.t], ["bottom", r.b - box.b]]
    .filter(([, n]) => n > SLACK);
  for (const el of document.querySelectorAll(FITS)) {
    if (!shown(el) || !seen(el)) continue;
    const pos = getComputedStyle(el).position;
    if (pos === "absolute" || pos === "fixed") continue;
    const c = container(el);
    if (!c || c === document.body || c === document.documentElement || clips(c)) continue;
    for (const [side, n] of sides(rect(el), inside(c, true))) add("overflow", el, c, n, side);
  }

  // Scroll containers scrolling sideways though not meant to: what sticks
  // out of them (the outermost boxes).
  for (const c of document.body.querySelectorAll("*")) {
    if (!clips(c) || c.matches(SIDEWAYS) || c.scrollWidth <= c.clientWidth + SLACK || !shown(c)) continue;
    const box = inside(c, true);
    for (const el of c.querySelectorAll("*")) {
      if (!shown(el)) continue;
      const r = rect(el), p = container(el);
      const out = sides(r, box).filter(([side]) => side === "left" || side === "right");
      if (!out.length || (p !== c && sides(rect(p), box).some(([side]) => side === "left" || side === "right"))) continue;
      for (const [side, n] of out) add("overflow", el, c, n, side);
    }
  }

  // Text sticking out of its own box.
  for (const el of document.querySelectorAll(TEXT)) {
    if (!shown(el) || !seen(el) || clips(el)) continue;
    const box = inside(el, false);
    for (const node of el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        const out = sides({ l: r.left, t: r.top, r: r.right, b: r.bottom }, box).filter(([side]) => side === "left" || side === "right");
        for (const [side, n] of out) add("text", el, null, n, side);
        if (out.length) break;
      }
    }
  }

  // The page scrolling sideways: the outermost boxes past the window's edge.
  const width = document.documentElement.clientWidth;
  const extra = document.documentElement.scrollWidth - width;
  if (extra > SLACK) {
    for (const el of document.body.querySelectorAll("*")) {
      if (!shown(el) || !seen(el) || rect(el).r <= width + SLACK) continue;
      const c = container(el);
      if (c && c !== document.body && rect(c).r > width + SLACK) continue;
      add("page", el, null, extra);
    }
  }
  // One finding per pair and kind.
  const keys = new Set();
  return found.filter(f => {
    const k = [f.kind, f.a, f.b, f.side].join("|");
    return keys.has(k) ? false : (keys.add(k), true);
  });
})()
