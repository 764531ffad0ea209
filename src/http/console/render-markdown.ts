// A small markdown renderer for story bodies that is safe by construction: every character of
// the source is escaped, and only a fixed set of tags is ever emitted (headings, paragraphs,
// lists, quotes, code, emphasis, links to http(s)/mailto/relative URLs). Raw HTML in a document
// is shown as text, so no script, style or event handler from a story can reach the page.
// Chosen over a full CommonMark library plus a sanitizer: no dependency, nothing to configure
// wrongly, and a story body needs no more than this.
import { escapeHtml } from './html.js';

/** Longest body rendered; the rest is cut (the raw document stays available). */
export const MARKDOWN_MAX_CHARS = 200_000;

export function renderMarkdown(source: string): string {
  const lines = source.slice(0, MARKDOWN_MAX_CHARS).replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  let quote: string[] = [];

  const flushParagraph = () => {
    if (paragraph.length > 0) out.push(`<p>${inline(paragraph.join('\n'))}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list !== null) {
      const tag = list.ordered ? 'ol' : 'ul';
      out.push(`<${tag}>${list.items.map((item) => `<li>${inline(item)}</li>`).join('')}</${tag}>`);
    }
    list = null;
  };
  const flushQuote = () => {
    if (quote.length > 0) out.push(`<blockquote><p>${inline(quote.join('\n'))}</p></blockquote>`);
    quote = [];
  };
  const flushAll = () => {
    flushParagraph();
    flushList();
    flushQuote();
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = /^\s{0,3}(```|~~~)/.exec(line);
    if (fence !== null) {
      flushAll();
      const code: string[] = [];
      index++;
      while (index < lines.length && !(lines[index] ?? '').trimStart().startsWith(fence[1] ?? '')) {
        code.push(lines[index] ?? '');
        index++;
      }
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading !== null) {
      flushAll();
      // Document headings start at h2: the page's own title is the h1.
      const level = Math.min(6, (heading[1] ?? '#').length + 1);
      out.push(`<h${level}>${inline(heading[2] ?? '')}</h${level}>`);
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flushAll();
      out.push('<hr>');
      continue;
    }
    const item = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (item !== null) {
      flushParagraph();
      flushQuote();
      const ordered = /\d/.test(item[1] ?? '');
      if (list !== null && (list as { ordered: boolean }).ordered !== ordered) flushList();
      list ??= { ordered, items: [] };
      (list as { items: string[] }).items.push(item[2] ?? '');
      continue;
    }
    const quoted = /^\s{0,3}>\s?(.*)$/.exec(line);
    if (quoted !== null) {
      flushParagraph();
      flushList();
      quote.push(quoted[1] ?? '');
      continue;
    }
    if (line.trim() === '') {
      flushAll();
      continue;
    }
    if (list !== null && /^\s+\S/.test(line)) {
      const items = (list as { items: string[] }).items;
      items[items.length - 1] += `\n${line.trim()}`;
      continue;
    }
    flushList();
    flushQuote();
    paragraph.push(line);
  }
  flushAll();
  return out.join('\n');
}

/** Inline markup of escaped text: code spans first (their content is never touched again). */
function inline(text: string): string {
  const parts = text.split(/(`[^`\n]+`)/);
  return parts
    .map((part, index) =>
      index % 2 === 1 ? `<code>${escapeHtml(part.slice(1, -1))}</code>` : spans(part),
    )
    .join('');
}

function spans(text: string): string {
  let out = escapeHtml(text);
  out = out.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, label: string, href: string) => {
    const target = unescapeHtml(href);
    return safeHref(target)
      ? `<a href="${escapeHtml(target)}" rel="nofollow noreferrer">${label}</a>`
      : whole;
  });
  out = out.replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>');
  out = out.replace(/(^|[^\w*])\*([^*\n]+)\*(?![\w*])/g, '$1<em>$2</em>');
  out = out.replace(/(^|[^\w])_([^_\n]+)_(?!\w)/g, '$1<em>$2</em>');
  return out.replace(/\n/g, ' ');
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** http(s), mailto, or a relative URL; never javascript:, data: or any other scheme. */
export function safeHref(href: string): boolean {
  // Browsers ignore tabs and newlines inside a scheme ("java\tscript:"): none may appear at all.
  for (const character of href) {
    const code = character.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f || /\s/.test(character)) return false;
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(href);
  if (scheme === null) return !href.startsWith('//') && !href.startsWith('\\');
  return ['http', 'https', 'mailto'].includes((scheme[1] ?? '').toLowerCase());
}
