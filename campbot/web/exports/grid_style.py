"""The grid page's one inline stylesheet (campbot.web.exports.html puts it in a <style> element).

Its own module so the page's markup reads apart from its looks. The colour pairs are all at
least WCAG AA; below ~40em wide the table reflows into one section per slot (no sideways
scrolling at 320 px); `@media print` keeps a grid to A3/A4 landscape and hides what paper
cannot use (links).
"""

STYLE = """
:root { --ink: #111; --muted: #3d3d3d; --line: #6b6b6b; --head: #e6ecf5; --block: #cfd8e6;
  --free: #f4f4f4; --now: #ffe98a; --next: #d6e8ff; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; padding: 1rem 1.25rem 2rem; color: var(--ink); background: #fff;
  font: 16px/1.35 system-ui, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  overflow-wrap: break-word; }
header h1 { font-size: 1.75rem; margin: 0 0 .2rem; }
header p { margin: 0 0 .75rem; color: var(--muted); }
table.grid { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 0 0 1.5rem; }
caption { text-align: left; font-weight: 700; font-size: 1.1rem; padding: 0 0 .4rem; }
th, td { border: 1px solid var(--line); padding: .4rem .5rem; vertical-align: top; text-align: left; }
thead th { background: var(--head); }
thead th .room-name { display: block; font-weight: 700; }
thead th .cap { display: block; font-weight: 400; font-size: .85em; color: var(--muted); }
th.corner, th[scope=row] { width: 7.6em; }
th[scope=row] { background: var(--head); white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.block-row th { background: var(--block); text-transform: uppercase; letter-spacing: .06em;
  font-size: .85em; padding: .25rem .5rem; }
td.session .title { display: block; font-weight: 700; overflow-wrap: anywhere; }
td.session .hosts { display: block; color: var(--muted); overflow-wrap: anywhere; }
td.session .meta { display: block; font-size: .85em; color: var(--muted); }
td.double { border-left: 4px solid #1d4f91; }
td.free, td.closed { background: var(--free); color: #505050; font-style: italic; }
td.closed { background: repeating-linear-gradient(135deg, #ececec 0 6px, #e0e0e0 6px 12px); }
.needs, .features { display: block; margin-top: .2rem; }
.need { display: inline-block; min-width: 1.5em; margin-right: .25em; padding: 0 .2em; border: 1px solid #333;
  border-radius: .35em; text-align: center; font-size: .85em; font-weight: 700; font-style: normal;
  background: #fff; color: #111; }
.need-hearing_loop { border-radius: 50%; }
a.notes { display: inline-block; margin-top: .2rem; color: #0b3d91; font-size: .9em; }
.where, .phone-note { display: none; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.badge { display: table; margin: 0 0 .3em; padding: 0 .45em; border-radius: .3em;
  background: #111; color: #fff; font-weight: 800; text-transform: uppercase; font-size: .8em; }
tr.now > th, td.now { background: var(--now); }
tr.next > th, td.next { background: var(--next); }
tr.now > *, td.now { border-top: 3px solid #111; border-bottom: 3px solid #111; }
td.free.now, td.free.next { color: #3d3d3d; }
footer { border-top: 1px solid var(--line); padding-top: .75rem; color: var(--muted); }
footer h2 { font-size: 1rem; margin: .75rem 0 .25rem; color: var(--ink); }
footer ul { margin: 0; padding-left: 1.2rem; }
.elsewhere a { color: #0b3d91; }
.legend ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
body.mode-screen { font-size: clamp(18px, 1.35vw, 40px); padding: 1rem 1.5rem; }
body.mode-screen header h1 { font-size: 2.2em; }
body.mode-screen .clock { font-weight: 700; color: var(--ink); }
body.mode-screen td.free { color: #5a5a5a; }
body.mode-screen a.notes { display: none; }
body.mode-screen .badge { font-size: .9em; padding: .05em .5em; }
body.mode-screen caption { font-size: 1em; }

@media (max-width: 40em) {
  body { padding: .75rem; }
  body.mode-screen header h1 { font-size: 1.6em; }  /* the big screen's heading, opened on a phone */
  table.grid, table.grid caption, table.grid tbody, table.grid tr, table.grid th, table.grid td {
    display: block; width: auto; }
  table.grid thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.grid tr.slot { margin: 0 0 .9rem; border: 1px solid var(--line); border-radius: .4rem;
    overflow: hidden; }
  table.grid tr.block-row th { border: 0; margin: .5rem 0; }
  table.grid th[scope=row] { border: 0; font-size: 1.15em; }
  table.grid td { border: 0; border-top: 1px solid #b5b5b5; }
  table.grid td.free, table.grid td.closed { display: none; }
  tr.now > *, td.now { border-top: 0; }
  tr.now { outline: 3px solid #111; }
  .where { display: block; font-size: .85em; font-weight: 700; color: var(--muted); }
  .phone-note { display: block; margin-top: .2rem; font-size: .75em; font-weight: 400; white-space: normal;
    color: var(--muted); }
}

@page { size: A3 landscape; margin: 10mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { padding: 0; font-size: 11pt; }
  table.grid { page-break-inside: auto; }
  table.grid + table.grid { break-before: page; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  a.notes, .elsewhere { display: none; }  /* a link is no use on paper */
  th, td { padding: .3rem .45rem; }
}
"""
