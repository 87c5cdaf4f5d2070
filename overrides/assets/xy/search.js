/* The search page: Pagefind's JS API over the bundles in search/pf/ (see generator/search).
   Everything is fetched relative to this page, so the site works from any sub-path. */
import { decode, EVERY, filterWord, fnv1a, normalise as normaliseWords, phrase, query } from "./tokens.js";

const form = document.getElementById("xy-search");
const root = new URL(form.dataset.root, location.href);
const pf = new URL("search/pf/", root);
const input = document.getElementById("q");
const status = document.getElementById("xy-status");
const list = document.getElementById("xy-results");
const moreWrap = document.getElementById("xy-more-wrap");
const moreBtn = document.getElementById("xy-more");
const olderBtn = document.getElementById("xy-older");
const wideBtn = document.getElementById("xy-wide");
const selects = [...form.querySelectorAll("select[data-filter]")];
const sortSel = document.getElementById("f-sort");
const PAGE = 20;
// Older bundles merged for a query that main answers with fewer than ten results: each
// costs its metadata and index files (bench/bench_search.py).
const MAX_MERGED = 3;
// The scores of more-<n>'s results are scaled by TIER ** -n: each tier's results come after
// those of the tiers before it (shorter documents, which Pagefind ranks first), and a
// phrase's results, ranked by their place in each bundle's order, do not interleave.
const TIER = 1e-6;
const CODE = /^(?:[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}|\d{15})$/;

let pagefind = null;
let recentPf = null; // the recent bundle, loaded when a search lists the newest first
let manifest = { bundles: [], names: 0, filters: {} };
let merged = new Set([0]); // positions in manifest.bundles searched by `pagefind`
let scope = ""; // what the last search covered, for its count
let shown = 0;
let current = [];
let seq = 0;
let listed = new Set(); // URLs shown as exact look-ups, not repeated among the results
let repeated = 0;
let narrowed = false; // an exact name was found and the wider search not run

/* Full-width letters and digits to half-width, codes to upper case, spaces squeezed. */
export function normalise(q) {
  return q.normalize("NFKC").replace(/\s+/g, " ").trim().toUpperCase();
}


function href(url) {
  return new URL(url.replace(/^\//, ""), root).href;
}

/* Pagefind's excerpt is made of index words: shown as the text they stand for. */
function excerpt(html) {
  const p = document.createElement("p");
  p.className = "xy-excerpt";
  for (const [text, marked] of decode(html)) {
    if (marked) {
      const m = document.createElement("mark");
      m.textContent = text;
      p.append(m);
    } else {
      p.append(text);
    }
  }
  return p;
}

function item(url, title, line, date, ex) {
  const li = document.createElement("li");
  const h = document.createElement("h2");
  const a = document.createElement("a");
  a.href = href(url);
  a.textContent = title;
  h.append(a);
  li.append(h);
  const info = document.createElement("p");
  info.className = "xy-muted";
  info.textContent = [line, date].filter(Boolean).join(" · ");
  li.append(info);
  if (ex) li.append(excerpt(ex));
  return li;
}

async function load() {
  manifest = await (await fetch(new URL("manifest.json", pf))).json();
  pagefind = await import(new URL("main/pagefind.js", pf).href);
  await pagefind.options({ excerptLength: 30 });
  await pagefind.init();
  // The menus come from the manifest: Pagefind loads a filter only once it is chosen.
  for (const sel of selects) {
    for (const [value, n] of manifest.filters[sel.dataset.filter] || []) {
      sel.add(new Option(`${value}（${n}）`, value));
    }
  }
  document.getElementById("xy-filters").hidden = false;
}

/* Merge these bundles (positions in manifest.bundles) into the search. */
async function mergeSome(ids) {
  for (const i of ids) {
    if (merged.has(i)) continue;
    const url = new URL(`${manifest.bundles[i].id}/`, pf).href;
    await pagefind.mergeIndex(url, { indexWeight: TIER ** i });
    merged.add(i);
  }
}

function unmerged() {
  return manifest.bundles.map((_, i) => i).filter((i) => !merged.has(i));
}

/* The route tables say which older bundles hold every Han pair of the query: positions in
   manifest.bundles not merged yet, or null when they cannot tell (no pair in the query). */
const routeCache = new Map();
async function route(words) {
  // Only Han pairs are in the tables: the bundles that hold every pair of the query are
  // the only ones that can hold all its words.
  const pair = (w) => w.length >= 6 && w.length <= 8 && !"0z".includes(w[0]);
  const ws = [...new Set(words.split(" ").filter(pair))];
  if (!manifest.routes || !ws.length) return null;
  try {
    const tables = await Promise.all(ws.map((w) => {
      const n = fnv1a(w) % manifest.routes;
      if (!routeCache.has(n)) {
        routeCache.set(n, fetch(new URL(`routes/${n}.json`, pf)).then((r) => {
          if (!r.ok) throw new Error(`routes/${n}.json`);
          return r.json();
        }));
      }
      return routeCache.get(n);
    }));
    let keep = unmerged();
    ws.forEach((w, k) => {
      const held = tables[k][w]; // absent: every older bundle holds the word
      if (held) keep = keep.filter((i) => held.includes(i));
    });
    return keep;
  } catch (e) {
    routeCache.clear();
    return null;
  }
}

/* The recent bundle, searched alone when the newest come first. */
async function recent() {
  if (!recentPf) {
    recentPf = await import(new URL(`${manifest.recent.id}/pagefind.js`, pf).href);
    await recentPf.options({ excerptLength: 30 });
    await recentPf.init();
  }
  return recentPf;
}

/* The count's second sentence: which subjects the search covered (`complete`: the route
   tables showed that no other subject holds every word). */
function covered(bundles, newest, complete) {
  const total = manifest.subjects || 0;
  const n = bundles.reduce((sum, b) => sum + (b.subjects || 0), 0);
  if (!manifest.recent || !total) return "";
  const num = (x) => x.toLocaleString("zh-CN");
  if (n >= total || complete) return `已搜索全站全部 ${num(total)} 个主体和全部文章。`;
  const which = newest ? "最近有公示记录" : "";
  return `本次只搜索了全站 ${num(total)} 个主体中${which}的 ${num(n)} 个和全部文章，其余 ${num(total - n)} 个主体可点击下方“同时搜索其余主体”。`;
}

/* A 统一社会信用代码 (or 注册号) names its subject page: look it up directly. */
async function direct(q) {
  if (!CODE.test(q)) return null;
  try {
    const resp = await fetch(new URL(`subject/${q}/`, root));
    if (!resp.ok) return null;
    const page = new DOMParser().parseFromString(await resp.text(), "text/html");
    return { url: `subject/${q}/`, title: page.querySelector("h1")?.textContent || q };
  } catch (e) {
    return null;
  }
}

/* A name or 文号 as the name tables hold it (generator/search name_key): NFKC, lower
   case, no white space, every kind of bracket as ( and ). */
export function nameKey(q) {
  return normaliseWords(q).replace(/\s+/g, "").replace(/[[【〔﹝]/g, "(").replace(/[\]】〕﹞]/g, ")");
}

/* A full name (company, policy, article) or 文号 is looked up in the name tables. */
async function named(q) {
  const key = nameKey(q);
  if (!key || !manifest.names) return [];
  try {
    const resp = await fetch(new URL(`names/${fnv1a(key) % manifest.names}.json`, pf));
    if (!resp.ok) return [];
    const found = (await resp.json())[key] || [];
    return found.map(([url, title, line, date, how]) => ({ url, title, line, date, how }));
  } catch (e) {
    return [];
  }
}

/* A record title (the phrase's words as the index holds them) in the title tables
   (generator/search/titles.py): [subjects holding it, the first of them], or null. */
async function titled(words) {
  if (!words || !manifest.titles) return null;
  try {
    const resp = await fetch(new URL(`titles/${fnv1a(words) % manifest.titles}.json`, pf));
    if (!resp.ok) return null;
    return (await resp.json())[words] || null;
  } catch (e) {
    return null;
  }
}

/* Table rows as results: what more() reads of a Pagefind result, the record title in
   place of the excerpt. */
function rows(list) {
  return list.map(([url, title, line, date, shown]) => ({
    data: async () => ({ meta: { href: url, title, summary: line, date }, excerpt: "", shown }),
  }));
}

/* A record title as the excerpt: the typed words marked where they stand in it. */
function titleExcerpt(text, q) {
  const p = document.createElement("p");
  p.className = "xy-excerpt";
  const at = normalise(text).indexOf(q);
  if (at < 0 || normalise(text).length !== text.length) {
    p.append(text);
  } else {
    const m = document.createElement("mark");
    m.textContent = text.slice(at, at + q.length);
    p.append(text.slice(0, at), m, text.slice(at + q.length));
  }
  return p;
}

function state() {
  const filters = {};
  for (const sel of selects) if (sel.value) filters[sel.dataset.filter] = sel.value;
  return { q: normalise(input.value), filters, sort: sortSel.value };
}

function remember(s) {
  const params = new URLSearchParams();
  if (s.q) params.set("q", s.q);
  for (const [k, v] of Object.entries(s.filters)) params.set(k, v);
  if (s.sort) params.set("sort", s.sort);
  history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
}

async function run(widen = false, all = false) {
  const mine = ++seq;
  const s = state();
  remember(s);
  list.replaceChildren();
  moreWrap.hidden = true;
  if (!s.q && !Object.keys(s.filters).length) {
    status.textContent = "请输入企业名称、统一社会信用代码或关键词，或选择筛选条件。";
    return;
  }
  status.textContent = "正在搜索……";
  const options = { filters: s.filters };
  // Filters alone list the newest first unless the reader chose an order.
  if (s.sort || !s.q) options.sort = { date: s.sort || "desc" };
  // A code names one subject: look it up, do not search for parts of it. A full name is
  // looked up too, and comes first; the search finds everything else.
  const lookup = !Object.keys(s.filters).length; // a look-up cannot apply the filters
  const code = lookup && CODE.test(s.q);
  // The query's words in order first (a substring of the text), then all of them anywhere.
  const words = s.q ? query(s.q) : "";
  const exactly = s.q ? phrase(s.q) : "";
  let loose = false; // found only by all the words, not by the words in order
  const find = async (index) => {
    loose = false;
    if (code || (s.q && !words)) return [];
    if (!words) {
      // Filters alone: the filter values' own words, faster than Pagefind's filters.
      const marks = Object.entries(s.filters).map(([k, v]) => filterWord(k, v));
      return (await index.search(marks.join(" ") || EVERY, { sort: options.sort })).results;
    }
    if (exactly.includes(" ")) {
      // Every match of a phrase scores the same: shorter documents first (documents.py).
      const ranked = options.sort ? options : { ...options, sort: { rank: "desc" } };
      const found = (await index.search(`"${exactly}"`, ranked)).results;
      if (found.length) return found;
    }
    const found = (await index.search(words, options)).results;
    loose = exactly.includes(" ") && found.length > 0;
    return found;
  };
  // An exact name is the answer: the wider search (every index file its words touch)
  // waits for the reader to ask for it.
  // A record title is answered from the title tables, over every subject, in the order
  // Pagefind gives a phrase's matches; not when the reader chose an order or asked wider.
  const [hit, exact, table] = await Promise.all([
    code ? direct(s.q) : null,
    s.q && lookup && !code ? named(s.q) : [],
    s.q && lookup && !code && !s.sort && !widen && !all ? titled(exactly) : null,
  ]);
  const title = exact.length ? null : table; // an exact name comes first
  narrowed = (exact.length > 0 || !!title) && !widen;
  let results = [];
  let newest = false; // searched the recent bundle alone
  if (all) await mergeSome(unmerged());
  if (!narrowed && !code && manifest.recent && options.sort?.date === "desc" && unmerged().length) {
    results = await find(await recent()); // the newest first: the recent bundle has them
    newest = results.length > 0;
  }
  let complete = false; // the route tables rule out every bundle not searched
  if (!narrowed && !newest) {
    // The route tables name the older bundles that hold every word of the query.
    let ids;
    [results, ids] = await Promise.all([find(pagefind), words && !hit ? route(words) : null]);
    // Fewer than ten: the tiers that hold every pair of the query, shortest first (at most
    // MAX_MERGED), and when nothing is found, on until something is.
    let order = (ids ?? unmerged()).filter((i) => !merged.has(i)).sort((a, b) => a - b);
    let extra = 0;
    const wanted = () => !results.length || (results.length < 10 && extra < MAX_MERGED);
    while (!hit && !exact.length && order.length && wanted()) {
      if (mine !== seq) return;
      await mergeSome([order[0]]);
      order = order.slice(1);
      extra += 1;
      results = await find(pagefind);
    }
    complete = ids !== null && ids.every((i) => merged.has(i));
  }
  if (mine !== seq) return;
  listed = new Set(exact.map((e) => e.url));
  repeated = 0;
  if (hit) list.append(item(hit.url, hit.title, "统一社会信用代码完全一致", "", ""));
  for (const e of exact) list.append(item(e.url, e.title, `${e.how || "名称完全一致"} · ${e.line}`, e.date, ""));
  current = title ? rows(title[1]) : results;
  shown = 0;
  await more(mine);
  if (mine !== seq) return;
  const total = title ? title[0] : results.length + (hit ? 1 : 0) + exact.length - repeated;
  // Announced once the first results are on the page.
  const note = loose ? "没有完全一致的结果，以下结果包含所输入的全部字词。" : "";
  // Until every bundle is searched, the count says which subjects it covers.
  const searched = newest ? [manifest.recent] : [...merged].map((i) => manifest.bundles[i]);
  scope = narrowed || hit ? "" : covered(searched, newest, complete);
  // Results are subjects (each with all its records), pages and records: say so, since
  // the column lists count records.
  const what = exact.some((e) => e.how) ? "条记录或结果" : "个结果（企业等主体和文章，每个主体的全部公示记录见其页面）";
  const first = title && title[0] > title[1].length ? `以下列出其中 ${title[1].length} 个（公示内容较少的在前）。` : "";
  status.textContent = title
    ? `找到 ${total.toLocaleString("zh-CN")} 个主体，其公示记录的标题包含“${s.q}”（已搜索全站全部主体）。${first}`
    : total
      ? `找到 ${total} ${what}。${note}${scope}`
      : "没有找到结果。请检查输入，或减少关键词、取消筛选条件后再试。";
  olderBtn.hidden = narrowed || !!hit || !scope.startsWith("本次");
  moreWrap.hidden = moreBtn.hidden && olderBtn.hidden && wideBtn.hidden;
}

async function more(mine) {
  // Every result's data is fetched at once; each is shown, in order, as soon as it and
  // the ones before it have arrived.
  const page = current.slice(shown, shown + PAGE).map((r) => r.data());
  for (const pending of page) {
    const d = await pending;
    if (mine !== seq) return;
    const m = d.meta || {};
    m.href = (m.href || "").replaceAll("~", ""); // see unglued() in generator/search/documents.py
    if (listed.has(m.href)) {
      repeated += 1; // already shown as an exact name
      continue;
    }
    const li = item(m.href, m.title, m.summary || m.kind, m.date, d.excerpt);
    if (d.shown) li.append(titleExcerpt(d.shown, state().q));
    list.append(li);
  }
  shown += page.length;
  moreBtn.hidden = shown >= current.length;
  wideBtn.hidden = !narrowed;
  moreWrap.hidden = moreBtn.hidden && olderBtn.hidden && wideBtn.hidden;
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  run();
});
for (const sel of [...selects, sortSel]) sel.addEventListener("change", () => run());
moreBtn.addEventListener("click", () => more(seq));
wideBtn.addEventListener("click", () => run(true));
olderBtn.addEventListener("click", () => run(false, true));

const params = new URLSearchParams(location.search);
input.value = params.get("q") || "";
sortSel.value = params.get("sort") || "";
status.textContent = "正在加载搜索索引……";
load().then(() => {
  for (const sel of selects) sel.value = params.get(sel.dataset.filter) || "";
  if (input.value || selects.some((s) => s.value)) run();
  else status.textContent = "";
}, () => {
  status.textContent = "搜索索引加载失败。请稍后再试，或按栏目浏览公示信息。";
});
