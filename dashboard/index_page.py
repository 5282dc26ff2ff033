"""The page's HTML, the first thing a browser gets: what it fetches and runs before any figure.

Three changes to Dash's own index, all for the first page of a visit (measured side by side in
BENCHMARKS.md, checked in tests/browser/test_first_load.py):

- Dash's Babel polyfill is left out. It patches a browser back to ES5 (~100 KB, the longest
  script to run after plotly.js) for browsers Dash itself no longer supports; of what it
  brings, the components use only `regeneratorRuntime`, which assets/vendor ships alone.
- What the renderer asks for after its scripts have run is asked for with them: the layout,
  the callback graph, and the lazily loaded components every page draws (the filter bar's
  dropdowns and date picker, the charts). The browser fetches them while it runs the scripts,
  and the renderer finds them waiting.
- plotly.js (built with the dashboard's trace types only, assets/vendor) is not one of the
  page's scripts: the first chart runs it, as dcc.Graph does when no `Plotly` is defined. Its
  start-up then runs while the first callbacks are with the server, not before they are
  sent. It is preloaded with the rest, and a page without charts never runs it.
- The component libraries only some pages draw (DEFERRED: AG Grid, ~100 ms to run, and Dash's
  DataTable) are not among the scripts either. The first layout or callback answer holding
  one of their components loads the library, and the renderer gets that answer once it has
  run: the Overview no longer runs a 1.3 MB grid it never shows.
"""
from __future__ import annotations

import json
import re

import dash
from plotly.offline import get_plotlyjs_version

POLYFILL = re.compile(r'<script src="[^"]*/dash/deps/polyfill@[^"]*"></script>\s*')
# dcc's lazy chunks of the shell's filter bar and of dcc.Graph (webpack names them so).
SHELL_CHUNKS = ("async-dropdown.js", "async-datepicker.js", "async-graph.js")
PLOTLY_BUNDLE = f"vendor/plotly-dashboard-{get_plotlyjs_version()}.min.js"
# Component libraries loaded when an answer first holds one of their components: namespace ->
# the address of its script among Dash's.
DEFERRED = {"dash_ag_grid": "/dash_ag_grid/dash_ag_grid.", "dash_table": "/dash/dash_table/bundle."}
SCRIPT = re.compile(r'<script src="([^"]+)"></script>\s*')
# Wraps fetch: an answer from the server naming a deferred namespace is handed to the renderer
# once that library has run (a failed load hands it on all the same, for the renderer to report).
DEFERRED_LOADER = """(() => {
  const deferred = %s, loading = {};
  const load = (ns) => loading[ns] || (loading[ns] = new Promise((done) => {
    const script = document.createElement("script");
    script.src = deferred[ns];
    script.onload = script.onerror = done;
    document.head.appendChild(script);
  }));
  const fetch = window.fetch;
  window.fetch = function (input) {
    const answer = fetch.apply(this, arguments);
    const url = typeof input === "string" ? input : (input && input.url) || "";
    const waiting = Object.keys(deferred).filter((ns) => !window[ns]);
    if (!waiting.length || !/_dash-(layout|update-component)/.test(url)) return answer;
    return answer.then((response) => response.clone().text().then((text) => {
      const needed = waiting.filter((ns) => text.includes('"' + ns + '"'));
      return Promise.all(needed.map(load)).then(() => response);
    }, () => response));
  };
})();"""


class DashboardApp(dash.Dash):
    def interpolate_index(self, **kwargs):
        prefix = self.config.requests_pathname_prefix
        plotly = self.get_asset_url(PLOTLY_BUNDLE)
        preloads = [
            # crossorigin "anonymous" sends cookies to the same origin, as the renderer's fetch does: the two must match
            f'<link rel="preload" href="{prefix}_dash-layout" as="fetch" crossorigin="anonymous">',
            f'<link rel="preload" href="{prefix}_dash-dependencies" as="fetch" crossorigin="anonymous">',
            *(f'<link rel="preload" href="{prefix}_dash-component-suites/dash/dcc/{chunk}" as="script">' for chunk in SHELL_CHUNKS),
            f'<link rel="preload" href="{plotly}" as="script">',  # for the first chart
        ]
        kwargs["metas"] = kwargs.get("metas", "") + "\n" + "\n".join(preloads)
        # dcc.Graph loads plotly.js from window._dashPlotlyJSURL; the renderer sets that to the
        # full 4.7 MB bundle when it starts, so the address is fixed to the vendored one first.
        bundle = f'{{get: () => "{plotly}", set: () => {{}}}}'
        loader = f'<script>Object.defineProperty(window, "_dashPlotlyJSURL", {bundle});</script>'
        scripts, deferred = _defer_libraries(POLYFILL.sub("", kwargs.get("scripts", "")))
        kwargs["scripts"] = loader + f"<script>{DEFERRED_LOADER % json.dumps(deferred)}</script>" + scripts
        return super().interpolate_index(**kwargs)


def _defer_libraries(scripts: str) -> tuple[str, dict[str, str]]:
    """The page's script tags without those of DEFERRED libraries, and those libraries' addresses."""
    deferred = {}

    def keep_or_defer(tag: re.Match) -> str:
        for namespace, part in DEFERRED.items():
            if part in tag.group(1):
                deferred[namespace] = tag.group(1)
                return ""
        return tag.group(0)

    return SCRIPT.sub(keep_or_defer, scripts), deferred
