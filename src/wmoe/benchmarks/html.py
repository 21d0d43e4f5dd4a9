"""A self-contained static HTML page of a leaderboard: sortable tables, figures as base64.

Nothing is loaded from anywhere (a Content-Security-Policy forbids it); every string from the
suite or the store is HTML-escaped. Clicking a column heading sorts the table by that column
(numbers numerically, missing values last; again to reverse).
"""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path

from wmoe.benchmarks.leaderboard import Leaderboard, Table

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 90em; }
table { border-collapse: collapse; margin: 0.5em 0 0.3em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f0f0f0; cursor: pointer; user-select: none; }
th[data-order="asc"]::after { content: " \\25B2"; }
th[data-order="desc"]::after { content: " \\25BC"; }
p.note { font-size: 0.85em; color: #555; margin-top: 0; }
img { max-width: 100%; border: 1px solid #ddd; }
"""

_SCRIPT = """
function sortTable(table, index, th) {
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var ascending = th.getAttribute("data-order") !== "asc";
  rows.sort(function (a, b) {
    var x = a.cells[index].getAttribute("data-sort");
    var y = b.cells[index].getAttribute("data-sort");
    var nx = parseFloat(x), ny = parseFloat(y);
    if (isNaN(nx) !== isNaN(ny)) { return isNaN(nx) ? 1 : -1; }
    var order = isNaN(nx) ? (x < y ? -1 : (x > y ? 1 : 0)) : nx - ny;
    return ascending ? order : -order;
  });
  rows.forEach(function (row) { body.appendChild(row); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
    cell.removeAttribute("data-order");
  });
  th.setAttribute("data-order", ascending ? "asc" : "desc");
}
Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.addEventListener("click", function () { sortTable(table, index, th); });
  });
  table.setAttribute("data-ready", "yes");
});
"""

_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def _sort_value(value: float | str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def table_html(table: Table, index: int) -> str:
    """A table as a sortable HTML section."""
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td data-sort="{escape(_sort_value(entry.sort))}">{escape(entry.text)}</td>'
            for entry in row
        )
        + "</tr>\n"
        for row in table.rows
    )
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f"<h3>{escape(table.title)}</h3>\n"
        f'<table class="sortable" id="table-{index}"><thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{rows}</tbody></table>\n{note}\n"
    )


def page(board: Leaderboard, figures: dict[str, Path], preamble: list[str]) -> str:
    """The whole page: preamble paragraphs, notes, tables, verdicts, figures (title -> PNG)."""
    suite = board.suite
    parts = [f"<h1>wmoe benchmark: {escape(suite.name)}</h1>"]
    parts += [f"<p>{escape(text)}</p>" for text in preamble]
    parts += [f'<p class="note"><strong>{escape(note)}</strong></p>' for note in board.notes]
    parts += [table_html(table, index) for index, table in enumerate(board.tables)]
    if board.verdicts:
        items = "".join(f"<li>{escape(line)}</li>" for line in board.verdicts)
        parts.append(f'<h2>Verdicts</h2><ul id="verdicts">{items}</ul>')
    for title, path in figures.items():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(
            f"<h2>{escape(title)}</h2>"
            f'<img alt="{escape(title)}" src="data:image/png;base64,{data}">'
        )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n'
        f"<title>wmoe benchmark: {escape(suite.name)}</title>\n<style>{_STYLE}</style>\n"
        f"</head><body>\n{body}\n<script>{_SCRIPT}</script>\n</body></html>\n"
    )
