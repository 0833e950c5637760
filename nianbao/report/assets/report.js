"use strict";
// The harvest report's script: sortable, filterable, paged tables from the JSON in the page, and each report's
// three tables drawn on demand (#report-ID), so a page of thousands of reports opens quickly. No network.
(function () {
  // The data is gzip-compressed JSON in base64 (a sixth of the bytes to load); the browser inflates it itself.
  async function load() {
    const packed = atob(document.getElementById("nianbao-data").textContent.trim());
    const bytes = new Uint8Array(packed.length);
    for (let i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
    const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
    return JSON.parse(text);
  }

  load().then(start, (err) => {
    const note = document.createElement("p");
    note.className = "error";
    note.textContent = "This page's data could not be read: " + err;
    document.body.prepend(note);
    throw err;
  });

  function start(DATA) {
    performance.mark("nianbao-data");
    const PAGE = 50;
    const byId = new Map(DATA.reports.map((r) => [r.id, r]));
    const order = DATA.reports.map((r) => r.id);
    const RULES = new Map(DATA.rules.map((r) => [r.rule, r]));
    const grids = {};

    function el(tag, attrs, ...kids) {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") node.className = v;
        else if (k === "text") node.textContent = v;
        else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      }
      for (const kid of kids.flat(Infinity)) {
        if (kid === null || kid === undefined || kid === false) continue;
        node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
      }
      return node;
    }

    function show(v) {
      if (v === null || v === undefined || v === "") return "";
      return typeof v === "object" ? JSON.stringify(v) : String(v);
    }

    // Only web addresses become links: a stored URL can never run script.
    function link(url, text) {
      return /^https?:\/\//i.test(url)
        ? el("a", { href: url, class: "url", target: "_blank", rel: "noopener noreferrer" }, text || url)
        : el("span", { class: "url" }, text || url);
    }

    // "expected X, found Y" of a check, leaving out what it does not give.
    function verdict(expected, found) {
      const parts = [];
      if (expected !== null && expected !== undefined) parts.push("expected " + show(expected));
      if (found !== null && found !== undefined) parts.push("found " + show(found));
      return parts.join(", ");
    }

    function reportLink(id, text) {
      return byId.has(id) ? el("a", { href: "#report-" + id }, text) : document.createTextNode(text);
    }

    // -- the grid: sort by a header, filter by text and by column values, page through ---------------------------
    function grid(host, spec) {
      const state = { sort: spec.sort || null, desc: !!spec.desc, text: "", picks: {}, page: 0 };
      const rows = spec.rows;
      const search = el("input", { type: "search", placeholder: "filter…", "aria-label": "filter " + spec.name });
      const count = el("span", { class: "count" });
      const selects = {};
      const toolbar = el("div", { class: "toolbar" }, search);
      for (const f of spec.filters || []) {
        const col = spec.columns.find((c) => c.key === f);
        const values = new Set();
        for (const r of rows) for (const v of [].concat(value(col, r))) if (v !== null && v !== "") values.add(String(v));
        const sel = el("select", { "aria-label": col.label, "data-filter": f },
          el("option", { value: "", text: col.label + ": all" }),
          [...values].sort().map((v) => el("option", { value: v, text: v })));
        sel.addEventListener("change", () => { state.picks[f] = sel.value; state.page = 0; draw(); });
        selects[f] = sel;
        toolbar.append(sel);
      }
      toolbar.append(count);
      const head = el("tr");
      for (const c of spec.columns) {
        const th = el("th", { class: "sortable", scope: "col", "data-key": c.key, title: c.title || null }, c.label);
        th.addEventListener("click", () => {
          state.desc = state.sort === c.key ? !state.desc : false;
          state.sort = c.key;
          draw();
        });
        head.append(th);
      }
      const body = el("tbody");
      const pager = el("div", { class: "pager" });
      host.replaceChildren(toolbar, el("div", { class: "scroll" },
        el("table", { class: "data", "data-grid": spec.name }, el("thead", {}, head), body)), pager);
      search.addEventListener("input", () => { state.text = search.value.trim().toLowerCase(); state.page = 0; draw(); });

      function value(col, r) { return col.value ? col.value(r) : r[col.key]; }
      function text(r) {
        if (!r.__text) r.__text = spec.columns.map((c) => [].concat(value(c, r)).map(show).join(" ")).join(" ").toLowerCase();
        return r.__text;
      }
      function compare(a, b) {
        if (a === b) return 0;
        if (a === null || a === undefined || a === "") return 1;
        if (b === null || b === undefined || b === "") return -1;
        if (typeof a === "number" && typeof b === "number") return a - b;
        return String(a).localeCompare(String(b), "zh");
      }
      function draw() {
        let shown = rows.filter((r) => {
          for (const [k, v] of Object.entries(state.picks)) {
            if (!v) continue;
            const col = spec.columns.find((c) => c.key === k);
            if (![].concat(value(col, r)).map(String).includes(v)) return false;
          }
          return !state.text || text(r).includes(state.text);
        });
        if (state.sort) {
          const col = spec.columns.find((c) => c.key === state.sort);
          const sign = state.desc ? -1 : 1;
          shown = shown.slice().sort((a, b) => {
            const x = value(col, a), y = value(col, b);
            const blank = (v) => v === null || v === undefined || v === "";
            if (blank(x) || blank(y)) return compare(x, y);
            return sign * compare(x, y);
          });
        }
        for (const th of head.children) {
          th.setAttribute("aria-sort", th.dataset.key === state.sort ? (state.desc ? "descending" : "ascending") : "none");
        }
        const size = spec.pageSize || PAGE;
        const pages = Math.max(1, Math.ceil(shown.length / size));
        state.page = Math.min(state.page, pages - 1);
        const slice = shown.slice(state.page * size, (state.page + 1) * size);
        body.replaceChildren(...slice.map((r) => el("tr", spec.rowAttrs ? spec.rowAttrs(r) : {},
          spec.columns.map((c) => {
            const v = value(c, r);
            const td = el("td", { class: c.num ? "num" : (c.cls ? c.cls(r) : null), "data-key": c.key });
            td.append(c.render ? c.render(r) : show(v));
            return td;
          }))));
        count.textContent = shown.length === rows.length ? rows.length + " rows" : shown.length + " of " + rows.length + " rows";
        pager.replaceChildren();
        if (pages > 1) {
          const go = (p) => () => { state.page = p; draw(); };
          pager.append(
            el("button", { type: "button", disabled: state.page === 0, onclick: go(state.page - 1) }, "‹ previous"),
            el("span", { class: "page" }, "page " + (state.page + 1) + " of " + pages),
            el("button", { type: "button", disabled: state.page >= pages - 1, onclick: go(state.page + 1) }, "next ›"));
        }
      }
      draw();
      return {
        search(v) { search.value = v; state.text = v.toLowerCase(); state.page = 0; draw(); },
        pick(key, v) { if (selects[key]) { selects[key].value = v; state.picks[key] = v; state.page = 0; draw(); } },
      };
    }

    // -- the overview --------------------------------------------------------------------------------------------
    const statusCol = (key, label) => ({ key, label, cls: (r) => "status-" + r[key] });
    const counts = DATA.statuses.map((s) => ({ key: s, label: s, num: true }));
    const years = DATA.years.length > 1;

    grids.summary = grid(document.getElementById("coverage-summary"), {
      name: "coverage-summary", rows: DATA.summary, pageSize: 200, filters: years ? ["year", "level"] : ["level"],
      rowAttrs: (r) => ({ "data-year": r.year, "data-region": r.region, "data-level": r.level }),
      columns: [{ key: "year", label: "year", num: true }, { key: "region_name", label: "region" },
        { key: "level", label: "level" }, ...counts, { key: "total", label: "total", num: true }],
    });

    grids.coverage = grid(document.getElementById("coverage-rows"), {
      name: "coverage", rows: DATA.coverage, sort: "year", desc: true, filters: [...(years ? ["year"] : []), "level", "status", "region_name"],
      rowAttrs: (r) => ({ "data-body-key": r.body_key, "data-status": r.status }),
      columns: [
        { key: "year", label: "year", num: true },
        { key: "body", label: "body", render: (r) => r.report ? reportLink(r.report, r.body) : r.body },
        { key: "level", label: "level" }, { key: "region_name", label: "region" }, statusCol("status", "status"),
        { key: "published_at", label: "published" }, { key: "deadline", label: "deadline" },
        { key: "days_late", label: "days late", num: true },
        { key: "failed_checks", label: "E checks", value: (r) => r.failed_checks, render: (r) => r.failed_checks.join(" ") },
        { key: "ambiguous", label: "ambiguous", num: true, value: (r) => r.ambiguous_cells.length },
        { key: "urls", label: "source", value: (r) => r.urls[0] || "",
          render: (r) => r.urls.length ? el("span", {}, link(r.urls[0]), r.urls.length > 1 ? " (+" + (r.urls.length - 1) + ")" : "") : "" },
      ],
    });

    grids.rules = grid(document.getElementById("rule-table"), {
      name: "rules", rows: DATA.rules, pageSize: 200, rowAttrs: (r) => ({ "data-rule": r.rule }),
      columns: [
        { key: "rule", label: "rule", render: (r) => el("a", { href: "#reports", onclick: () => grids.reports.pick("rules", r.rule) }, r.rule) },
        { key: "E", label: "E", num: true, value: (r) => r.severity.E || 0 },
        { key: "W", label: "W", num: true, value: (r) => r.severity.W || 0 },
        { key: "I", label: "I", num: true, value: (r) => r.severity.I || 0 },
        { key: "reports", label: "reports", num: true }, { key: "bodies", label: "bodies", num: true },
        { key: "meaning", label: "meaning" },
      ],
    });

    grids.bodies = grid(document.getElementById("body-table"), {
      name: "bodies", rows: DATA.bodies, rowAttrs: (r) => ({ "data-body-key": r.body_key }),
      columns: [
        { key: "body", label: "body", render: (r) => el("a", { href: "#reports", onclick: () => grids.reports.search(r.body) }, r.body) },
        { key: "region_code", label: "region" }, { key: "reports", label: "reports", num: true },
        { key: "errors", label: "E", num: true }, { key: "warnings", label: "W", num: true },
        { key: "rules", label: "rules", value: (r) => r.rules, render: (r) => r.rules.join(" ") },
      ],
    });

    grids.reports = grid(document.getElementById("report-table"), {
      name: "reports", rows: DATA.reports, filters: ["year", "format", "status", "rules"],
      rowAttrs: (r) => ({ "data-report": r.id }),
      columns: [
        { key: "seq", label: "#", num: true },
        { key: "body", label: "body", render: (r) => reportLink(r.id, r.body || r.title || "report " + r.id) },
        { key: "year", label: "year", num: true }, { key: "format", label: "format" },
        { key: "region_code", label: "region" }, { key: "published", label: "published" },
        statusCol("status", "status"),
        { key: "E", label: "E", num: true, value: (r) => r.checks.filter((c) => c[1] === "E").length },
        { key: "W", label: "W", num: true, value: (r) => r.checks.filter((c) => c[1] === "W").length },
        { key: "rules", label: "rules", value: (r) => [...new Set(r.checks.map((c) => c[0]))],
          render: (r) => [...new Set(r.checks.map((c) => c[0]))].join(" ") },
      ],
    });

    // -- one report: its facts, its checks and its three tables in the official layout ----------------------------
    function drawTable(rep, table) {
      const fmt = rep.formats[table];
      const lay = DATA.layouts[table][fmt];
      const values = rep.values[table];
      const index = new Map();
      let i = 0;
      for (const b of lay.blocks) for (const r of b.rows) for (const c of r.cells) index.set(c, i++);
      const width = Math.max(...lay.blocks.map((b) => Math.max(...b.header.map((row) => row.reduce((n, h) => n + h[1], 0)))));
      const tbl = el("table", { class: "official", "data-table": table, "data-format": fmt },
        el("caption", {}, "表" + lay.numeral + " " + lay.title + " (" + fmt + " format)"));
      const notes = [];
      for (const block of lay.blocks) {
        const group = el("tbody", { "data-block": block.title || table });
        if (block.title) group.append(el("tr", {}, el("th", { class: "block", colspan: width, scope: "colgroup" }, block.title)));
        for (const row of block.header) {
          const used = row.reduce((n, h) => n + h[1], 0);
          group.append(el("tr", { class: "head" }, row.map((h, k) =>
            el("th", { colspan: h[1] + (k === row.length - 1 && block.header.length === 1 ? width - used : 0) || null,
              rowspan: h[2] > 1 ? h[2] : null, scope: "col" }, h[0]))));
        }
        const rows = block.rows.filter((r) => !r.derived || r.cells.some((c) => rep.marks[c]));  // a derived row is drawn only to show a check on it
        rows.forEach((row, n) => {
          const tr = el("tr", { "data-row": row.key });
          if (block.labels) {
            const depth = Math.min(row.groups.length, block.labels - 1);
            for (let d = 0; d < depth; d++) {
              const same = (other) => other && other.groups.slice(0, d + 1).join("|") === row.groups.slice(0, d + 1).join("|");
              if (same(rows[n - 1])) continue;
              let span = 1;
              while (same(rows[n + span])) span++;
              tr.append(el("th", { class: "rowlabel group", rowspan: span > 1 ? span : null, scope: "rowgroup" }, row.groups[d]));
            }
            tr.append(el("th", { class: "rowlabel", colspan: block.labels - depth > 1 ? block.labels - depth : null, scope: "row" }, row.label));
          }
          const spare = width - block.labels - row.cells.length;
          row.cells.forEach((name, k) => {
            const v = values[index.get(name)];
            const marks = (rep.marks[name] || []).map((i) => rep.checks[i]).map((c) => [c[0], c[1], c[3], c[4], c[5]]);
            const amb = rep.ambiguous[name];
            const worst = marks.some((m) => m[1] === "E") ? "fail" : (marks.some((m) => m[1] === "W") ? "warn" : (marks.length ? "info" : ""));
            const cls = [v === null || v === undefined ? "blank" : "", worst, amb ? "ambiguous" : ""].filter(Boolean).join(" ");
            const tips = [row.labels[k]].concat(marks.map((m) => m[0] + " (" + m[1] + ")" + (verdict(m[2], m[3]) ? ": " + verdict(m[2], m[3]) : "")));
            if (amb) tips.push("ambiguous: " + (amb[0] || "source text unknown"));
            const td = el("td", { "data-cell": name, class: cls || null, title: tips.join("\n"),
              colspan: k === row.cells.length - 1 && spare > 0 ? spare + 1 : null,
              "data-rules": marks.length ? [...new Set(marks.map((m) => m[0]))].join(" ") : null }, show(v));
            if (rep.raw[name]) td.append(el("span", { class: "raw" }, rep.raw[name]));
            for (const rule of new Set(marks.map((m) => m[0]))) {
              const sev = marks.find((m) => m[0] === rule)[1];
              td.append(el("span", { class: "badge " + sev }, rule));
            }
            if (amb) td.append(el("span", { class: "badge amb" }, "?"));
            tr.append(td);
            for (const m of marks) notes.push({ name, label: row.labels[k], mark: m });
            if (amb) notes.push({ name, label: row.labels[k], amb });
          });
          group.append(tr);
        });
        tbl.append(group);
      }
      const list = el("ul", { class: "cellnotes" }, notes.map((n) => n.mark
        ? el("li", { "data-cell": n.name, "data-rule": n.mark[0] }, el("span", { class: "sev-" + n.mark[1] }, n.mark[0] + " (" + n.mark[1] + ")"),
          " at " + n.label + (verdict(n.mark[2], n.mark[3]) ? ": " + verdict(n.mark[2], n.mark[3]) : "") +
          (n.mark[4] ? " — " + n.mark[4] : "") + (RULES.get(n.mark[0]) ? " — " + RULES.get(n.mark[0]).meaning : ""))
        : el("li", { "data-cell": n.name, class: "ambiguous-note" }, el("span", { class: "badge amb" }, "?"),
          " " + n.label + " is not settled by the document (" + n.amb[2] + "); source text: ",
          el("span", { class: "source" }, n.amb[0] || "unknown"),
          n.amb[1] && n.amb[1].length ? "; readings considered: " + n.amb[1].map(show).join(", ") : "")));
      return el("section", { class: "table-section" }, el("div", { class: "scroll" }, tbl), notes.length ? list : null);
    }

    function drawReport(id) {
      const rep = byId.get(id);
      const view = document.getElementById("report-view");
      if (!rep) {
        view.replaceChildren(el("a", { href: "#reports", class: "back" }, "‹ all reports"), el("p", { class: "empty" }, "No report " + id + " in this page."));
        return;
      }
      const at = order.indexOf(id);
      const nav = el("div", { class: "toolbar" }, el("a", { href: "#reports", class: "back" }, "‹ all reports"),
        at > 0 ? el("a", { href: "#report-" + order[at - 1] }, "‹ previous report") : null,
        at < order.length - 1 ? el("a", { href: "#report-" + order[at + 1] }, "next report ›") : null);
      const facts = [["body", rep.body], ["agency as printed", rep.agency], ["title", rep.title], ["year", rep.year],
        ["format", rep.format], ["region", [rep.region_code, rep.region_name].filter(Boolean).join(" ")],
        ["published", rep.published || "undated"], ["deadline", rep.deadline],
        ["status", rep.status + (rep.days_late ? " (" + rep.days_late + " days late)" : "")],
        ["read from", rep.carrier], ["version", rep.version], ["site", rep.site], ["report id", rep.id]];
      const meta = el("dl", { class: "meta" }, facts.filter((f) => f[1] !== null && f[1] !== undefined && f[1] !== "" && f[1] !== "null")
        .map((f) => [el("dt", {}, f[0]), el("dd", { "data-fact": f[0] }, show(f[1]))]));
      const urls = el("ul", { class: "urls" }, rep.urls.map((u) => el("li", {}, link(u))));
      const checks = rep.checks.length ? el("div", { class: "scroll" }, el("table", { class: "data checks" },
        el("thead", {}, el("tr", {}, ["rule", "severity", "where", "expected", "found", "message", "meaning"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rep.checks.map((c, k) => el("tr", { "data-rule": c[0], class: rep.placed.includes(k) ? "placed" : null },
          el("td", {}, c[0]), el("td", { class: "sev-" + c[1] }, c[1]), el("td", {}, show(c[2]) + (c[6] ? "." + c[6] : "")),
          el("td", {}, show(c[3])), el("td", {}, show(c[4])), el("td", {}, show(c[5])),
          el("td", {}, RULES.get(c[0]) ? RULES.get(c[0]).meaning : "")))))) : el("p", { class: "empty" }, "Every check passed.");
      const tables = ["proactive", "requests", "review_litigation"].map((t) => rep.formats[t] ? drawTable(rep, t)
        : el("p", { class: "empty", "data-table": t }, "表" + DATA.layouts[t]["2021"].numeral + " " + DATA.layouts[t]["2021"].title + ": not found in the document."));
      view.replaceChildren(nav, el("h2", { id: "report-title" }, rep.title || rep.body || "report " + rep.id), meta,
        el("h3", {}, "Published at"), urls, el("h3", {}, "Failed checks"), checks, el("h3", {}, "Tables"), ...tables);
    }

    function route() {
      const m = /^#report-(\d+)$/.exec(location.hash);
      const overview = document.getElementById("overview");
      const view = document.getElementById("report-view");
      if (m) {
        drawReport(Number(m[1]));
        overview.hidden = true;
        view.hidden = false;
        window.scrollTo(0, 0);
      } else {
        const was = !overview.hidden;
        view.hidden = true;
        overview.hidden = false;
        const target = location.hash && document.getElementById(location.hash.slice(1));
        if (target && !was) target.scrollIntoView();
      }
    }
    window.addEventListener("hashchange", route);
    route();
    performance.mark("nianbao-ready");
    document.body.dataset.ready = "1";
  }
})();
