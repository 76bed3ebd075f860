/// The page behaviours every area shares, in plain JavaScript with no library: live refresh of a fragment,
/// the column picker, client-side sorting of small tables, confirmation of destructive forms, and the run
/// selection that feeds the compare page. Every page works without it; the script only makes it quicker.
/// It never builds markup from strings: values go in with textContent, fragments come from the server
/// already escaped.
enum CoreScript {
    static let source = #"""
        "use strict";
        (function () {
          // Live refresh: <div data-refresh-url="…" data-refresh-seconds="5"> is replaced by the server's
          // fragment at that URL while the tab is visible.
          function startRefresh(el) {
            var url = el.getAttribute("data-refresh-url");
            var seconds = parseFloat(el.getAttribute("data-refresh-seconds") || "0");
            if (!url || !(seconds > 0)) return;
            setInterval(function () {
              if (document.hidden) return;
              fetch(url, { credentials: "same-origin", headers: { "X-Yard-Fragment": "1" } })
                .then(function (r) { return r.ok ? r.text() : null; })
                .then(function (html) {
                  if (html === null) return;
                  var doc = new DOMParser().parseFromString(html, "text/html");
                  var fresh = doc.body.firstElementChild;
                  if (!fresh) return;
                  // Runs ticked for compare stay ticked when the rows under them are replaced.
                  var ticked = Array.from(el.querySelectorAll("input[name=runs]:checked")).map(function (b) { return b.value; });
                  el.replaceChildren.apply(el, Array.from(fresh.childNodes));
                  el.querySelectorAll("input[name=runs]").forEach(function (b) { b.checked = ticked.indexOf(b.value) >= 0; });
                  var form = el.closest("form");
                  if (form) form.dispatchEvent(new Event("change"));
                })
                .catch(function () {});
            }, seconds * 1000);
          }

          // Column picker: <div class="column-picker" data-columns-url="…" data-param="cols"> holding an
          // <input type="search"> and a <ul>. Typing asks the server for matching keys (it never sends all
          // of 10,000); ticking one edits the comma-separated `cols` of the page's URL.
          function startPicker(picker) {
            var url = picker.getAttribute("data-columns-url");
            var param = picker.getAttribute("data-param") || "cols";
            var input = picker.querySelector("input[type=search]");
            var list = picker.querySelector("ul");
            if (!url || !input || !list) return;
            var here = new URL(window.location.href);
            var chosen = (here.searchParams.get(param) || picker.getAttribute("data-selected") || "")
              .split(",").filter(function (s) { return s.length > 0; });
            var timer = null;
            function render(columns) {
              list.replaceChildren();
              columns.forEach(function (name) {
                var li = document.createElement("li");
                var label = document.createElement("label");
                var box = document.createElement("input");
                box.type = "checkbox";
                box.value = name;
                box.checked = chosen.indexOf(name) >= 0;
                box.addEventListener("change", function () {
                  if (box.checked) { if (chosen.indexOf(name) < 0) chosen.push(name); }
                  else { chosen = chosen.filter(function (c) { return c !== name; }); }
                  var next = new URL(window.location.href);
                  next.searchParams.set(param, chosen.join(","));
                  next.searchParams.delete("page");
                  window.location.assign(next.toString());
                });
                label.appendChild(box);
                label.appendChild(document.createTextNode(" " + name));
                li.appendChild(label);
                list.appendChild(li);
              });
            }
            function search() {
              var target = new URL(url, window.location.href);
              target.searchParams.set("q", input.value);
              fetch(target.toString(), { credentials: "same-origin" })
                .then(function (r) { return r.ok ? r.json() : null; })
                .then(function (body) {
                  if (!body) return;
                  render(body.columns || []);
                  var note = picker.querySelector(".picker-note");
                  if (note) note.textContent = body.truncated ? ("showing " + body.columns.length + " of " + body.total + "; type to narrow") : (body.total + " columns");
                })
                .catch(function () {});
            }
            input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 150); });
            // The picker is a <details> or sits in one; the first opening lists the columns.
            var details = picker.closest("details");
            if (details) details.addEventListener("toggle", function () { if (details.open && !list.firstChild) search(); });
          }

          // Sorting a small table in place: click a header of <table class="sortable">. Cells may carry
          // data-sort (a number) to sort by instead of their text.
          function startSortable(table) {
            var heads = table.querySelectorAll("thead th");
            heads.forEach(function (th, index) {
              th.classList.add("sortable-head");
              th.setAttribute("tabindex", "0");
              function sort() {
                var body = table.tBodies[0];
                if (!body) return;
                var ascending = th.getAttribute("aria-sort") !== "ascending";
                heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
                th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
                var rows = Array.from(body.rows);
                rows.sort(function (a, b) {
                  var x = a.cells[index], y = b.cells[index];
                  if (!x || !y) return 0;
                  var xs = x.getAttribute("data-sort"), ys = y.getAttribute("data-sort");
                  var xv = xs !== null ? parseFloat(xs) : NaN, yv = ys !== null ? parseFloat(ys) : NaN;
                  var order;
                  if (!isNaN(xv) && !isNaN(yv)) order = xv - yv;
                  else order = x.textContent.localeCompare(y.textContent, undefined, { numeric: true });
                  return ascending ? order : -order;
                });
                rows.forEach(function (row) { body.appendChild(row); });
              }
              th.addEventListener("click", sort);
              th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
            });
          }

          // Forms that delete or change something ask first: <form data-confirm="Delete run X?">.
          function startConfirm(form) {
            form.addEventListener("submit", function (e) {
              if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
            });
          }

          // Run selection for compare: checkboxes named "runs" inside <form class="run-select">; the submit
          // button is enabled from two selected runs.
          function startRunSelect(form) {
            var button = form.querySelector("button[type=submit], input[type=submit]");
            var counter = form.querySelector(".selected-count");
            function update() {
              var n = form.querySelectorAll("input[name=runs]:checked").length;
              if (button) button.disabled = n < 2;
              if (counter) counter.textContent = n + " selected";
            }
            form.addEventListener("change", update);
            var all = form.querySelector("input.select-all");
            if (all) all.addEventListener("change", function () {
              form.querySelectorAll("input[name=runs]").forEach(function (box) { box.checked = all.checked; });
              update();
            });
            update();
          }

          function start(root) {
            root.querySelectorAll("[data-refresh-url]").forEach(startRefresh);
            root.querySelectorAll(".column-picker").forEach(startPicker);
            root.querySelectorAll("table.sortable").forEach(startSortable);
            root.querySelectorAll("form[data-confirm]").forEach(startConfirm);
            root.querySelectorAll("form.run-select").forEach(startRunSelect);
          }
          window.Yard = window.Yard || {};
          window.Yard.start = start;
          if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { start(document); });
          else start(document);
        })();
        """#
}
