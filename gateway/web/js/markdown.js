// A small Markdown renderer that keeps track of where every rendered
// character comes from in the source text, so that a passage selected on
// the page can be mapped back to the section's text (for a comment's
// anchor), and comments' anchors can be highlighted in the rendered text.
//
// Supported: paragraphs, "-"/"*"/"+" and numbered lists, "> " quotes,
// fenced code, headings inside a text, thematic breaks; inline `code`,
// **strong**, *emphasis*, _emphasis_, [links](https://...) and backslash
// escapes. No raw HTML: everything is created as DOM text.
//
// Offsets here are UTF-16 indices (JavaScript's); the API counts Unicode
// code points: use toCodePoints / fromCodePoints at the boundary.

const sourceOffset = new WeakMap(); // Text node -> index of its first character

/** Length of a string in code points. */
export function codePointLength(text) {
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i += 1;
    n += 1;
  }
  return n;
}

/** UTF-16 index -> code point index in `src`. */
export const toCodePoints = (src, index) => codePointLength(src.slice(0, index));

/** Code point index -> UTF-16 index in `src`. */
export function fromCodePoints(src, cp) {
  let i = 0;
  let n = 0;
  while (n < cp && i < src.length) {
    const c = src.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < src.length ? 2 : 1;
    n += 1;
  }
  return i;
}

/**
 * Renders `src` into a DocumentFragment. highlights: [{start, end, ids}] in
 * UTF-16 offsets of src; each highlighted piece of text is wrapped in
 * <mark class="anchor-mark" data-comments="id id">.
 */
export function renderMarkdown(src, { highlights = [] } = {}) {
  const fragment = document.createDocumentFragment();
  const text = String(src || '');
  const lines = [];
  let pos = 0;
  for (const line of text.split('\n')) {
    lines.push({ text: line, start: pos, end: pos + line.length });
    pos += line.length + 1;
  }
  const renderer = new Inline(text, highlights);

  const isBlank = (l) => !l.text.trim();
  const fenceRe = /^ {0,3}(```+|~~~+)/;
  const headingRe = /^ {0,3}(#{1,6})\s+/;
  const quoteRe = /^ {0,3}> ?/;
  const bulletRe = /^( {0,3})([-*+])\s+/;
  const orderedRe = /^( {0,3})(\d{1,9})[.)]\s+/;
  const ruleRe = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
  const startsBlock = (l) => fenceRe.test(l.text) || headingRe.test(l.text) || quoteRe.test(l.text) ||
    bulletRe.test(l.text) || orderedRe.test(l.text);

  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i += 1;
      continue;
    }
    let m;
    if ((m = fenceRe.exec(line.text))) {
      const fence = m[1];
      let j = i + 1;
      while (j < lines.length && !lines[j].text.trimStart().startsWith(fence)) j += 1;
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      if (j > i + 1) renderer.plain(code, lines[i + 1].start, lines[j - 1].end);
      pre.append(code);
      fragment.append(pre);
      i = Math.min(j + 1, lines.length);
      continue;
    }
    if (ruleRe.test(line.text)) {
      fragment.append(document.createElement('hr'));
      i += 1;
      continue;
    }
    if ((m = headingRe.exec(line.text))) {
      const level = Math.min(6, m[1].length + 2);
      const heading = document.createElement(`h${level}`);
      heading.className = 'md-heading';
      const contentEnd = line.start + line.text.replace(/\s+#*\s*$/, '').length;
      renderer.render(heading, [{ start: line.start + m[0].length, end: Math.max(line.start + m[0].length, contentEnd) }]);
      fragment.append(heading);
      i += 1;
      continue;
    }
    if (quoteRe.test(line.text)) {
      const quote = document.createElement('blockquote');
      let segments = [];
      const flush = () => {
        if (!segments.length) return;
        const p = document.createElement('p');
        renderer.render(p, segments);
        quote.append(p);
        segments = [];
      };
      while (i < lines.length && quoteRe.test(lines[i].text)) {
        const l = lines[i];
        const prefix = quoteRe.exec(l.text)[0].length;
        if (!l.text.slice(prefix).trim()) flush();
        else segments.push({ start: l.start + prefix, end: l.end });
        i += 1;
      }
      flush();
      fragment.append(quote);
      continue;
    }
    const bullet = bulletRe.test(line.text);
    if (bullet || orderedRe.test(line.text)) {
      const re = bullet ? bulletRe : orderedRe;
      const list = document.createElement(bullet ? 'ul' : 'ol');
      if (!bullet) {
        const first = Number(orderedRe.exec(line.text)[2]);
        if (first !== 1) list.start = first;
      }
      while (i < lines.length) {
        const l = lines[i];
        const item = re.exec(l.text);
        if (!item) break;
        const segments = [{ start: l.start + item[0].length, end: l.end }];
        i += 1;
        // Continuation lines: indented (or lazy) lines up to a blank line
        // or the next item.
        while (i < lines.length && !isBlank(lines[i]) && !re.test(lines[i].text) &&
          (/^\s/.test(lines[i].text) || !startsBlock(lines[i]))) {
          const c = lines[i];
          const indent = c.text.length - c.text.trimStart().length;
          segments.push({ start: c.start + indent, end: c.end });
          i += 1;
        }
        const li = document.createElement('li');
        renderer.render(li, segments);
        list.append(li);
        // A blank line between items keeps the list going.
        if (i + 1 < lines.length && isBlank(lines[i]) && re.test(lines[i + 1].text)) i += 1;
      }
      fragment.append(list);
      continue;
    }
    // A paragraph: up to a blank line or another kind of block.
    const segments = [];
    while (i < lines.length && !isBlank(lines[i]) && (segments.length === 0 || !startsBlock(lines[i]))) {
      segments.push({ start: lines[i].start, end: lines[i].end });
      i += 1;
    }
    const p = document.createElement('p');
    renderer.render(p, segments);
    fragment.append(p);
  }
  return fragment;
}

class Inline {
  constructor(src, highlights) {
    this.src = src;
    this.highlights = highlights.filter((hl) => hl.end > hl.start);
    this.boundaries = [...new Set(this.highlights.flatMap((hl) => [hl.start, hl.end]))].sort((a, b) => a - b);
  }

  /** Text of [start, end) of the source, mapped, with no inline parsing. */
  plain(parent, start, end) {
    this.emitSource(parent, start, end);
  }

  /**
   * Renders segments (source ranges, each a line's content) as one run of
   * inline text; segments are joined by the newline that ends each one.
   */
  render(parent, segments) {
    let v = '';
    const map = [];
    segments.forEach((seg, n) => {
      if (n > 0) {
        v += '\n';
        map.push(segments[n - 1].end); // the source's own newline
      }
      v += this.src.slice(seg.start, seg.end);
      for (let k = seg.start; k < seg.end; k += 1) map.push(k);
    });
    this.v = v;
    this.map = map;
    this.inline(parent, 0, v.length);
  }

  inline(parent, a, b) {
    const v = this.v;
    let i = a;
    let textStart = a;
    const flush = (end) => {
      if (end > textStart) this.emitVirtual(parent, textStart, end);
    };
    while (i < b) {
      const c = v[i];
      if (c === '\\' && i + 1 < b && /[\\`*_[\]()#+\-.!>{}]/.test(v[i + 1])) {
        flush(i);
        textStart = i + 1;
        i += 2;
        continue;
      }
      if (c === '`') {
        const close = v.indexOf('`', i + 1);
        if (close > i + 1 && close < b) {
          flush(i);
          const code = document.createElement('code');
          this.emitVirtual(code, i + 1, close);
          parent.append(code);
          i = close + 1;
          textStart = i;
          continue;
        }
      }
      if (c === '*' || c === '_') {
        const double = v[i + 1] === c;
        const delim = double ? c + c : c;
        const inner = i + delim.length;
        const intraword = c === '_' && i > a && /[\p{L}\p{N}]/u.test(v[i - 1]);
        if (!intraword && inner < b && !/\s/.test(v[inner])) {
          const close = this.findClose(delim, inner, b);
          if (close > inner) {
            flush(i);
            const el = document.createElement(double ? 'strong' : 'em');
            this.inline(el, inner, close);
            parent.append(el);
            i = close + delim.length;
            textStart = i;
            continue;
          }
        }
        i += delim.length;
        continue;
      }
      if (c === '[') {
        const closeBracket = v.indexOf(']', i + 1);
        if (closeBracket > i && closeBracket + 1 < b && v[closeBracket + 1] === '(') {
          const closeParen = v.indexOf(')', closeBracket + 2);
          if (closeParen > 0 && closeParen < b) {
            const url = v.slice(closeBracket + 2, closeParen).trim();
            if (/^(https?:\/\/|mailto:)/i.test(url)) {
              flush(i);
              const link = document.createElement('a');
              link.href = url;
              link.rel = 'noopener noreferrer';
              link.target = '_blank';
              this.inline(link, i + 1, closeBracket);
              parent.append(link);
              i = closeParen + 1;
              textStart = i;
              continue;
            }
          }
        }
      }
      i += 1;
    }
    flush(b);
  }

  findClose(delim, from, b) {
    const v = this.v;
    for (let k = from + 1; k + delim.length <= b; k += 1) {
      if (!v.startsWith(delim, k) || /\s/.test(v[k - 1])) continue;
      const after = v[k + delim.length];
      if (delim.length === 1 && after === delim) {
        k += 1;
        continue;
      }
      if (delim[0] === '_' && after && /[\p{L}\p{N}]/u.test(after)) continue;
      return k;
    }
    return -1;
  }

  /** Virtual [a, b) -> runs that are contiguous in the source. */
  emitVirtual(parent, a, b) {
    const map = this.map;
    let k = a;
    while (k < b) {
      let e = k + 1;
      while (e < b && map[e] === map[e - 1] + 1) e += 1;
      this.emitSource(parent, map[k], map[e - 1] + 1);
      k = e;
    }
  }

  /** Source [s, e) as text nodes, split and marked by the highlights. */
  emitSource(parent, s, e) {
    const cuts = [s, ...this.boundaries.filter((p) => p > s && p < e), e];
    for (let n = 0; n + 1 < cuts.length; n += 1) {
      const p0 = cuts[n];
      const p1 = cuts[n + 1];
      const node = document.createTextNode(this.src.slice(p0, p1));
      sourceOffset.set(node, p0);
      const covering = this.highlights.filter((hl) => hl.start < p1 && hl.end > p0);
      if (covering.length) {
        const mark = document.createElement('mark');
        mark.className = covering.length > 1 ? 'anchor-mark overlap' : 'anchor-mark';
        mark.dataset.comments = covering.flatMap((hl) => hl.ids).join(' ');
        mark.dataset.testid = 'anchor-mark';
        mark.append(node);
        parent.append(mark);
      } else {
        parent.append(node);
      }
    }
  }
}

/**
 * The source range a selection covers inside `container` (rendered by
 * renderMarkdown from `src`): {start, end, exact} in UTF-16 offsets, with
 * surrounding white space left out; null when nothing of the text is
 * selected.
 */
export function selectionToSource(container, src) {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!range.intersectsNode(container)) return null;
  const texts = [];
  const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (sourceOffset.has(node) && range.intersectsNode(node)) texts.push(node);
  }
  // A text node that the range only touches at its end or start adds
  // nothing.
  while (texts.length && texts[0] === range.startContainer && range.startOffset >= texts[0].length) texts.shift();
  while (texts.length && texts[texts.length - 1] === range.endContainer && range.endOffset === 0) texts.pop();
  if (!texts.length) return null;
  const first = texts[0];
  const last = texts[texts.length - 1];
  let start = sourceOffset.get(first) + (first === range.startContainer ? range.startOffset : 0);
  let end = sourceOffset.get(last) + (last === range.endContainer ? range.endOffset : last.length);
  while (start < end && /\s/.test(src[start])) start += 1;
  while (end > start && /\s/.test(src[end - 1])) end -= 1;
  if (end <= start) return null;
  return { start, end, exact: src.slice(start, end) };
}

/**
 * Where a comment's anchor is in `src` (UTF-16 offsets), or null. The
 * anchor's own offsets (code points) are used when they still match; else
 * its quote is searched for (with its prefix first).
 */
export function locateAnchor(src, anchor) {
  if (!anchor || !anchor.exact) return null;
  const start = fromCodePoints(src, anchor.start || 0);
  const end = fromCodePoints(src, anchor.end || 0);
  if (end > start && src.slice(start, end) === anchor.exact) return { start, end };
  if (anchor.prefix) {
    const at = src.indexOf(anchor.prefix + anchor.exact);
    if (at >= 0) return { start: at + anchor.prefix.length, end: at + anchor.prefix.length + anchor.exact.length };
  }
  const at = src.indexOf(anchor.exact);
  return at >= 0 ? { start: at, end: at + anchor.exact.length } : null;
}

/** Renders light Markdown (descriptions, comment bodies) with no mapping. */
export function markdownBlock(src, className = 'prose') {
  const div = document.createElement('div');
  div.className = className;
  div.append(renderMarkdown(src));
  return div;
}
