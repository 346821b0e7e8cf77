"""tools/lib/parity_render.py: tools/parity's report as JSON, Markdown and one HTML page.

The JSON is the report itself (schema: docs/parity.md); the Markdown and the HTML are views
of it. The HTML is a single self-contained file (inline CSS and a few lines of script for
filtering; it reads fine without the script).
"""

import html
import os

import usertests as ut

LABEL = {ut.PASS: "PASS", ut.FAIL: "FAIL", ut.SKIP: "SKIP", ut.NOT_RUN: "not run",
         ut.NA: "n/a", None: "no test"}
CSS_CLASS = {ut.PASS: "pass", ut.FAIL: "fail", ut.SKIP: "skip", ut.NOT_RUN: "notrun",
             ut.NA: "na", None: "none"}
OPEN_DIFFS = 4   # the first diffs are shown open, the rest folded
COLUMN_TITLE = {"x86_64": "Janus x86_64", "aarch64": "Janus aarch64",
                "linux": "Linux (qemu-user)"}


def write_all(report, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    ut.write_json(os.path.join(out_dir, "report.json"), report)
    write_text(os.path.join(out_dir, "report.md"), markdown(report))
    write_text(os.path.join(out_dir, "report.html"), page(report))


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def verdict_of(status):
    return status["verdict"] if status else None


# ---- Markdown ------------------------------------------------------------------------------

def md_cell(status):
    if not status:
        return "—"
    text = LABEL[status["verdict"]]
    by_arch = status.get("by_arch") or {}
    if len({v for v in by_arch.values() if v}) > 1:
        text = " / ".join(f"{a}: {LABEL[v]}" for a, v in by_arch.items())
    return text


def md_escape(text):
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(r):
    s, out = r["summary"], []
    out += ["# Janus parity report", "",
            f"Generated {r['generated']} from commit {r['git']['commit'] or '?'}"
            f"{' (with local changes)' if r['git']['dirty'] else ''}. "
            f"{s['ids_active']} behaviours, {s['ids_with_tests']} with tests, "
            f"{s['tests']} tests, {s['flagged']} flagged. Schema: docs/parity.md.", ""]
    secs = r.get("suite_seconds") or {}
    if secs:
        out += ["Suite times (last tools/check): " + ", ".join(
            f"{m} {v / 60:.1f} min" for m, v in secs.items()) + ".", ""]
    out += md_summary(r) + md_changes(r) + md_panics(r) + md_flagged(r) + md_areas(r)
    out += md_matrix(r) + md_no_test(r) + md_warnings(r)
    return "\n".join(out) + "\n"


def md_summary(r):
    s = r["summary"]
    out = ["## Pass rates", "", "| | pass | fail | skip | not run | no test | rate |",
           "|---|---|---|---|---|---|---|"]
    for col in r["columns"]:
        p = s["ports"][col]
        out.append(f"| {COLUMN_TITLE[col]} | {p['pass']} | {p['fail']} | {p['skip']} | "
                   f"{p['not_run']} | {p['no_test']} | {p['rate']}% of all, "
                   f"{p['rate_tested']}% of tested |")
    return out + [""]


def md_changes(r):
    ch = r["changes"]
    out = ["## Changes since the previous report", ""]
    if not ch["previous"]:
        return out + ["First report: nothing to compare with.", ""]
    out.append(f"Previous report: {ch['previous']}.")
    for key, title in (("new_passes", "New passes"), ("new_failures", "New failures")):
        items = ch[key]
        out.append(f"- {title}: " + (", ".join(f"{i['id']} on {i['column']} (was {LABEL.get(i['was'], i['was'])})"
                                               for i in items) or "none"))
    return out + [""]


def md_panics(r):
    out = ["## Tests that brought the kernel down", ""]
    if not r["panics"]:
        return out + ["None.", ""]
    for p in r["panics"]:
        out += [f"### {p['test']} on {p['arch']} ({', '.join(p['ids'])})", "", "```",
                p["message"]] + p["backtrace"] + ["```", ""]
    return out


def md_flagged(r):
    out = ["## Flagged: results or output differ", ""]
    flagged = [b for b in r["behaviours"] if b["flags"]]
    if not flagged:
        out += ["Nothing flagged.", ""]
    for b in flagged:
        out.append(f"- **{b['id']}** ({', '.join(b['tests'])}): {', '.join(b['flags'])}")
    diffs = [t for t in r["tests"] if t["output_diffs"]]
    for t in diffs:
        for d in t["output_diffs"]:
            out += ["", f"### {t['name']}: {d['a']} vs {d['b']}", "", "```diff",
                    d["diff"].rstrip("\n"), "```"]
    return out + [""]


def md_areas(r):
    out = ["## Per area", "", "| area | IDs | with tests | " +
           " | ".join(COLUMN_TITLE[c] for c in r["columns"]) + " |",
           "|---|---|---|" + "---|" * len(r["columns"])]
    for a in r["areas"]:
        cells = " | ".join(f"{a['pass'][c]} ({a['rate'][c]}%)" for c in r["columns"])
        out.append(f"| {a['area']} — {a['title']} | {a['ids']} | {a['with_tests']} | {cells} |")
    return out + [""]


def md_matrix(r):
    out = ["## Behaviours with tests", "",
           "| ID | tests | Janus x86_64 | Janus aarch64 | Linux | flags |",
           "|---|---|---|---|---|---|"]
    for b in r["behaviours"]:
        if b["tests"]:
            st = b["status"]
            out.append(f"| {b['id']} | {', '.join(b['tests'])} | {md_cell(st['x86_64'])} | "
                       f"{md_cell(st['aarch64'])} | {md_cell(st['linux'])} | "
                       f"{md_escape(', '.join(b['flags']))} |")
    notes = sorted({f"{COLUMN_TITLE[c]}: {st['detail']}" for b in r["behaviours"]
                    if b["tests"] for c, st in b["status"].items()
                    if st and st["verdict"] == ut.NOT_RUN})
    if notes:
        out += ["", "Not run: " + "; ".join(notes[:20])]
    return out + [""]


def md_no_test(r):
    out = ["## Behaviours with no test yet", ""]
    by_reason = {}
    for item in r["no_test"]:
        by_reason.setdefault(item["reason"], []).append(item["id"])
    for reason, ids in by_reason.items():
        out.append(f"- {reason} ({len(ids)}): {', '.join(ids)}")
    return out + [""]


def md_warnings(r):
    if not r["warnings"]:
        return []
    return ["## Warnings", ""] + [f"- {md_escape(w)}" for w in r["warnings"]] + [""]


# ---- HTML ----------------------------------------------------------------------------------

E = html.escape

CSS = """
:root{--pass:#1a7f37;--fail:#cf222e;--skip:#9a6700;--notrun:#57606a;--na:#8c959f;
--bg:#f6f8fa;--line:#d0d7de;--text:#1f2328;--muted:#656d76}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
color:var(--text);margin:0;background:#fff}
header{background:#24292f;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9d1d9}main{padding:8px 32px 40px;max-width:1400px}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
nav a{color:#c9d1d9;margin-right:14px;font-size:13px}
.cards{display:flex;gap:16px;flex-wrap:wrap;margin-top:18px}
.card{border:1px solid var(--line);border-radius:8px;padding:14px 18px;min-width:280px;flex:1}
.card h3{margin:0 0 6px;font-size:14px;color:var(--muted);font-weight:600}
.big{font-size:30px;font-weight:700}.sub{color:var(--muted);font-size:12.5px}
.bar{display:flex;height:10px;border-radius:5px;overflow:hidden;background:#eaeef2;margin:8px 0}
.bar span{display:block;height:100%}
.b-pass{background:var(--pass)}.b-fail{background:var(--fail)}.b-skip{background:#d4a72c}
.b-notrun{background:#8c959f}.b-none{background:#eaeef2}
.badge{display:inline-block;min-width:58px;text-align:center;padding:1px 7px;border-radius:10px;
font-size:12px;font-weight:600;border:1px solid transparent;white-space:nowrap}
.pass{background:#dafbe1;color:var(--pass);border-color:#aceebb}
.fail{background:#ffebe9;color:var(--fail);border-color:#ffcecb}
.skip{background:#fff8c5;color:var(--skip);border-color:#f5e0a0}
.notrun{background:#f6f8fa;color:var(--notrun);border:1px dashed #afb8c1}
.na{background:#fff;color:var(--na);border-color:#eaeef2}.none{color:#afb8c1;background:#fff}
table{border-collapse:collapse;width:100%}th,td{padding:5px 8px;border-bottom:1px solid #eaeef2;
text-align:left;vertical-align:top}th{background:var(--bg);position:sticky;top:0;z-index:1;
font-size:12.5px}td.id{font-family:ui-monospace,monospace;white-space:nowrap;font-weight:600}
tr.area td{background:#eef2f6;font-weight:600;border-top:2px solid var(--line)}
.clamp{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden;
max-width:560px;color:#333}.flag{display:inline-block;background:#fff1e5;color:#953800;
border-radius:4px;padding:0 6px;margin:1px 2px;font-size:12px}
.tag{font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:4px;
padding:0 4px;margin-right:4px}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px;
overflow:auto;font-size:12.5px;line-height:1.35}.add{color:var(--pass)}.del{color:var(--fail)}
.hunk{color:#8250df}.muted{color:var(--muted)}.ok{color:var(--pass)}
.filters{display:flex;gap:10px;align-items:center;margin:8px 0 10px;flex-wrap:wrap}
.filters input,.filters select{padding:5px 8px;border:1px solid var(--line);border-radius:6px;
font-size:13px}.tests{font-family:ui-monospace,monospace;font-size:12px}
details summary{cursor:pointer;color:#0969da}.mini{font-size:11px;color:var(--muted)}
"""

SCRIPT = """
function filt(){var q=document.getElementById('q').value.toLowerCase(),
m=document.getElementById('m').value;document.querySelectorAll('#matrix tr.row').forEach(
function(r){var ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&(m=='all'||
r.classList.contains(m));r.style.display=ok?'':'none';});}
"""


def badge(verdict, detail=""):
    title = f' title="{E(detail)}"' if detail else ""
    return f'<span class="badge {CSS_CLASS[verdict]}"{title}>{E(LABEL[verdict])}</span>'


def cell(status):
    if not status:
        return badge(None)
    by_arch = status.get("by_arch") or {}
    if len({v for v in by_arch.values() if v}) > 1:
        return " ".join(f'<span class="mini">{E(a)}</span> {badge(v)}'
                        for a, v in by_arch.items())
    return badge(status["verdict"], status.get("detail", ""))


def bar(p, total):
    parts = [("pass", p["pass"]), ("fail", p["fail"]), ("skip", p["skip"]),
             ("notrun", p["not_run"] + p["na"]), ("none", p["no_test"])]
    spans = "".join(f'<span class="b-{k}" style="width:{100.0 * n / total:.2f}%" '
                    f'title="{k}: {n}"></span>' for k, n in parts if n and total)
    return f'<div class="bar">{spans}</div>'


def page(r):
    body = (html_cards(r) + html_changes(r) + html_panics(r) + html_flagged(r) +
            html_areas(r) + html_matrix(r) + html_tests(r) + html_no_test(r) + html_warnings(r))
    git = r["git"]
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("changes", "Changes"), ("panics", "Kernel crashes"), ("flagged", "Flagged"),
        ("areas", "Areas"), ("matrix", "Matrix"), ("tests", "Tests"),
        ("notest", "No test yet")))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Janus parity report</title><style>{CSS}</style><script>{SCRIPT}</script></head>
<body><header><h1>Janus parity report</h1>
<p>{E(r['generated'])} · commit {E(git['commit'] or '?')}{' (with local changes)' if git['dirty'] else ''}
· {r['summary']['ids_active']} behaviours from {E(os.path.basename(r['behaviours_file']))}</p>
<nav>{nav}</nav></header><main>{body}
<p class="muted">Schema and how to read this page: docs/parity.md. report.json holds
everything shown here.</p></main></body></html>
"""


def html_cards(r):
    s, cards = r["summary"], []
    for col in r["columns"]:
        p = s["ports"][col]
        note = (f"{p['not_run']} not run" + (": user mode not implemented yet"
                                              if not p.get("runner_ran", True) else "")
                if p["not_run"] else f"{p['tests_run']} test runs")
        secs = (r.get("suite_seconds") or {}).get(col)
        if secs is not None:
            note += f" · suite {secs / 60:.1f} min"
        cards.append(f"""<div class="card"><h3>{E(COLUMN_TITLE[col])}</h3>
<div class="big">{p['rate']}%</div>
<div class="sub">{p['pass']} of {s['ids_active']} behaviours pass · {p['rate_tested']}% of the
{s['ids_with_tests']} with tests</div>{bar(p, s['ids_active'])}
<div class="sub">{badge(ut.PASS)} {p['pass']} {badge(ut.FAIL)} {p['fail']} {badge(ut.SKIP)}
{p['skip']} {badge(ut.NOT_RUN)} {p['not_run']} {badge(None)} {p['no_test']}</div>
<div class="sub">{E(note)}</div></div>""")
    return f'<div class="cards">{"".join(cards)}</div>'


def html_changes(r):
    ch = r["changes"]
    head = '<h2 id="changes">Changes since the previous report</h2>'
    if not ch["previous"]:
        return head + "<p>First report: nothing to compare with.</p>"
    items = []
    for key, title in (("new_passes", "New passes"), ("new_failures", "New failures")):
        lst = ", ".join(f"<b>{E(i['id'])}</b> on {E(COLUMN_TITLE[i['column']])} "
                        f"<span class=muted>(was {E(LABEL.get(i['was'], i['was']))})</span>"
                        for i in ch[key]) or '<span class="muted">none</span>'
        items.append(f"<li>{title} ({len(ch[key])}): {lst}</li>")
    return head + f"<p>Compared with the report of {E(ch['previous'])}.</p><ul>{''.join(items)}</ul>"


def html_panics(r):
    head = '<h2 id="panics">Tests that brought the kernel down</h2>'
    if not r["panics"]:
        return head + '<p class="ok">None.</p>'
    out = []
    for p in r["panics"]:
        text = "\n".join([p["message"]] + p["backtrace"])
        out.append(f"<h3>{E(p['test'])} on {E(p['arch'])} "
                   f"<span class=muted>({E(', '.join(p['ids']))})</span></h3><pre>{E(text)}</pre>")
    return head + "".join(out)


def diff_html(text):
    out = []
    for line in text.splitlines():
        cls = ("hunk" if line.startswith("@@") else "add" if line.startswith("+") and not
               line.startswith("+++") else "del" if line.startswith("-") and not
               line.startswith("---") else "")
        out.append(f'<span class="{cls}">{E(line)}</span>' if cls else E(line))
    return "<pre>" + "\n".join(out) + "</pre>"


def html_flagged(r):
    head = '<h2 id="flagged">Flagged: results or output differ</h2>'
    flagged = [b for b in r["behaviours"] if b["flags"]]
    out = [head]
    if not flagged:
        out.append('<p class="ok">Nothing flagged: where both sides ran, verdicts and '
                   'normalized output agree.</p>')
    else:
        out.append("<ul>" + "".join(
            f"<li><b>{E(b['id'])}</b> <span class=tests>{E(', '.join(b['tests']))}</span> "
            + "".join(f'<span class="flag">{E(f)}</span>' for f in b["flags"]) + "</li>"
            for b in flagged) + "</ul>")
    diffs = [(t["name"], d) for t in r["tests"] for d in t["output_diffs"]]
    if diffs:
        out.append(f"<h3>Output diffs ({len(diffs)})</h3><p class=muted>Normalized output "
                   "(docs/parity.md): TAP diagnostics and JANUS details left out.</p>")
    for n, (name, d) in enumerate(diffs):
        lines = d["diff"].splitlines()[2:]
        plus = sum(1 for x in lines if x.startswith("+"))
        minus = sum(1 for x in lines if x.startswith("-"))
        out.append(f"<details{' open' if n < OPEN_DIFFS else ''}><summary><b>{E(name)}</b>: "
                   f"{E(d['a'])} vs {E(d['b'])} <span class=mini>(+{plus} −{minus})</span>"
                   f"</summary>{diff_html(d['diff'])}</details>")
    return "".join(out)


def html_areas(r):
    cols = r["columns"]
    rows = "".join(
        f"<tr><td><b>{E(a['area'])}</b> <span class=muted>{E(a['title'])}</span></td>"
        f"<td>{a['ids']}</td><td>{a['with_tests']}</td>"
        + "".join(f"<td>{a['pass'][c]} <span class=muted>({a['rate'][c]}%)</span></td>"
                  for c in cols) + "</tr>" for a in r["areas"])
    return ('<h2 id="areas">Pass rates per area</h2><table><tr><th>area</th><th>IDs</th>'
            "<th>with tests</th>" + "".join(f"<th>{E(COLUMN_TITLE[c])}</th>" for c in cols)
            + f"</tr>{rows}</table>")


def row_classes(b):
    cls = ["row", "tested" if b["tests"] else "untested"]
    if b["flags"]:
        cls.append("flagged")
    if any(verdict_of(s) == ut.FAIL for s in b["status"].values()):
        cls.append("failing")
    return " ".join(cls)


def matrix_row(b):
    tags = "".join(f'<span class="tag">{E(t)}</span>' for t in b["tags"])
    tests = E(", ".join(b["tests"])) if b["tests"] else \
        f'<span class="muted">{E(b["no_test_reason"] or "")}</span>'
    flags = "".join(f'<span class="flag">{E(f)}</span>' for f in b["flags"])
    st = b["status"]
    return (f'<tr class="{row_classes(b)}"><td class="id">{E(b["id"])}</td>'
            f'<td><div class="clamp" title="{E(b["assertion"])}">{tags}{E(b["assertion"])}'
            f'</div></td><td class="tests">{tests}</td><td>{cell(st["x86_64"])}</td>'
            f'<td>{cell(st["aarch64"])}</td><td>{cell(st["linux"])}</td><td>{flags}</td></tr>')


def html_matrix(r):
    titles = {a["area"]: a for a in r["areas"]}
    rows, area = [], None
    for b in r["behaviours"]:
        if b["retired"]:
            continue
        if b["area"] != area:
            area = b["area"]
            a = titles.get(area, {"title": "", "with_tests": 0, "ids": 0})
            rows.append(f'<tr class="area"><td colspan="7">{E(area)} — {E(a["title"])} '
                        f'<span class="mini">{a["with_tests"]} of {a["ids"]} with tests'
                        f'</span></td></tr>')
        rows.append(matrix_row(b))
    filters = ('<div class="filters"><input id="q" placeholder="filter: ID, text, test" '
               'oninput="filt()" size="32"><select id="m" onchange="filt()">'
               '<option value="all">all behaviours</option><option value="tested">with tests'
               '</option><option value="flagged">flagged</option><option value="failing">'
               'failing somewhere</option><option value="untested">no test yet</option>'
               '</select><span class="mini">hover a verdict for its detail</span></div>')
    return (f'<h2 id="matrix">Behaviour matrix</h2>{filters}<table id="matrix"><tr>'
            "<th>ID</th><th>assertion</th><th>tests</th><th>Janus x86_64</th>"
            "<th>Janus aarch64</th><th>Linux</th><th>flags</th></tr>" + "".join(rows)
            + "</table>")


def run_text(run):
    if run["outcome"] in ("not-run", "n/a"):
        return badge(ut.NOT_RUN if run["outcome"] == "not-run" else ut.NA, run["reason"])
    if run["outcome"] == "exited" and not run["signal"]:
        ok = run["exit_status"] == 0
        return (badge(ut.PASS if ok else ut.FAIL, f"exit status {run['exit_status']}")
                + f' <span class="mini">{run["duration_s"]}s</span>')
    what = run["signal"] or run["outcome"]
    return badge(ut.FAIL, f"{what} {run['reason']}") + f' <span class="mini">{E(str(what))}</span>'


def html_tests(r):
    keys = ["janus-x86_64", "janus-aarch64", "linux-x86_64", "linux-aarch64"]
    rows = "".join(
        f'<tr><td class="tests">{E(t["name"])}</td><td class="tests">{E(t["source"])}</td>'
        f'<td class="tests">{E(" ".join(t["ids"]))}</td><td>{E(", ".join(t["needs"]))}</td>'
        + "".join(f"<td>{run_text(t['runs'][k])}</td>" for k in keys) + "</tr>"
        for t in r["tests"])
    return ('<h2 id="tests">Tests</h2><table><tr><th>test</th><th>source</th><th>IDs</th>'
            "<th>needs</th>" + "".join(f"<th>{k}</th>" for k in keys) + f"</tr>{rows}</table>")


def html_no_test(r):
    by_reason = {}
    for item in r["no_test"]:
        by_reason.setdefault(item["reason"], []).append(item["id"])
    items = "".join(f"<li><b>{E(reason)}</b> ({len(ids)}): "
                    f'<span class="tests">{E(", ".join(ids))}</span></li>'
                    for reason, ids in by_reason.items())
    return (f'<h2 id="notest">Behaviours with no test yet ({len(r["no_test"])})</h2>'
            f"<details><summary>show the list</summary><ul>{items}</ul></details>")


def html_warnings(r):
    if not r["warnings"]:
        return ""
    return ('<h2 id="warnings">Warnings</h2><ul>' +
            "".join(f"<li>{E(w)}</li>" for w in r["warnings"]) + "</ul>")
