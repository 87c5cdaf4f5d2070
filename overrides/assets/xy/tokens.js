/* Search words, as generator/search/tokens.py writes them into the index: Han text as
   overlapping character pairs spelled in ASCII, other words with a leading "0",
   punctuation as two-character words. query() turns what the reader typed into the words
   to search for; decode() turns Pagefind's excerpt back into readable text. The two files
   must agree: tests/test_search.py runs this one in Chromium against the Python one. */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
const BMP = [[0x3007, 0x3007], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xf900, 0xfaff]];
const SUPP = [[0x20000, 0x3134f]];
const PUNCT = "。、“”‘’《》【】…—·,.;:?!()[]-/%+&#@*~'\""; // after NFKC: ，→, （→( …
// Shown in Chinese text as the full-width marks they were before NFKC.
const WIDE = { ",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）" };
// In every document and in no query (generator/search/tokens.py EVERY): searched for
// when the reader only filters.
export const EVERY = "zz";
const RUN = /([\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]+)|([0-9a-z]+)|(\S)/gu;

function sym(n, width) {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 36] + out;
    n = Math.floor(n / 36);
  }
  return out;
}

function offset(ranges, n) {
  for (const [lo, hi] of ranges) {
    if (n <= hi - lo) return lo + n;
    n -= hi - lo + 1;
  }
  return null;
}

export function charCode(ch) {
  const cp = ch.codePointAt(0);
  let n = 0;
  for (const [lo, hi] of BMP) {
    if (cp >= lo && cp <= hi) {
      n += cp - lo;
      return ALPHABET[10 + Math.floor(n / 1296)] + sym(n % 1296, 2);
    }
    n += hi - lo + 1;
  }
  n = 0;
  for (const [lo, hi] of SUPP) {
    if (cp >= lo && cp <= hi) {
      n += cp - lo;
      return ALPHABET[8 + Math.floor(n / 46656)] + sym(n % 46656, 3);
    }
    n += hi - lo + 1;
  }
  throw new Error(`not an indexed Han character: ${ch}`);
}

/* 32-bit FNV-1a over UTF-8, as generator/search/tokens.py computes it. */
export function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/* The word every document with this filter value holds: filters alone search these. */
export function filterWord(name, value) {
  return `zy${sym(fnv1a(`${name}=${value}`), 7)}`;
}

export function normalise(text) {
  return text.normalize("NFKC").toLowerCase();
}

function words(text, isQuery, isPhrase = false) {
  const out = [];
  const runs = [...normalise(text).matchAll(RUN)];
  runs.forEach(([, han, word, other], n) => {
    if (han) {
      const codes = [...han].map(charCode);
      for (let i = 0; i + 1 < codes.length; i++) out.push(codes[i] + codes[i + 1]);
      // A phrase's last run may go on in the text: its last character is in a pair.
      const openEnd = isPhrase && n === runs.length - 1;
      if ((!isQuery && !(openEnd && codes.length > 1)) || codes.length === 1) {
        out.push(codes[codes.length - 1]);
      }
    } else if (word) {
      out.push(`0${word}`);
    } else if (!isQuery && PUNCT.includes(other)) {
      out.push(`p${ALPHABET[PUNCT.indexOf(other)]}`);
    }
  });
  return out;
}

/* The words Pagefind indexes for `text` (tests compare this with the Python side). */
export function encode(text) {
  return words(text, false).join(" ");
}

/* The words to search for what the reader typed: Pagefind must match every one. */
export function query(text) {
  return words(text, true).join(" ");
}

function han(word, size, first) {
  const n =
    (ALPHABET.indexOf(word[0]) - first) * (size === 3 ? 1296 : 46656) +
    parseInt(word.slice(1, size), 36);
  const cp = offset(size === 3 ? BMP : SUPP, n);
  return cp === null || Number.isNaN(cp) ? "" : String.fromCodePoint(cp);
}

function width(word) {
  return word[0] === "8" || word[0] === "9" ? 4 : 3;
}

/* The words of `text` as they stand in the index, in order: searched as a phrase first. */
export function phrase(text) {
  return words(text, false, true).join(" ");
}

/* One index word back to text: [text, the pair's second character or "", is a
   letters/digits word]. Letters are shown in upper case, as codes are written. */
function unit(word) {
  if (/^p[0-9a-z]$/.test(word)) {
    const mark = PUNCT[ALPHABET.indexOf(word[1])] || " ";
    return [WIDE[mark] || mark, "", false];
  }
  if (word[0] === "0") return [word.slice(1).toUpperCase(), "", true];
  const w = width(word);
  const first = han(word, w, w === 3 ? 10 : 8);
  const rest = word.slice(w);
  return [first, rest ? han(rest, width(rest), width(rest) === 3 ? 10 : 8) : "", false];
}

/* Pagefind's excerpt (index words, matches in <mark>) as readable text: a list of
   [text, marked] pieces. A matched pair marks its second character too. */
export function decode(excerptHtml) {
  const doc = new DOMParser().parseFromString(`<body>${excerptHtml}</body>`, "text/html");
  const units = [];
  for (const node of doc.body.childNodes) {
    const marked = node.nodeName === "MARK";
    // Pagefind's Chinese segmenter puts a zero-width space after every word.
    for (let w of (node.textContent || "").replace(/\u200b/g, "").split(/\s+/)) {
      const end = w.endsWith(".");
      w = w.replace(/\.+$/, "");
      if (w === EVERY || w.startsWith("zy")) continue; // the marks of every document
      if (w) {
        const [text, pair, latin] = unit(w);
        units.push({ text, pair, latin, marked });
      }
      if (end) units.push({ text: " ", pair: "", latin: false, marked: false });
    }
  }
  const pieces = [];
  // The excerpt may end inside a run: its last pair holds the run's next character.
  const last = units[units.length - 1];
  if (last && last.pair) units.push({ text: last.pair, pair: "", latin: false, marked: last.marked });
  units.forEach((u, i) => {
    const prev = units[i - 1];
    const mark = u.marked || Boolean(prev && prev.pair && prev.marked && !u.latin);
    const text = (u.latin && prev && prev.latin ? " " : "") + u.text;
    const tail = pieces[pieces.length - 1];
    if (tail && tail[1] === mark) tail[0] += text;
    else pieces.push([text, mark]);
  });
  return pieces;
}
