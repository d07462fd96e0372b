"""Clerical review: a self-contained HTML page of uncertain and sampled pairs, to label by hand.

The page shows names, so it is written under ``private_dir`` and never under
``results/``. It holds the most uncertain candidate pairs (match probability
nearest the threshold) and a stratified sample of the others (an equal number
from each band of :data:`undercount.linkage.labels.BANDS`, chosen by a hash of
the pair's ids, so the same pairs on every run). For every pair it shows the two
records side by side, field by field, with that field's match weight, and the
analyst marks it *match*, *not a match* or *unsure*. "Save labels" downloads a
CSV with ``source_a, record_id_a, source_b, record_id_b, label`` and no names;
name it under ``linkage.labels`` in the config and the workflow uses it.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .linkage.labels import BANDS, band_of

#: Fields shown side by side: (label, canonical columns tried in order, per-field weight column).
FIELDS = (
    ("name", ("full_name",), ("mw_surname", "mw_given", "mw_order")),
    ("patronymic / initials", (), ("mw_patronymic",)),
    ("sex", ("sex",), ("mw_sex",)),
    ("age", ("age",), ("mw_age",)),
    ("date", ("date_of_death", "date_detained"), ("mw_date",)),
    ("place", ("place", "place_detained"), ("mw_place",)),
    ("region / facility", ("region", "facility"), ()),
    ("list", ("source",), ("mw_list",)),
)


def _pair_hash(keys: list[str], i: int, j: int) -> str:
    return hashlib.sha256(f"{keys[i]}|{keys[j]}".encode()).hexdigest()


def select_pairs(linkage, *, threshold: float, uncertain: int = 40, per_band: int = 5) -> pd.DataFrame:
    """The pairs to review: the ``uncertain`` nearest the threshold, then ``per_band`` from each band."""
    pairs = linkage.pairs
    if pairs is None or pairs.empty:
        return pd.DataFrame(columns=["i", "j", "probability", "why"])
    keys = linkage.keys
    frame = pairs.copy()
    frame["distance"] = (frame["probability"] - threshold).abs()
    frame["hash"] = [_pair_hash(keys, int(i), int(j)) for i, j in zip(frame["i"], frame["j"])]
    near = (
        frame.sort_values(["distance", "hash"], kind="stable")
        .head(uncertain)
        .assign(why="near the threshold")
    )
    rest = frame.drop(index=near.index)
    rest = rest.assign(band=band_of(rest["probability"].to_numpy()))
    sampled = []
    for band, block in rest.groupby("band", sort=True):
        lo, hi = BANDS[int(band)], min(BANDS[int(band) + 1], 1.0)
        take = block.sort_values("hash", kind="stable").head(per_band)
        sampled.append(take.assign(why=f"sample of pairs with probability {lo:g} to {hi:g}"))
    out = pd.concat([near, *sampled], ignore_index=True)
    return out.drop(columns=["distance", "hash", "band"], errors="ignore")


def _value(records: pd.DataFrame, row: int, columns) -> str:
    for c in columns:
        if c in records:
            v = records.iloc[row][c]
            if v is not None and not (not isinstance(v, str) and pd.isna(v)):
                return str(v)
    return ""


def review_page(
    records: pd.DataFrame, linkage, *, threshold: float, title: str, uncertain: int = 40, per_band: int = 5
) -> str:
    """The HTML of the review page for one population (``records`` in the linkage's input order)."""
    chosen = select_pairs(linkage, threshold=threshold, uncertain=uncertain, per_band=per_band)
    order = linkage.order if linkage.order is not None else np.arange(linkage.n)
    at = np.empty(linkage.n, dtype=np.int64)
    at[order] = np.arange(linkage.n)  # linkage position -> input row
    table = getattr(linkage.features, "table", None)
    items = []
    for k, r in enumerate(chosen.itertuples(index=False)):
        i, j = int(r.i), int(r.j)
        fields = []
        for label, columns, weights in FIELDS:
            if label == "patronymic / initials" and table is not None:
                a = " ".join(
                    str(x) for x in table.loc[i, ["patronymic", "patronymic_initial"]] if isinstance(x, str)
                )
                b = " ".join(
                    str(x) for x in table.loc[j, ["patronymic", "patronymic_initial"]] if isinstance(x, str)
                )
            else:
                a, b = _value(records, at[i], columns), _value(records, at[j], columns)
            w = sum(float(getattr(r, c, 0.0) or 0.0) for c in weights) if weights else None
            fields.append({"field": label, "a": a, "b": b, "weight": None if w is None else round(w, 2)})
        items.append(
            {
                "n": k + 1,
                "source_a": linkage.sources[i],
                "record_id_a": linkage.record_ids[i],
                "source_b": linkage.sources[j],
                "record_id_b": linkage.record_ids[j],
                "probability": round(float(r.probability), 4),
                "why": r.why,
                "fields": fields,
            }
        )
    data = json.dumps(items, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return (
        _TEMPLATE.replace("@@TITLE@@", html.escape(title))
        .replace("@@DATA@@", data)
        .replace("@@THRESHOLD@@", f"{threshold:g}")
    )


def write_review(path: str | Path, page: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Clerical review: @@TITLE@@</title>
<style>
body{font-family:DejaVu Sans,Arial,sans-serif;margin:1.5em;max-width:70em}
.pair{border:1px solid #bbb;border-radius:4px;margin:1em 0;padding:.6em}
.pair h2{font-size:1em;margin:.2em 0}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.2em .5em;text-align:left}
td.w{text-align:right;font-variant-numeric:tabular-nums}.pos{color:#1a7f37}.neg{color:#b42318}
.why{color:#555;font-size:.9em}.warn{background:#fff4ce;padding:.5em;border:1px solid #e0c060}
</style></head><body>
<h1>Clerical review: @@TITLE@@</h1>
<p class="warn">This page shows names from the source lists: keep it as protected as the lists themselves.
The labels file it saves holds ids and labels only.</p>
<p>Match threshold @@THRESHOLD@@. For each pair, mark <b>match</b>, <b>not a match</b> or <b>unsure</b>;
then <b>Save labels</b> and name the file under <code>linkage.labels</code> in the config.
Weights are log2 Bayes factors of each field (positive: evidence for a match).</p>
<p><button id="save" type="button">Save labels</button> <span id="count"></span></p>
<div id="pairs"></div>
<script id="data" type="application/json">@@DATA@@</script>
<script>
"use strict";
const pairs = JSON.parse(document.getElementById("data").textContent);
const root = document.getElementById("pairs");
function el(tag, attrs, text){const e=document.createElement(tag);for(const k in attrs){e.setAttribute(k,attrs[k]);}
 if(text!==undefined){e.textContent=text;}return e;}
pairs.forEach(function(p){
  const box = el("div", {"class":"pair","id":"pair-"+p.n});
  box.appendChild(el("h2", {}, "Pair " + p.n + ": match probability " + p.probability));
  box.appendChild(el("div", {"class":"why"}, p.why + " \u00b7 " + p.source_a + " " + p.record_id_a + " / " + p.source_b + " " + p.record_id_b));
  const t = el("table"); const h = el("tr");
  ["field", p.source_a + " " + p.record_id_a, p.source_b + " " + p.record_id_b, "weight"].forEach(function(x){h.appendChild(el("th", {}, x));});
  t.appendChild(h);
  p.fields.forEach(function(f){
    const r = el("tr"); r.appendChild(el("td", {}, f.field)); r.appendChild(el("td", {}, f.a)); r.appendChild(el("td", {}, f.b));
    const w = f.weight === null ? "" : (f.weight > 0 ? "+" : "") + f.weight.toFixed(2);
    r.appendChild(el("td", {"class":"w " + (f.weight > 0 ? "pos" : (f.weight < 0 ? "neg" : ""))}, w));
    t.appendChild(r);
  });
  box.appendChild(t);
  [["match","match"],["non-match","not a match"],["unsure","unsure"]].forEach(function(v){
    const id = "p" + p.n + "-" + v[0];
    const input = el("input", {"type":"radio","name":"label-"+p.n,"value":v[0],"id":id});
    input.addEventListener("change", update);
    box.appendChild(input); box.appendChild(el("label", {"for":id}, " " + v[1] + " "));
  });
  root.appendChild(box);
});
function chosen(){
  return pairs.map(function(p){const c=document.querySelector('input[name="label-'+p.n+'"]:checked');return c?[p,c.value]:null;}).filter(Boolean);
}
function update(){document.getElementById("count").textContent = chosen().length + " of " + pairs.length + " labelled";}
function cell(x){x=String(x);return /[",\\n\\r]/.test(x)?'"'+x.replace(/"/g,'""')+'"':x;}
document.getElementById("save").addEventListener("click", function(){
  const lines = ["source_a,record_id_a,source_b,record_id_b,label"];
  chosen().forEach(function(c){const p=c[0];lines.push([p.source_a,p.record_id_a,p.source_b,p.record_id_b,c[1]].map(cell).join(","));});
  const blob = new Blob([lines.join("\\n") + "\\n"], {type:"text/csv"});
  const a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = "labels.csv";
  document.body.appendChild(a); a.click(); a.remove();
});
update();
</script></body></html>
"""
