// Markdown with math for the course site: KaTeX renders $…$ and $$…$$ on the server (no TeX reaches
// the browser), markdown-it renders the rest, highlight.js colours code.
import MarkdownIt from "markdown-it";
import katex from "katex";
import hljs from "highlight.js/lib/common";

/** Highlight code of a language highlight.js knows (TypeScript for the notebooks), else escape it. */
export function highlight(code, lang = "typescript") {
  if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  return escapeHtml(code);
}

export function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const md = new MarkdownIt({ html: true, linkify: false, typographer: false, highlight: (code, lang) => highlight(code, lang || "typescript") });

/** A math fragment that KaTeX cannot parse: the build fails rather than show raw TeX. */
export class MathError extends Error {}

function renderMath(tex, displayMode, where) {
  try {
    return katex.renderToString(tex, { displayMode, throwOnError: true, output: "html", strict: "ignore" });
  } catch (e) {
    throw new MathError(`${where}: KaTeX cannot render ${displayMode ? "$$" : "$"}${tex}${displayMode ? "$$" : "$"}: ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * Split Markdown into math and the rest: code (fenced blocks, inline spans) is left alone; `$$…$$` is
 * display math, `$…$` inline math (opening `$` not followed by a space, closing `$` not preceded by
 * one, `\$` a literal dollar). Math is swapped for placeholders markdown-it passes through untouched.
 */
export function extractMath(src) {
  const maths = [];
  let out = "";
  let i = 0;
  const token = (n) => `@@KATEX${n}@@`;
  while (i < src.length) {
    if (src.startsWith("```", i) && (i === 0 || src[i - 1] === "\n")) {
      const end = src.indexOf("\n```", i + 3);
      const stop = end < 0 ? src.length : src.indexOf("\n", end + 4) < 0 ? src.length : src.indexOf("\n", end + 4);
      out += src.slice(i, stop);
      i = stop;
      continue;
    }
    const c = src[i];
    if (c === "`") {
      let n = 0;
      while (src[i + n] === "`") n++;
      const fence = "`".repeat(n);
      const end = src.indexOf(fence, i + n);
      if (end > 0) {
        out += src.slice(i, end + n);
        i = end + n;
        continue;
      }
    }
    if (c === "\\" && src[i + 1] === "$") {
      out += "\\$";
      i += 2;
      continue;
    }
    if (c === "$" && src[i + 1] === "$") {
      const end = src.indexOf("$$", i + 2);
      if (end > 0) {
        maths.push({ tex: src.slice(i + 2, end).trim(), display: true });
        out += `\n\n${token(maths.length - 1)}\n\n`;
        i = end + 2;
        continue;
      }
    }
    if (c === "$" && src[i + 1] !== " " && src[i + 1] !== undefined) {
      let j = i + 1;
      while (j < src.length && !(src[j] === "$" && src[j - 1] !== "\\" && src[j - 1] !== " ")) {
        if (src[j] === "\n" && src[j + 1] === "\n") break;
        j++;
      }
      if (j < src.length && src[j] === "$") {
        maths.push({ tex: src.slice(i + 1, j), display: false });
        out += token(maths.length - 1);
        i = j + 1;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { text: out, maths };
}

/** Markdown (with math) to HTML. `where` names the source in error messages. */
export function renderMarkdown(src, where = "markdown") {
  const { text, maths } = extractMath(src);
  let html = md.render(text);
  html = html.replace(/<p>@@KATEX(\d+)@@<\/p>/g, (_, n) => renderMath(maths[Number(n)].tex, true, where));
  html = html.replace(/@@KATEX(\d+)@@/g, (_, n) => renderMath(maths[Number(n)].tex, maths[Number(n)].display, where));
  return html;
}

/** Inline Markdown (a title) to HTML. */
export function renderInline(src, where = "title") {
  const { text, maths } = extractMath(src);
  return md.renderInline(text).replace(/@@KATEX(\d+)@@/g, (_, n) => renderMath(maths[Number(n)].tex, false, where));
}
