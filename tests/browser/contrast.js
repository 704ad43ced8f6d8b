// WCAG 2 contrast of every piece of text under the elements matching `sel`: the text colour against
// the background actually painted behind it (backgrounds composited up the tree, alpha included).
// Returns [text, colour, background, ratio] for text under 4.5:1 (3:1 when large: 24px, or 18.66px
// bold). Used by test_course_in_lab.py in the light and the dark theme.
(sel) => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
                                 b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const background = el => { const layers = [];
    for (let e = el, prev = null; e; prev = e, e = e.parentElement) {
      // A table's background is not painted behind its caption (CSS 2 17.4).
      if (e.tagName === 'TABLE' && prev && prev.tagName === 'CAPTION') continue;
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255, a: 1};
    for (const c of layers.reverse()) base = over(c, base);
    return base; };
  const bad = [];
  for (const root of document.querySelectorAll(sel)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walker.nextNode())) {
      const text = n.textContent.trim();
      if (!text) continue;
      const el = n.parentElement, cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || el.getClientRects().length === 0) continue;
      const bg = background(el), fg = over(parse(cs.color), bg);
      const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight) >= 700;
      const need = (size >= 24 || (size >= 18.66 && bold)) ? 3 : 4.5;
      if (ratio < need) bad.push([text.slice(0, 50), cs.color, `rgb(${Math.round(bg.r)},${Math.round(bg.g)},${Math.round(bg.b)})`, Math.round(ratio * 100) / 100]);
    }
  }
  return bad;
}
