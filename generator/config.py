"""Load the site configuration, dataset schemas, enums and issue codes.

Schemas are data (``generator/schemas/*.yml``): a new dataset kind or a new column
variant needs a YAML edit, not code. Every configuration error is collected before
one ``ConfigError`` is raised, so an office fixes them all in one pass.

An office adds or adjusts kinds without touching the installed package: a ``schemas/``
folder beside its ``site.yml`` (``config.root / "schemas"``) is read after the packaged
one (``_read_kinds``, ``_office_schema``, ``_override``):

- ``<id>.yml`` with a new id adds a kind, written exactly like a packaged schema;
- ``<id>.yml`` with a packaged id (``xzcf.yml`` …) adjusts that kind: ``name``,
  ``short_name``, ``description`` and ``order`` replace the packaged values; ``aliases``
  (other names of the kind) and ``ignore`` are added to the packaged lists; ``columns``
  entries name a packaged column by ``key`` and add to its ``aliases`` and ``hints``.
  The withdrawal list's file may also add ``match`` entries for datasets the packaged
  file does not match. Anything else (identity, disclosure, types …) is refused: the
  disclosure rules of a packaged kind are the law's, not an office setting;
- ``_enums.yml`` adds enums, and values and variants to packaged enums (an office's
  variant of a value wins); no other ``_*.yml`` file is read from there.

An added alias that already names another column of the kind is refused. Every key of a
schema file is checked (``SCHEMA_KEYS``, ``COLUMN_KEYS``): an unknown key or a value of
the wrong shape is a ConfigError naming the file and the key, never silently dropped.

Kinds are shown in ``order`` (then id): the packaged kinds have 1–6; a kind without
``order`` comes after them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .departments import Directory, load_directory

PACKAGE_DIR = Path(__file__).parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
ISSUE_CODES_FILE = PACKAGE_DIR / "issue_codes.yml"

COLUMN_TYPES = {
    "text",
    "longtext",
    "name",
    "enum",
    "multienum",
    "date",
    "uscc",
    "code",
    "docno",
    "idnum",
    "amount",
}
ROLES = {"subject_name", "subject_category", "subject_code", "subject_regno", "date", "department"}
ROLES |= {"submitted"}  # 报送/入库 time of the record (generator/monitor)
ROLES |= {"subject_id"}  # a natural person's own ID number (identity of a person's entry)
INTERNAL_ROLES = {"submitted"}  # roles of columns read for the office, never published
SEVERITIES = ("error", "warning", "info")
# Reasons a record is not published that no schema names: set by the pipeline itself.
STAGE_REASONS = {
    "duplicate": "重复记录",
    "withdrawal-withheld-review": "撤下清单待复核（暂停公示）",
}
OFFICE_SCHEMAS = "schemas"  # the office's own schema folder, beside site.yml
DATASET_ENUM = "dataset"  # the withdrawal list's 数据集 values, generated from the schemas
DEFAULT_ORDER = 99  # a kind without `order:` comes after the packaged kinds
SCHEMA_KEYS = {
    "id": "数据集代号（与文件名相同）",
    "name": "名称",
    "short_name": "导航栏中的短名称",
    "description": "说明",
    "order": "排列顺序（整数）",
    "aliases": "数据集的其他名称（撤下清单“数据集”一列可用）",
    "repairable": "可信用修复",
    "alert": "当前记录需提醒",
    "columns": "列",
    "ignore": "忽略的列",
    "identity": "标识字段",
    "identity_optional": "可选标识字段",
    "title": "标题字段",
    "facets": "筛选字段",
    "conditions": "条件",
    "disclosure": "公示规则",
    "control": "控制清单",
    "match": "撤下清单的匹配字段",
    "reasons": "撤下原因代码",
    "derive": "推得规则",
    "require_any_columns": "至少一列",
    "sample": "演示数据的生成提示（generator sample）",
}
COLUMN_KEYS = {
    "key", "label", "type", "required", "role", "enum", "pattern", "pattern_hint", "aliases",
    "hints", "source_only", "person_value", "public_label", "future_label", "note",
}  # fmt: skip
# What an office's schemas/<id>.yml may say about a packaged kind (module docstring).
OVERRIDE_REPLACE = ("name", "short_name", "description", "order")
OVERRIDE_EXTEND = ("aliases", "ignore")
OVERRIDE_COLUMN_EXTEND = ("aliases", "hints")
DISCLOSURE_RULES = {
    "exclude_warning_only",
    "penalty_period",
    "state_not_in",
    "until_date",
    "value_in",
}


class ConfigError(Exception):
    """The configuration or schemas are unusable; carries every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def header_key(text: str) -> str:
    """Normalise a column header for alias matching.

    Width (NFKC), case, spaces anywhere, required-marks, a trailing colon and every kind
    of bracket: `行政许可决定书文号：`, `* 行政相对人代码_5 （居民身份证号）` and
    `行政相对人代码_5(居民身份证号)` meet on one key.
    """
    t = unicodedata.normalize("NFKC", str(text)).lower()
    t = re.sub(r"\s+", "", t)
    t = t.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    t = t.replace("〔", "(").replace("〕", ")").replace("{", "(").replace("}", ")")
    return t.strip("*＊:：")


def header_parts(key: str) -> tuple[str, str]:
    """Split a normalised header into (name, bracketed hint): `代码_3(工商登记码)` -> both."""
    m = re.fullmatch(r"(.*?)\(([^()]*)\)", key)
    if not m:
        return key, ""
    return m.group(1), m.group(2)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str
    required: bool = False  # a row cannot be published without it (`required: publish`)
    standard: bool = False  # the standard asks for it; a gap is a warning (`required: standard`)
    role: str | None = None
    enum: str | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    aliases: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()  # bracketed hint words that name this column (`(工商登记码)`)
    source_only: bool = False  # read in, split by `derive:`, never published as such
    person_value: str | None = None  # subject_category: the value that means a natural person
    public_label: str | None = None  # the short label the public reads (downloads keep `label`)
    future_label: str | None = None  # a date not yet come: 移出日期 -> 计划移出日期
    note: str | None = None  # what to fill in, for the office's manual (docs/manual)

    @property
    def public(self) -> bool:
        """Shown on pages and in downloads: not a source column split by `derive:`, not the
        office's own submission time (read for 信用监测 only)."""
        return not self.source_only and self.role not in INTERNAL_ROLES


@dataclass
class Schema:
    id: str
    name: str
    description: str
    order: int
    columns: list[Column]
    ignore: list[str]
    identity: list[str]
    identity_optional: list[str] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    facets: list[str] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    disclosure: list[dict[str, Any]] = field(default_factory=list)
    control: bool = False
    match: dict[str, dict[str, str]] = field(default_factory=dict)
    derive: list[dict[str, Any]] = field(default_factory=list)
    require_any_columns: list[dict[str, Any]] = field(default_factory=list)
    sample: dict[str, Any] = field(default_factory=dict)  # demo-data hints (generator/sample)
    id_words: tuple[str, ...] = ()  # a header naming one of these is an ID-number column
    rep_words: tuple[str, ...] = ()  # ... of the legal representative when it names these
    office_headers: dict[str, str] = field(default_factory=dict)  # data/<ds>/columns.yml
    short_name: str = ""  # the navigation bar's name when `name` is too long
    aliases: tuple[str, ...] = ()  # other names of the kind (withdrawal list's 数据集 column)
    repairable: bool = False  # its records can be repaired (信用修复): the site offers it
    alert: bool = False  # a current entry is highlighted (subject page, 信用报告)
    # Withdrawal list only: 撤下原因 value -> {code, label, revokes}.
    reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""  # the file it was read from, as named in messages

    @property
    def nav_name(self) -> str:
        """The name in menus: `short_name`, else `name`."""
        return self.short_name or self.name

    def reason_labels(self) -> dict[str, str]:
        """Reason code -> Chinese label, from this schema's disclosure rules and reasons."""
        out = {
            str(r.get("reason", r.get("rule"))): str(r["label"])
            for r in self.disclosure
            if r.get("label")
        }
        out.update({str(r["code"]): str(r["label"]) for r in self.reasons.values()})
        return out

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    @cached_property
    def header_map(self) -> dict[str, str]:
        """Normalised header text -> column key (office mapping, label, key, every alias)."""
        out: dict[str, str] = {header_key(h): k for h, k in self.office_headers.items()}
        for c in self.columns:
            for name in (c.label, c.key, *c.aliases):
                out.setdefault(header_key(name), c.key)
        return out

    @cached_property
    def hint_map(self) -> dict[str, str]:
        """Normalised hint word -> column key (declared hints, then every known name)."""
        out = {header_key(h): c.key for c in self.columns for h in c.hints}
        for k, v in self.header_map.items():
            out.setdefault(k, v)
        return out

    def resolve(self, header: str) -> str | None:
        """The column a header names, if any (see `resolve_why`)."""
        return self.resolve_why(header)[0]

    def resolve_why(self, header: str) -> tuple[str | None, str]:
        """(column key, how it was matched) for a header as written.

        The office's own mapping and exact names come first; then the bracketed hint
        decides over the name before it (`行政相对人代码_3(工商登记码)` is the 注册号, whatever
        the number); a header that says ID number is always the masked ID-number column.
        """
        k = header_key(header)
        if not k:
            return None, ""
        key, why = self.header_map.get(k), "name"
        name, hint = header_parts(k)
        if k in self.office_headers_keys:
            why = "columns.yml"
        elif hint and hint in self.hint_map and (key is None or self.hint_map[hint] != key):
            key, why = self.hint_map[hint], "hint"
        elif key is None and hint and self._remark_only(name):
            # A remark in brackets (`行政相对人名称(必填)`); never for amounts, whose bracket
            # gives the unit (`罚款金额(元)` is not the 万元 column).
            key = self.header_map[name]
        id_key = self._id_column(k)
        if id_key and (key is None or self.by_key[key].type != "idnum"):
            key, why = id_key, "id"
        return key, why

    def _remark_only(self, name: str) -> bool:
        key = self.header_map.get(name)
        return key is not None and self.by_key[key].type != "amount"

    @cached_property
    def office_headers_keys(self) -> set[str]:
        return {header_key(h) for h in self.office_headers}

    def _id_column(self, k: str) -> str | None:
        if not any(header_key(w) in k for w in self.id_words):
            return None
        ids = [c for c in self.columns if c.type == "idnum" and not c.source_only]
        if not ids:
            return None
        rep = [
            c.key for c in ids if any(header_key(w) in header_key(c.label) for w in self.rep_words)
        ]
        own = [c.key for c in ids if c.key not in rep]
        if any(header_key(w) in k for w in self.rep_words) and rep:
            return rep[0]
        return own[0] if own else ids[0].key

    def suggest(self, header: str) -> tuple[str, str] | None:
        """The nearest standard column for an unknown header, with the reason (Chinese).

        Similarity of the normalised header to every label and alias (difflib), plus the
        share of characters in common; a bracketed hint is tried on its own too.
        """
        k = header_key(header)
        name, hint = header_parts(k)
        best: tuple[float, str, str] | None = None
        for c in self.columns:
            for known in (c.label, *c.aliases, *c.hints):
                kk = header_key(known)
                for probe in filter(None, (k, name, hint)):
                    ratio = difflib.SequenceMatcher(None, probe, kk).ratio()
                    common = len(set(probe) & set(kk)) / max(len(set(probe) | set(kk)), 1)
                    score = max(ratio, common)
                    if best is None or score > best[0]:
                        best = (score, c.key, known)
        if best is None or best[0] < 0.4:
            return None
        score, key, known = best
        return key, f"与“{known}”相似（{score:.0%}）"

    def with_office_headers(self, mapping: dict[str, str]) -> Schema:
        """This schema with an office's own header mapping (header as written -> key)."""
        return replace(self, office_headers=dict(mapping))

    @cached_property
    def ignored_headers(self) -> set[str]:
        return {header_key(h) for h in self.ignore}

    def role(self, role: str) -> str | None:
        """Key of the column that plays `role`, if any."""
        return next((c.key for c in self.columns if c.role == role), None)

    def label(self, key: str) -> str:
        if key == "subject":
            return "主体代码"
        return self.by_key[key].label if key in self.by_key else key


@dataclass
class Enum:
    """Allowed values and their variants; `open` enums accept unknown values with a warning."""

    name: str
    values: list[str]
    variants: dict[str, str]
    open: bool = False

    def expected(self) -> str:
        return "、".join(self.values)


@dataclass
class Config:
    site: dict[str, Any]
    schemas: dict[str, Schema]
    withdrawals: Schema
    enums: dict[str, Enum]
    issue_codes: dict[str, dict[str, str]]
    root: Path
    departments: Directory = field(default_factory=Directory)

    @property
    def rules(self) -> dict[str, Any]:
        return dict(self.site.get("rules", {}))

    @property
    def masking(self) -> dict[str, Any]:
        return dict(self.site.get("masking", {}))

    def datasets(self) -> list[Schema]:
        return sorted(self.schemas.values(), key=lambda s: (s.order, s.id))

    def reason_labels(self) -> dict[str, str]:
        """Every reason code a record can be withheld for -> its Chinese label."""
        out = dict(STAGE_REASONS)
        for schema in [*self.datasets(), self.withdrawals]:
            out.update(schema.reason_labels())
        return out

    def reason_codes(self, flag: str) -> set[str]:
        """撤下原因 values whose reason carries `flag` (e.g. `revokes`)."""
        return {v for v, r in self.withdrawals.reasons.items() if r.get(flag)}


def _load_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path}: 无法读取 YAML：{exc}")
        return None


def _load_enums(
    raw: Any, problems: list[str], where: str = "_enums.yml", enums: dict[str, Enum] | None = None
) -> dict[str, Enum]:
    """Enums of one `_enums.yml`, added to `enums`: a known name gains values and variants."""
    enums = dict(enums or {})
    if raw is not None and not isinstance(raw, dict):
        problems.append(f"{where}: 应为映射（枚举名: {{取值: [其他写法]}}）")
        return enums
    for name, spec in (raw or {}).items():
        if spec is not None and not isinstance(spec, dict):
            problems.append(f"{where}: 枚举 {name} 应为映射（取值: [其他写法]）")
            continue
        spec = dict(spec or {})
        old = enums.get(name)
        is_open = bool(spec.pop("_open", False)) or (old is not None and old.open)
        values = list(old.values) if old else []
        variants = dict(old.variants) if old else {}
        for value, alts in spec.items():
            if alts is not None and not isinstance(alts, list):
                problems.append(f"{where}: 枚举 {name} 的取值 {value} 的其他写法应为列表")
                continue
            if str(value) not in values:
                values.append(str(value))
            for v in (value, *(alts or [])):
                variants[_variant_key(v)] = str(value)
        enums[name] = Enum(name, values, variants, is_open)
    return enums


def _variant_key(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def _column_problems(where: str, c: dict[str, Any], enums: dict[str, Enum]) -> list[str]:
    out: list[str] = []
    unknown = sorted(str(k) for k in c if k not in COLUMN_KEYS)
    if unknown:
        out.append(
            f"{where}: 列 {c.get('key')} 有未知的键 {'、'.join(unknown)}"
            f"（可用的键：{'、'.join(sorted(COLUMN_KEYS))}）"
        )
    if c["type"] not in COLUMN_TYPES:
        out.append(f"{where}: 列 {c['key']} 的 type “{c['type']}” 应为 {sorted(COLUMN_TYPES)} 之一")
    if c.get("role") and c["role"] not in ROLES:
        out.append(f"{where}: 列 {c['key']} 的 role “{c['role']}” 应为 {sorted(ROLES)} 之一")
    if c["type"] in ("enum", "multienum") and c.get("enum") not in enums:
        out.append(f"{where}: 列 {c['key']} 引用的 enum “{c.get('enum')}” 未在 _enums.yml 中定义")
    if c.get("required") not in (None, False, True, "publish", "standard"):
        out.append(f"{where}: 列 {c.get('key')} 的 required 应为 publish 或 standard")
    for k in OVERRIDE_COLUMN_EXTEND:
        if c.get(k) is not None and not isinstance(c[k], list):
            out.append(f"{where}: 列 {c['key']} 的 {k} 应为列表")
    return out


def _load_columns(
    where: str, raw: list[Any], enums: dict[str, Enum], problems: list[str]
) -> list[Column]:
    cols: list[Column] = []
    for i, c in enumerate(raw, 1):
        if not isinstance(c, dict):
            problems.append(f"{where}: columns 第{i}项应为映射（key、label、type …）")
            continue
        missing = [k for k in ("key", "label", "type") if k not in c]
        if missing:
            problems.append(f"{where}: 第{i}列缺少 {', '.join(missing)}")
            continue
        found = _column_problems(where, c, enums)
        problems += found
        if found:
            continue
        cols.append(
            Column(
                key=str(c["key"]),
                label=str(c["label"]),
                type=c["type"],
                required=c.get("required") in (True, "publish"),
                standard=c.get("required") == "standard",
                role=c.get("role"),
                enum=c.get("enum"),
                pattern=c.get("pattern"),
                pattern_hint=c.get("pattern_hint"),
                aliases=tuple(str(a) for a in c.get("aliases") or ()),
                hints=tuple(str(a) for a in c.get("hints") or ()),
                source_only=bool(c.get("source_only")),
                person_value=c.get("person_value"),
                public_label=c.get("public_label"),
                future_label=c.get("future_label"),
                note=None if c.get("note") is None else str(c["note"]),
            )
        )
    return cols


LIST_KEYS = (
    "columns", "ignore", "identity", "identity_optional", "title", "facets", "conditions",
    "disclosure", "derive", "require_any_columns", "aliases",
)  # fmt: skip
RULE_LISTS = ("conditions", "disclosure", "derive", "require_any_columns")
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def _shape_problems(where: str, raw: dict[str, Any]) -> list[str]:
    """Keys and value shapes of a schema file: what must hold before it is read at all."""
    out = [
        f"{where}: 未知的键 “{k}”（可用的键：{'、'.join(SCHEMA_KEYS)}）"
        for k in raw
        if k not in SCHEMA_KEYS
    ]
    for k in LIST_KEYS:
        if raw.get(k) is not None and not isinstance(raw[k], list):
            out.append(f"{where}: {k}（{SCHEMA_KEYS[k]}）应为列表")
    for k in RULE_LISTS:
        for i, item in enumerate(raw.get(k) or [] if isinstance(raw.get(k), list) else [], 1):
            if not isinstance(item, dict):
                out.append(f"{where}: {k}（{SCHEMA_KEYS[k]}）第{i}项应为映射")
    for k in ("match", "reasons", "sample"):
        if raw.get(k) is not None and not isinstance(raw[k], dict):
            out.append(f"{where}: {k}（{SCHEMA_KEYS[k]}）应为映射")
    order = raw.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        out.append(f"{where}: order（{SCHEMA_KEYS['order']}）应为整数，现为“{order}”")
    for k in ("id", "name", "short_name", "description"):
        if raw.get(k) is not None and not isinstance(raw[k], str):
            out.append(f"{where}: {k}（{SCHEMA_KEYS[k]}）应为文字")
    return out


def _load_schema(
    path: Path,
    raw: Any,
    enums: dict[str, Enum],
    problems: list[str],
    headers: dict[str, Any] | None = None,
    where: str | None = None,
) -> Schema | None:
    where = where or path.name
    headers = headers or {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: 应为映射（id、name、columns …）")
        return None
    shape = _shape_problems(where, raw)
    if shape:
        problems += shape
        return None
    cols = _load_columns(where, raw.get("columns") or [], enums, problems)
    schema = Schema(
        id=str(raw.get("id") or path.stem),
        name=str(raw.get("name") or path.stem),
        description=str(raw.get("description") or ""),
        order=int(raw.get("order") or DEFAULT_ORDER),
        columns=cols,
        ignore=[str(x) for x in raw.get("ignore") or []],
        identity=list(raw.get("identity") or []),
        identity_optional=list(raw.get("identity_optional") or []),
        title=list(raw.get("title") or []),
        facets=list(raw.get("facets") or []),
        conditions=list(raw.get("conditions") or []),
        disclosure=list(raw.get("disclosure") or []),
        control=bool(raw.get("control")),
        match=dict(raw.get("match") or {}),
        derive=list(raw.get("derive") or []),
        require_any_columns=list(raw.get("require_any_columns") or []),
        sample=dict(raw.get("sample") or {}),
        id_words=tuple(str(w) for w in headers.get("id_words") or ()),
        rep_words=tuple(str(w) for w in headers.get("rep_words") or ()),
        short_name=str(raw.get("short_name") or ""),
        aliases=tuple(str(a) for a in raw.get("aliases") or ()),
        repairable=bool(raw.get("repairable")),
        alert=bool(raw.get("alert")),
        reasons={str(k): dict(v or {}) for k, v in (raw.get("reasons") or {}).items()},
        source=where,
    )
    problems += _schema_problems(schema, path.stem, where)
    return schema


def _schema_problems(schema: Schema, stem: str, where: str) -> list[str]:
    out: list[str] = []
    keys = {c.key for c in schema.columns} | {"subject"}
    if schema.id != stem:
        out.append(f"{where}: id “{schema.id}” 应与文件名 {stem} 一致")
    if not ID_PATTERN.fullmatch(schema.id):
        out.append(
            f"{where}: id “{schema.id}” 只能用小写字母、数字和下划线，以字母开头（它是网址和目录名）"
        )
    if not schema.control and not schema.identity:
        out.append(f"{where}: 缺少 identity（记录的标识字段）")
    for k in schema.identity + schema.identity_optional + schema.facets + schema.title:
        if k not in keys and k != "year":
            out.append(f"{where}: 字段 “{k}” 未在 columns 中定义")
    out += _disclosure_problems(schema, keys, where)
    for cond in schema.conditions:
        fields = list(cond.get("require") or []) + list(cond.get("require_any") or [])
        fields += list(cond.get("order") or [])
        if "when" in cond:
            fields.append(cond["when"].get("field"))
        for k in fields:
            if k not in keys:
                out.append(f"{where}: conditions 中的字段 “{k}” 未定义")
        if cond.get("severity", "error") not in SEVERITIES:
            out.append(f"{where}: severity “{cond.get('severity')}” 应为 {SEVERITIES} 之一")
    if not schema.control and not schema.role("subject_name"):
        out.append(f"{where}: 需要一列 role: subject_name")
    for value, reason in schema.reasons.items():
        if not isinstance(reason.get("code"), str) or not isinstance(reason.get("label"), str):
            out.append(f"{where}: reasons 中“{value}”需要 code（英文代码）和 label（中文说明）")
    return out


def _disclosure_problems(schema: Schema, keys: set[str], where: str) -> list[str]:
    out: list[str] = []
    for rule in schema.disclosure:
        kind = rule.get("rule")
        if kind not in DISCLOSURE_RULES:
            out.append(f"{where}: disclosure 规则 “{kind}” 应为 {sorted(DISCLOSURE_RULES)} 之一")
            continue
        if kind == "exclude_warning_only" and "value" not in rule:
            out.append(f"{where}: exclude_warning_only 规则需要 value（仅此处罚类别时不公示）")
        need = "date" if kind == "penalty_period" else "field"
        if rule.get(need) not in keys:
            out.append(
                f"{where}: disclosure 规则 {kind} 的 {need} “{rule.get(need)}” 不是本数据集的列"
            )
    return out


def _override_columns(
    base: Schema, raw: list[dict[str, Any]], where: str, problems: list[str]
) -> list[Column]:
    """The packaged columns with an office's added aliases and hints."""
    extra: dict[str, dict[str, list[str]]] = {}
    for c in raw:
        key = c.get("key")
        bad = sorted(str(k) for k in c if k not in ("key", *OVERRIDE_COLUMN_EXTEND))
        if key not in base.by_key:
            problems.append(f"{where}: 列 “{key}” 不是内置数据集 {base.id} 的列")
        elif bad:
            problems.append(
                f"{where}: 内置数据集 {base.id} 的列 {key} 只能补充 aliases、hints，"
                f"不能修改 {'、'.join(bad)}"
            )
        elif any(c.get(k) is not None and not isinstance(c[k], list) for k in ("aliases", "hints")):
            problems.append(f"{where}: 列 {key} 的 aliases、hints 应为列表")
        else:
            for k in OVERRIDE_COLUMN_EXTEND:
                extra.setdefault(key, {}).setdefault(k, []).extend(str(a) for a in c.get(k) or [])
    for key, add in extra.items():
        for alias in add.get("aliases", []):
            owner = base.header_map.get(header_key(alias))
            if owner is not None and owner != key:
                problems.append(
                    f"{where}: 列 {key} 的别名“{alias}”已是列 {owner}（{base.label(owner)}）的写法"
                )
    return [
        replace(
            c,
            aliases=tuple(dict.fromkeys([*c.aliases, *extra[c.key].get("aliases", [])])),
            hints=tuple(dict.fromkeys([*c.hints, *extra[c.key].get("hints", [])])),
        )
        if c.key in extra
        else c
        for c in base.columns
    ]


def _override(base: Schema, raw: dict[str, Any], where: str, problems: list[str]) -> Schema:
    """A packaged kind adjusted by an office's schemas/<id>.yml (module docstring)."""
    allowed = {"id", "columns", *OVERRIDE_REPLACE, *OVERRIDE_EXTEND} | (
        {"match"} if base.control else set()
    )
    bad = [str(k) for k in raw if k not in allowed]
    if bad:
        problems.append(
            f"{where}: 内置数据集 {base.id} 的 {'、'.join(bad)} 不能在办公室的 schemas/ 中修改；"
            f"只能修改 {'、'.join(OVERRIDE_REPLACE)}，补充 {'、'.join(OVERRIDE_EXTEND)} "
            "和列的 aliases、hints" + ("、撤下清单的 match" if base.control else "")
        )
        return base
    if raw.get("id") not in (None, base.id):
        problems.append(f"{where}: id “{raw['id']}” 应与文件名 {base.id} 一致")
    changes: dict[str, Any] = {k: raw[k] for k in OVERRIDE_REPLACE if raw.get(k) is not None}
    changes["aliases"] = tuple(dict.fromkeys([*base.aliases, *map(str, raw.get("aliases") or [])]))
    changes["ignore"] = list(dict.fromkeys([*base.ignore, *map(str, raw.get("ignore") or [])]))
    changes["columns"] = _override_columns(base, raw.get("columns") or [], where, problems)
    match = dict(base.match)
    for ds, mapping in (raw.get("match") or {}).items():
        if ds in match:
            problems.append(f"{where}: match 中的数据集 “{ds}” 已由内置的撤下清单匹配，不能修改")
        match[ds] = dict(mapping or {})
    changes["match"] = match
    changes["source"] = f"{base.source} + {where}"
    return replace(base, **changes)


def _office_files(folder: Path | None, problems: list[str]) -> list[Path]:
    """The office's schema files (beside site.yml), checked for names it cannot use."""
    if folder is None:
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".yaml":
            problems.append(f"schemas/{path.name}: 请改名为 {path.stem}.yml")
        elif path.suffix != ".yml" or path.name == "_enums.yml":
            continue
        elif path.name.startswith("_"):
            problems.append(
                f"schemas/{path.name}: 不支持；schemas/ 中只能放 <数据集代号>.yml 和 _enums.yml"
            )
        else:
            out.append(path)
    return out


def _dataset_enum(schemas: dict[str, Schema]) -> Enum:
    """The withdrawal list's 数据集 values: every kind by id, name, short name or alias."""
    ordered = sorted(schemas.values(), key=lambda s: (s.order, s.id))
    variants: dict[str, str] = {}
    for s in ordered:
        for name in (s.id, s.name, s.short_name, *s.aliases):
            if name:
                variants.setdefault(_variant_key(name), s.id)
    return Enum(DATASET_ENUM, [s.id for s in ordered], variants)


def _read_kinds(
    packaged: Path, office: Path | None, problems: list[str]
) -> tuple[dict[str, Schema], dict[str, Enum]]:
    """Every schema by id (packaged, then the office's), and the enums they use."""
    enums = _load_enums(_load_yaml(packaged / "_enums.yml", problems), problems)
    if office is not None and (not office.is_dir() or office.resolve() == packaged.resolve()):
        office = None
    files = _office_files(office, problems)
    if office is not None and (office / "_enums.yml").is_file():
        raw = _load_yaml(office / "_enums.yml", problems)
        enums = _load_enums(raw, problems, "schemas/_enums.yml", enums)
    enums[DATASET_ENUM] = Enum(DATASET_ENUM, [], {})  # filled once every kind is known
    headers: dict[str, Any] = {}
    if (packaged / "_headers.yml").exists():
        headers = _load_yaml(packaged / "_headers.yml", problems) or {}
    loaded: dict[str, Schema] = {}
    for path in sorted(packaged.glob("*.yml")):
        if not path.name.startswith("_"):
            schema = _load_schema(path, _load_yaml(path, problems), enums, problems, headers)
            if schema is not None:
                loaded[schema.id] = schema
    for path in files:
        where = f"schemas/{path.name}"
        try:
            _office_schema(path, where, loaded, enums, headers, problems)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # A shape the checks above did not foresee: still the office's error, not a crash.
            problems.append(
                f"{where}: 结构有误（{type(exc).__name__}: {exc}），请对照程序自带的定义改正"
            )
    enums[DATASET_ENUM] = _dataset_enum({k: s for k, s in loaded.items() if not s.control})
    return loaded, enums


def _office_schema(
    path: Path,
    where: str,
    loaded: dict[str, Schema],
    enums: dict[str, Enum],
    headers: dict[str, Any],
    problems: list[str],
) -> None:
    """Read one office schema file into `loaded`: a new kind, or an adjusted packaged one."""
    seen = len(problems)
    raw = _load_yaml(path, problems)
    if len(problems) > seen:
        return  # unreadable: said once, not again as "not a mapping"
    if path.stem in loaded and isinstance(raw, dict):
        shape = _shape_problems(where, raw)
        problems += shape
        if not shape:
            loaded[path.stem] = _override(loaded[path.stem], raw, where, problems)
        return
    schema = _load_schema(path, raw, enums, problems, headers, where)
    if schema is not None and schema.control:
        problems.append(f"{where}: 不能新增控制清单（control）；撤下清单只有一份")
    elif schema is not None:
        loaded[schema.id] = schema


def _reason_problems(schemas: list[Schema]) -> list[str]:
    """A reason code means one thing: two schemas may not label it differently."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for s in schemas:
        for code, label in s.reason_labels().items():
            if code in seen and seen[code][1] != label:
                out.append(
                    f"{s.source}: 原因代码 {code} 的说明“{label}”与 {seen[code][0]} 中的"
                    f"“{seen[code][1]}”不同；请换一个代码"
                )
            seen.setdefault(code, (s.source, label))
    return out


def _match_problems(withdrawals: Schema, schemas: dict[str, Schema]) -> list[str]:
    out = []
    where = withdrawals.source
    for ds, mapping in withdrawals.match.items():
        if ds not in schemas:
            out.append(f"{where}: match 中的数据集 “{ds}” 不存在")
            continue
        for target, source in mapping.items():
            if target not in schemas[ds].identity + schemas[ds].identity_optional:
                out.append(f"{where}: “{target}” 不是 {ds} 的标识字段")
            if source not in withdrawals.by_key:
                out.append(f"{where}: “{source}” 不是撤下清单的列")
    return out


def load_config(site_file: Path | None = None, schema_dir: Path | None = None) -> Config:
    """Load site.yml, every schema (packaged, then the office's `schemas/` beside site.yml)
    and the issue codes; raise ConfigError listing all problems."""
    problems: list[str] = []
    schema_dir = schema_dir or SCHEMA_DIR
    root = site_file.parent if site_file else Path.cwd()
    site: dict[str, Any] = {}
    if site_file is not None:
        if site_file.exists():
            site = _load_yaml(site_file, problems) or {}
        else:
            problems.append(f"找不到站点配置文件 {site_file}")
    office = root / OFFICE_SCHEMAS if site_file is not None else None
    loaded, enums = _read_kinds(schema_dir, office, problems)
    schemas = {k: s for k, s in loaded.items() if not s.control}
    withdrawals = next((s for s in loaded.values() if s.control), None)
    if withdrawals is None:
        problems.append(f"{schema_dir}: 缺少撤下清单的 schema（control: true）")
    else:
        problems += _match_problems(withdrawals, schemas)
    problems += _reason_problems(list(loaded.values()))
    codes = _load_yaml(ISSUE_CODES_FILE, problems) or {}
    for code, spec in codes.items():
        if spec.get("severity") not in SEVERITIES:
            problems.append(f"issue_codes.yml: {code} 的 severity 应为 {SEVERITIES} 之一")
    rules = site.get("rules", {}) or {}
    for key in ("min_months", "max_months", "special_min_months"):
        value = (rules.get("penalty") or {}).get(key)
        if value is not None and not isinstance(value, int):
            problems.append(f"site.yml: rules.penalty.{key} 应为整数（月数）")
    departments = load_directory(site.get("departments"), problems)
    if problems:
        raise ConfigError(problems)
    assert withdrawals is not None
    return Config(
        site=site,
        schemas=schemas,
        withdrawals=withdrawals,
        enums=enums,
        issue_codes=codes,
        root=root,
        departments=departments,
    )
