/* The search page: Pagefind's JS API over the bundles in search/pf/ (see generator/search).
   Everything is fetched relative to this page, so the site works from any sub-path. */
const form = document.getElementById("xy-search");
const root = new URL(form.dataset.root, location.href);
const pf = new URL("search/pf/", root);
const input = document.getElementById("q");
const status = document.getElementById("xy-status");
const list = document.getElementById("xy-results");
const moreWrap = document.getElementById("xy-more-wrap");
const moreBtn = document.getElementById("xy-more");
const olderBtn = document.getElementById("xy-older");
const selects = [...form.querySelectorAll("select[data-filter]")];
const sortSel = document.getElementById("f-sort");
const PAGE = 20;
const HAN = /([\u3400-\u9fff\u{20000}-\u{3134f}])(?=[\u3400-\u9fff\u{20000}-\u{3134f}])/gu;
const CODE = /^(?:[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}|\d{15})$/;

let pagefind = null;
let manifest = { bundles: [] };
let merged = 1;
let shown = 0;
let current = [];
let seq = 0;

/* Full-width letters and digits to half-width, codes to upper case, spaces squeezed. */
export function normalise(q) {
  return q.normalize("NFKC").replace(/\s+/g, " ").trim().toUpperCase();
}

/* The index holds one word per Han character (generator/search/documents.py): split the
   query the same way and search a single run as a phrase (a substring of the text). */
export function term(q) {
  const parts = q.split(" ").map((p) => p.replace(HAN, "$1 "));
  return parts.length === 1 && /[\u3400-\u9fff]/u.test(parts[0]) ? `"${parts[0]}"` : parts.join(" ");
}

function href(url) {
  return new URL(url.replace(/^\//, ""), root).href;
}

function clean(text) {
  return (text || "").replace(/\u200b/g, "");
}

/* Pagefind's excerpt with <mark> kept and everything else reduced to text. */
function excerpt(html) {
  const p = document.createElement("p");
  p.className = "xy-excerpt";
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  for (const node of doc.body.childNodes) {
    if (node.nodeName === "MARK") {
      const m = document.createElement("mark");
      m.textContent = clean(node.textContent);
      p.append(m);
    } else {
      p.append(clean(node.textContent));
    }
  }
  return p;
}

function item(url, title, line, date, ex) {
  const li = document.createElement("li");
  const h = document.createElement("h2");
  const a = document.createElement("a");
  a.href = href(url);
  a.textContent = clean(title);
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
  await pagefind.options({ excerptLength: 40 });
  await pagefind.init();
  await fillFilters();
}

async function mergeOlder() {
  while (merged < manifest.bundles.length) {
    await pagefind.mergeIndex(new URL(`${manifest.bundles[merged].id}/`, pf).href);
    merged += 1;
  }
  await fillFilters();
}

async function fillFilters() {
  const all = await pagefind.filters();
  for (const sel of selects) {
    const keep = sel.value;
    const counts = all[sel.dataset.filter] || {};
    const values = Object.keys(counts).sort((a, b) =>
      sel.dataset.filter === "年份" ? b.localeCompare(a) : counts[b] - counts[a] || a.localeCompare(b, "zh"));
    sel.length = 1;
    for (const v of values) sel.add(new Option(v, v));
    sel.value = values.includes(keep) ? keep : "";
  }
  document.getElementById("xy-filters").hidden = false;
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

async function run() {
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
  if (s.sort) options.sort = { date: s.sort };
  // A code names one subject: look it up, do not search for parts of it.
  const code = CODE.test(s.q);
  const hit = code ? await direct(s.q) : null;
  let results = code ? [] : (await pagefind.search(s.q ? term(s.q) : null, options)).results;
  if (mine !== seq) return;
  if (!code && !results.length && merged < manifest.bundles.length) {
    await mergeOlder();
    results = (await pagefind.search(s.q ? term(s.q) : null, options)).results;
    if (mine !== seq) return;
  }
  if (hit) list.append(item(hit.url, hit.title, "统一社会信用代码完全一致", "", ""));
  current = results;
  shown = 0;
  const total = results.length + (hit ? 1 : 0);
  await more(mine);
  if (mine !== seq) return;
  // Announced once the first results are on the page.
  status.textContent = total ? `找到 ${total} 条结果。` : "没有找到结果。请检查输入，或减少关键词、取消筛选条件后再试。";
}

async function more(mine) {
  const page = await Promise.all(current.slice(shown, shown + PAGE).map((r) => r.data()));
  if (mine !== seq) return;
  for (const d of page) {
    const m = d.meta || {};
    list.append(item(d.url, m.title, m.summary || m.kind, m.date, d.excerpt));
  }
  shown += page.length;
  moreBtn.hidden = shown >= current.length;
  olderBtn.hidden = merged >= manifest.bundles.length;
  moreWrap.hidden = moreBtn.hidden && olderBtn.hidden;
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  run();
});
for (const sel of [...selects, sortSel]) sel.addEventListener("change", run);
moreBtn.addEventListener("click", () => more(seq));
olderBtn.addEventListener("click", async () => {
  await mergeOlder();
  run();
});

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
