"""Load the site configuration, dataset schemas, enums and issue codes.

Schemas are data (``generator/schemas/*.yml``): a new dataset kind or a new column
variant needs a YAML edit, not code. Every configuration error is collected before
one ``ConfigError`` is raised, so an office fixes them all in one pass.
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
INTERNAL_ROLES = {"submitted"}  # roles of columns read for the office, never published
SEVERITIES = ("error", "warning", "info")
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


def _load_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path}: 无法读取 YAML：{exc}")
        return None


def _load_enums(raw: Any, problems: list[str]) -> dict[str, Enum]:
    enums: dict[str, Enum] = {}
    for name, spec in (raw or {}).items():
        spec = dict(spec or {})
        is_open = bool(spec.pop("_open", False))
        variants: dict[str, str] = {}
        for value, alts in spec.items():
            for v in (value, *(alts or [])):
                variants[unicodedata.normalize("NFKC", str(v)).strip()] = str(value)
        enums[name] = Enum(name, [str(v) for v in spec], variants, is_open)
    return enums


def _load_columns(
    where: str, raw: list[Any], enums: dict[str, Enum], problems: list[str]
) -> list[Column]:
    cols: list[Column] = []
    for i, c in enumerate(raw, 1):
        missing = [k for k in ("key", "label", "type") if k not in c]
        if missing:
            problems.append(f"{where}: 第{i}列缺少 {', '.join(missing)}")
            continue
        if c["type"] not in COLUMN_TYPES:
            problems.append(
                f"{where}: 列 {c['key']} 的 type “{c['type']}” 应为 {sorted(COLUMN_TYPES)} 之一"
            )
        if c.get("role") and c["role"] not in ROLES:
            problems.append(
                f"{where}: 列 {c['key']} 的 role “{c['role']}” 应为 {sorted(ROLES)} 之一"
            )
        if c["type"] in ("enum", "multienum") and c.get("enum") not in enums:
            problems.append(
                f"{where}: 列 {c['key']} 引用的 enum “{c.get('enum')}” 未在 _enums.yml 中定义"
            )
        cols.append(
            Column(
                key=c["key"],
                label=c["label"],
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
            )
        )
    for c in raw:
        if isinstance(c, dict) and c.get("required") not in (
            None,
            False,
            True,
            "publish",
            "standard",
        ):
            problems.append(f"{where}: 列 {c.get('key')} 的 required 应为 publish 或 standard")
    return cols


def _load_schema(
    path: Path,
    raw: Any,
    enums: dict[str, Enum],
    problems: list[str],
    headers: dict[str, Any] | None = None,
) -> Schema | None:
    where = path.name
    headers = headers or {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: 应为映射（id、name、columns …）")
        return None
    cols = _load_columns(where, raw.get("columns") or [], enums, problems)
    keys = {c.key for c in cols} | {"subject"}
    schema = Schema(
        id=str(raw.get("id") or path.stem),
        name=str(raw.get("name") or path.stem),
        description=str(raw.get("description") or ""),
        order=int(raw.get("order") or 99),
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
    )
    if schema.id != path.stem:
        problems.append(f"{where}: id “{schema.id}” 应与文件名 {path.stem} 一致")
    if not schema.control and not schema.identity:
        problems.append(f"{where}: 缺少 identity（记录的标识字段）")
    for k in schema.identity + schema.identity_optional + schema.facets + schema.title:
        if k not in keys and k != "year":
            problems.append(f"{where}: 字段 “{k}” 未在 columns 中定义")
    for rule in schema.disclosure:
        if rule.get("rule") == "exclude_warning_only" and "value" not in rule:
            problems.append(f"{where}: exclude_warning_only 规则需要 value（仅此处罚类别时不公示）")
        if rule.get("rule") not in DISCLOSURE_RULES:
            problems.append(
                f"{where}: disclosure 规则 “{rule.get('rule')}” 应为 {sorted(DISCLOSURE_RULES)} 之一"
            )
    for cond in schema.conditions:
        fields = list(cond.get("require") or []) + list(cond.get("require_any") or [])
        fields += list(cond.get("order") or [])
        if "when" in cond:
            fields.append(cond["when"].get("field"))
        for k in fields:
            if k not in keys:
                problems.append(f"{where}: conditions 中的字段 “{k}” 未定义")
        if cond.get("severity", "error") not in SEVERITIES:
            problems.append(f"{where}: severity “{cond.get('severity')}” 应为 {SEVERITIES} 之一")
    if not schema.control and not schema.role("subject_name"):
        problems.append(f"{where}: 需要一列 role: subject_name")
    return schema


def load_config(site_file: Path | None = None, schema_dir: Path | None = None) -> Config:
    """Load site.yml, every schema and the issue codes; raise ConfigError listing all problems."""
    problems: list[str] = []
    schema_dir = schema_dir or SCHEMA_DIR
    root = site_file.parent if site_file else Path.cwd()
    site: dict[str, Any] = {}
    if site_file is not None:
        if site_file.exists():
            site = _load_yaml(site_file, problems) or {}
        else:
            problems.append(f"找不到站点配置文件 {site_file}")
    enums = _load_enums(_load_yaml(schema_dir / "_enums.yml", problems), problems)
    headers: dict[str, Any] = {}
    if (schema_dir / "_headers.yml").exists():
        headers = _load_yaml(schema_dir / "_headers.yml", problems) or {}
    schemas: dict[str, Schema] = {}
    withdrawals: Schema | None = None
    for path in sorted(schema_dir.glob("*.yml")):
        if path.name.startswith("_"):
            continue
        schema = _load_schema(path, _load_yaml(path, problems), enums, problems, headers)
        if schema is None:
            continue
        if schema.control:
            withdrawals = schema
        else:
            schemas[schema.id] = schema
    if withdrawals is None:
        problems.append(f"{schema_dir}: 缺少撤下清单的 schema（withdrawals.yml）")
    else:
        for ds, mapping in withdrawals.match.items():
            if ds not in schemas:
                problems.append(f"withdrawals.yml: match 中的数据集 “{ds}” 不存在")
                continue
            for target, source in mapping.items():
                if target not in schemas[ds].identity + schemas[ds].identity_optional:
                    problems.append(f"withdrawals.yml: “{target}” 不是 {ds} 的标识字段")
                if source not in withdrawals.by_key:
                    problems.append(f"withdrawals.yml: “{source}” 不是撤下清单的列")
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
