/// The script behind the SVG charts (hover values, charts loaded on demand). Part of `StaticAssets.script`.
/// The server draws every chart; this only reads the values `LineChart` embedded on each line
/// (`data-x`, `data-y`, `data-ys`) and the scales on the `svg` (`data-plot`, `data-x-domain`,
/// `data-y-domain`, `data-y-log`, `data-x0`, `data-x-kind`). The tooltip is SVG inside the chart, placed
/// with a `transform` attribute and filled with text nodes: no inline style, no markup from strings.
enum ChartScript {
    static let source = #"""
        (function () {
          "use strict";
          var SVG_NS = "http://www.w3.org/2000/svg";
          var MAX_TIP_LINES = 8;

          function numbers(text) {
            if (!text) return [];
            var parts = text.split(","), out = new Array(parts.length);
            for (var i = 0; i < parts.length; i++) out[i] = parseFloat(parts[i]);
            return out;
          }
          function svgElement(name, attributes) {
            var node = document.createElementNS(SVG_NS, name);
            for (var key in attributes) node.setAttribute(key, attributes[key]);
            return node;
          }
          function pad(n) { return n < 10 ? "0" + n : String(n); }
          function formatValue(v) {
            if (v !== v) return "NaN";
            if (!isFinite(v)) return v > 0 ? "\u221e" : "\u2212\u221e";
            var a = Math.abs(v);
            if (v === Math.round(v) && a < 1e15) return String(v);
            if (a >= 1e6 || a < 1e-4) return v.toExponential(4);
            return String(Number(v.toPrecision(6)));
          }
          function formatDuration(ms) {
            if (Math.abs(ms) < 1000) return Math.round(ms) + " ms";
            var s = ms / 1000;
            if (s < 60) return s.toFixed(1) + " s";
            var whole = Math.round(s);
            if (whole < 3600) return Math.floor(whole / 60) + " min " + (whole % 60) + " s";
            return Math.floor(whole / 3600) + " h " + Math.floor((whole % 3600) / 60) + " min";
          }
          function formatX(kind, x) {
            if (kind === "wall") {
              var d = new Date(x);
              return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
                pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " UTC";
            }
            if (kind === "elapsed") return formatDuration(x) + " since start";
            return "step " + formatValue(x);
          }
          // Index of the value in sorted `xs` closest to `x`.
          function nearest(xs, x) {
            var lo = 0, hi = xs.length - 1;
            while (hi - lo > 1) {
              var mid = (lo + hi) >> 1;
              if (xs[mid] < x) lo = mid; else hi = mid;
            }
            return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
          }

          function setUpChart(svg) {
            if (svg.getAttribute("data-hover") === "on") return;
            var plot = numbers(svg.getAttribute("data-plot"));
            var xd = numbers(svg.getAttribute("data-x-domain"));
            var yd = numbers(svg.getAttribute("data-y-domain"));
            var x0 = parseFloat(svg.getAttribute("data-x0") || "0") || 0;
            var log = svg.getAttribute("data-y-log") === "1";
            var kind = svg.getAttribute("data-x-kind") || "number";
            if (plot.length !== 4 || xd.length !== 2 || yd.length !== 2) return;
            var series = [];
            svg.querySelectorAll("path.series[data-x]").forEach(function (path) {
              var xs = numbers(path.getAttribute("data-x"));
              for (var i = 0; i < xs.length; i++) xs[i] += x0;
              series.push({
                label: path.getAttribute("data-label") || "",
                color: path.getAttribute("stroke") || "#000",
                xs: xs,
                raw: numbers(path.getAttribute("data-y")),
                smooth: path.hasAttribute("data-ys") ? numbers(path.getAttribute("data-ys")) : null
              });
            });
            if (!series.length) return;
            svg.setAttribute("data-hover", "on");
            var width = (svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) || plot[2];
            function px(x) { return plot[0] + (x - xd[0]) / (xd[1] - xd[0]) * (plot[2] - plot[0]); }
            function py(y) {
              var t = log ? (Math.log10(y) - Math.log10(yd[0])) / (Math.log10(yd[1]) - Math.log10(yd[0]))
                          : (y - yd[0]) / (yd[1] - yd[0]);
              return plot[3] - t * (plot[3] - plot[1]);
            }
            function dataX(p) { return xd[0] + (p - plot[0]) / (plot[2] - plot[0]) * (xd[1] - xd[0]); }

            var layer = svgElement("g", { "class": "hover-layer", "visibility": "hidden" });
            var guide = svgElement("line", { "class": "hover-line", "y1": plot[1], "y2": plot[3] });
            var dots = svgElement("g", { "class": "hover-dots" });
            var tip = svgElement("g", { "class": "chart-tooltip" });
            var box = svgElement("rect", { "class": "tip-box", "rx": "4" });
            var text = svgElement("text", { "class": "tip-text" });
            tip.appendChild(box);
            tip.appendChild(text);
            layer.appendChild(guide);
            layer.appendChild(dots);
            layer.appendChild(tip);
            svg.appendChild(layer);

            function hide() { layer.setAttribute("visibility", "hidden"); }
            function line(content, color, first) {
              var span = svgElement("tspan", { "x": "0", "dy": first ? "1em" : "1.3em" });
              if (color) {
                var swatch = svgElement("tspan", { "fill": color });
                swatch.textContent = "\u25a0 ";
                span.appendChild(swatch);
              }
              span.appendChild(document.createTextNode(content));
              text.appendChild(span);
            }
            function show(event) {
              var ctm = svg.getScreenCTM();
              if (!ctm) return;
              var point = new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse());
              if (point.x < plot[0] - 4 || point.x > plot[2] + 4 || point.y < plot[1] - 4 || point.y > plot[3] + 4) { hide(); return; }
              var x = dataX(point.x);
              var hits = [];
              series.forEach(function (s) {
                if (!s.xs.length) return;
                var i = nearest(s.xs, x);
                var y = s.smooth ? s.smooth[i] : s.raw[i];
                hits.push({ s: s, i: i, x: s.xs[i], y: y, dx: Math.abs(px(s.xs[i]) - point.x), dy: Math.abs(py(y) - point.y) });
              });
              if (!hits.length) { hide(); return; }
              // The line nearest in x sets the x shown; others with a point about as near join, closest in y first.
              var best = hits.reduce(function (a, b) { return b.dx < a.dx ? b : a; });
              var tolerance = Math.max(best.dx + 2, (plot[2] - plot[0]) * 0.02);
              var shown = hits.filter(function (h) { return h.dx <= tolerance; })
                .sort(function (a, b) { return a.dy - b.dy; });
              var more = shown.length - MAX_TIP_LINES;
              shown = shown.slice(0, MAX_TIP_LINES);

              var gx = px(best.x);
              guide.setAttribute("x1", gx);
              guide.setAttribute("x2", gx);
              dots.replaceChildren();
              text.replaceChildren();
              line(formatX(kind, best.x), null, true);
              shown.forEach(function (h) {
                dots.appendChild(svgElement("circle", { "class": "hover-dot", "cx": px(h.x), "cy": py(h.y), "r": "3.5", "fill": h.s.color }));
                var value = formatValue(h.y);
                if (h.s.smooth) value += " (raw " + formatValue(h.s.raw[h.i]) + ")";
                line((series.length > 1 ? h.s.label + ": " : "") + value, h.s.color, false);
              });
              if (more > 0) line("and " + more + " more", null, false);
              layer.setAttribute("visibility", "visible");
              var bounds = text.getBBox();
              box.setAttribute("x", bounds.x - 6);
              box.setAttribute("y", bounds.y - 4);
              box.setAttribute("width", bounds.width + 12);
              box.setAttribute("height", bounds.height + 8);
              var left = gx + 14;
              if (left + bounds.width + 12 > width) left = gx - 14 - bounds.width - 6;
              tip.setAttribute("transform", "translate(" + left.toFixed(1) + "," + (plot[1] + 6).toFixed(1) + ")");
            }
            svg.addEventListener("mousemove", show);
            svg.addEventListener("mouseleave", hide);
          }

          // Charts drawn later: <figure data-chart-url="…"> is replaced by the server's figure for it when
          // it comes near the viewport.
          function loadChart(figure) {
            var url = figure.getAttribute("data-chart-url");
            if (!url || figure.getAttribute("data-loading")) return;
            figure.setAttribute("data-loading", "1");
            fetch(url, { credentials: "same-origin", headers: { "X-Yard-Fragment": "1" } })
              .then(function (r) { return r.ok ? r.text() : null; })
              .then(function (html) {
                if (html === null) { figure.classList.add("chart-failed"); return; }
                var doc = new DOMParser().parseFromString(html, "text/html");
                var fresh = doc.body.querySelector("figure.metric-chart");
                if (!fresh) return;
                fresh = document.importNode(fresh, true);
                if (figure.id) fresh.id = figure.id;
                figure.replaceWith(fresh);
                fresh.querySelectorAll("svg.chart").forEach(setUpChart);
              })
              .catch(function () { figure.removeAttribute("data-loading"); });
          }

          function start(root) {
            root.querySelectorAll("svg.chart").forEach(setUpChart);
            var pending = root.querySelectorAll("figure[data-chart-url]");
            if (!pending.length) return;
            if (!("IntersectionObserver" in window)) { pending.forEach(loadChart); return; }
            var observer = new IntersectionObserver(function (entries) {
              entries.forEach(function (entry) {
                if (!entry.isIntersecting) return;
                observer.unobserve(entry.target);
                loadChart(entry.target);
              });
            }, { rootMargin: "300px" });
            pending.forEach(function (figure) { observer.observe(figure); });
          }
          window.Yard = window.Yard || {};
          window.Yard.startCharts = start;
          if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { start(document); });
          else start(document);
        })();
        """#
}
