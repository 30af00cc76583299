// ActorGrid grid console. Vanilla JS, no dependencies: it must work on an air-gapped factory
// network. One EventSource (/v1/dashboard/stream) carries everything after sign-in: a snapshot,
// then task, decision, node and member changes, and a summary each second.
"use strict";

(() => {
  const TOKEN_KEY = "actorgrid.operatorToken";
  const MAX_TASKS = 500;
  const MAX_DECISIONS = 200;
  const MAX_POINTS = 300;
  const SESSION_REFRESH_MS = 4 * 60 * 1000; // the stream cookie lives 10 minutes
  const TIERS = ["device", "edge", "regional", "hub"];
  const LANES = ["realtime", "interactive", "batch", "deferrable"];
  const STATES = ["submitted", "queued", "placed", "running", "succeeded", "failed", "cancelled"];
  const ACTIVE = new Set(["submitted", "queued", "placed", "running"]);

  const view = {
    nodes: new Map(),
    tasks: new Map(),
    decisions: [],
    chart: [],
    summary: null,
    fresh: new Set(),
    // Per running task: its loss series so far, read from /v1/operator/tasks/{id}/metrics.
    curves: new Map(),
  };
  let source = null;
  let refreshTimer = null;
  let reconnectTimer = null;
  let dirty = new Set();
  let frame = 0;

  const $ = (id) => document.getElementById(id);

  // h("td", {class: "num"}, "12") — text always goes in as text, never as HTML.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  const SVG = "http://www.w3.org/2000/svg";
  function s(tag, attrs, text) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // ---- formatting ----
  const two = (n) => String(n).padStart(2, "0");
  function clock(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  }
  function ago(iso) {
    if (!iso) return "";
    const sec = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (sec < 60) return `${Math.floor(sec)}s ago`;
    if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
    return clock(iso);
  }
  function ms(v) {
    if (v === null || v === undefined) return "–";
    if (v < 1) return `${v.toFixed(2)} ms`;
    if (v < 1000) return `${Math.round(v)} ms`;
    if (v < 60000) return `${(v / 1000).toFixed(v < 10000 ? 2 : 1)} s`;
    return `${(v / 60000).toFixed(1)} min`;
  }
  function axisMs(v) {
    if (v === 0) return "0";
    if (v < 1000) return `${+v.toFixed(v < 10 ? 1 : 0)} ms`;
    return `${+(v / 1000).toFixed(1)} s`;
  }
  function num(v, digits = 1) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  }
  function mib(v) { return v >= 1024 ? `${(v / 1024).toFixed(v >= 10240 ? 0 : 1)}G` : `${v}M`; }
  function shortMember(m) { return m ? m.replace(/^akka(\.tcp)?:\/\/[^@]+@/, "") : "–"; }
  const badge = (state) => h("span", { class: `badge s-${state}` }, state);

  // ---- session ----
  async function signIn(token, quiet) {
    const error = $("signin-error");
    error.textContent = "";
    let response;
    try {
      response = await fetch("/v1/dashboard/session", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        credentials: "same-origin",
      });
    } catch (e) {
      if (!quiet) error.textContent = "The gateway did not answer. Is it running?";
      setConn("offline", "gateway unreachable");
      return false;
    }
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn();
      error.textContent = "That token was not accepted. Use the operator token the grid printed at start (or ACTORGRID_ADMIN_TOKEN).";
      return false;
    }
    if (!response.ok) {
      if (!quiet) error.textContent = `Sign-in failed: HTTP ${response.status}.`;
      return false;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    return true;
  }

  async function start(token) {
    if (!(await signIn(token, false))) return;
    $("signin").hidden = true;
    $("app").hidden = false;
    $("signout").hidden = false;
    connect();
    clearInterval(refreshTimer);
    refreshTimer = setInterval(() => {
      const t = sessionStorage.getItem(TOKEN_KEY);
      if (t) signIn(t, true);
    }, SESSION_REFRESH_MS);
  }

  function showSignIn() {
    if (source) source.close();
    source = null;
    clearInterval(refreshTimer);
    clearTimeout(reconnectTimer);
    $("app").hidden = true;
    $("signout").hidden = true;
    $("signin").hidden = false;
    setConn("offline", "signed out");
    $("signin-token").focus();
  }

  async function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    try { await fetch("/v1/dashboard/session", { method: "DELETE", credentials: "same-origin" }); } catch (e) { /* offline is fine */ }
    showSignIn();
  }

  function setConn(kind, text) {
    const pill = $("conn");
    pill.className = `pill ${kind === "live" ? "pill-live" : kind === "wait" ? "pill-wait" : "pill-off"}`;
    pill.dataset.conn = kind;
    pill.textContent = text;
  }

  // ---- the stream ----
  function connect() {
    if (source) source.close();
    clearTimeout(reconnectTimer);
    setConn("wait", "connecting");
    source = new EventSource("/v1/dashboard/stream", { withCredentials: true });
    source.onopen = () => setConn("live", "live");
    source.onerror = () => {
      if (source && source.readyState === EventSource.CONNECTING) {
        setConn("wait", "reconnecting");
        return;
      }
      // Closed for good: the gateway refused the stream (most likely the cookie ran out).
      // Trade the token for a fresh cookie and try again, backing off a little.
      setConn("wait", "re-authenticating");
      reconnectTimer = setTimeout(async () => {
        const t = sessionStorage.getItem(TOKEN_KEY);
        if (t && (await signIn(t, true))) connect();
        else if (!t) showSignIn();
        else reconnectTimer = setTimeout(connect, 5000);
      }, 1500);
    };
    const on = (name, fn) => source.addEventListener(name, (e) => {
      try { fn(JSON.parse(e.data)); } catch (err) { console.error(`bad ${name} event`, err); }
    });
    on("snapshot", applySnapshot);
    on("summary", applySummary);
    on("task", applyTask);
    on("decision", applyDecision);
    on("node", applyNode);
    on("member", () => mark("members"));
  }

  function applySnapshot(snap) {
    view.nodes = new Map(snap.nodes.map((n) => [n.id, n]));
    view.tasks = new Map(snap.tasks.map((t) => [t.id, t]));
    view.decisions = snap.decisions.slice(0, MAX_DECISIONS);
    view.chart = snap.chart.slice(-MAX_POINTS);
    view.summary = snap.summary;
    view.fresh.clear();
    mark("grid", "tasks", "counts", "decisions", "charts", "summary", "members");
  }

  function applySummary(summary) {
    view.summary = summary;
    if (summary.latest) {
      const last = view.chart[view.chart.length - 1];
      if (!last || last.at !== summary.latest.at) view.chart.push(summary.latest);
      if (view.chart.length > MAX_POINTS) view.chart.splice(0, view.chart.length - MAX_POINTS);
    }
    mark("summary", "charts", "members", "counts");
  }

  function applyTask(row) {
    const known = view.tasks.get(row.id);
    if (known && known.seq >= row.seq) return;
    view.tasks.set(row.id, row);
    view.fresh.add(row.id);
    if (view.tasks.size > MAX_TASKS) {
      // Forget the oldest finished rows first; active ones stay visible.
      const finished = [...view.tasks.values()].filter((t) => !ACTIVE.has(t.state)).sort(byUpdated).reverse();
      for (const t of finished.slice(0, view.tasks.size - MAX_TASKS)) view.tasks.delete(t.id);
    }
    mark("tasks");
  }

  function applyDecision(row) {
    view.decisions.unshift(row);
    if (view.decisions.length > MAX_DECISIONS) view.decisions.length = MAX_DECISIONS;
    mark("decisions");
  }

  function applyNode(row) {
    view.nodes.set(row.id, row);
    mark("grid", "summary");
  }

  function byUpdated(a, b) {
    return (b.updatedAt || "").localeCompare(a.updatedAt || "") || b.seq - a.seq;
  }

  // Several events per frame are folded into one redraw of each part they touched.
  function mark(...parts) {
    for (const p of parts) dirty.add(p);
    if (!frame) frame = requestAnimationFrame(render);
  }

  function render() {
    frame = 0;
    const parts = dirty;
    dirty = new Set();
    if (parts.has("summary")) renderSummary();
    if (parts.has("grid")) renderGrid();
    if (parts.has("counts")) renderCounts();
    if (parts.has("tasks")) renderTasks();
    if (parts.has("decisions")) renderDecisions();
    if (parts.has("members")) renderMembers();
    if (parts.has("charts")) renderCharts();
  }

  // ---- key figures and the cluster line ----
  function countOf(state, lane) {
    const counts = view.summary ? view.summary.counts : [];
    return counts.filter((c) => c.state === state && (!lane || c.lane === lane)).reduce((a, c) => a + c.count, 0);
  }

  function renderSummary() {
    const nodes = [...view.nodes.values()];
    const ready = nodes.filter((n) => n.state === "ready").length;
    const members = view.summary ? view.summary.members : [];
    const up = members.filter((m) => m.status === "up").length;
    const latest = view.chart[view.chart.length - 1];
    const failed = countOf("failed");
    const kpi = (label, value, unit, cls, title) =>
      h("div", { class: `kpi ${cls || ""}`, title }, h("div", { class: "label" }, label), h("div", { class: "value" }, value, unit ? h("small", null, unit) : null));
    $("kpis").replaceChildren(
      kpi("Nodes ready", ready, `/ ${nodes.length}`, ready < nodes.length ? "warn" : "ok"),
      kpi("Members up", up, `/ ${members.length}`, up < members.length ? "warn" : ""),
      kpi("Running", countOf("running")),
      kpi("Queued", countOf("queued") + countOf("submitted"), null, countOf("queued") > 0 ? "warn" : ""),
      kpi("Succeeded", countOf("succeeded"), null, "", "since this gateway started"),
      kpi("Failed", failed, null, failed > 0 ? "bad" : "", "since this gateway started"),
      kpi("Submitted/s", latest ? num(latest.submittedPerSecond) : "–"),
      kpi("Wait p50", latest ? ms(latest.waitP50Ms) : "–", null, "", "submit → running, last 60 s"),
      kpi("Wait p99", latest ? ms(latest.waitP99Ms) : "–", null, "", "submit → running, last 60 s"),
      kpi("Offloads", view.summary ? view.summary.offloads : 0, null, "", "placements above the origin's tier"));

    const leader = members.find((m) => m.leader);
    const unreachable = members.filter((m) => !m.reachable).length;
    $("cluster-line").replaceChildren(
      h("b", null, `${members.length} member${members.length === 1 ? "" : "s"}`), " · leader ",
      h("span", { class: "mono" }, leader ? shortMember(leader.address) : "none"),
      unreachable ? h("span", { class: "badge s-unreachable" }, `${unreachable} unreachable`) : "",
      " · ", `${nodes.length} node${nodes.length === 1 ? "" : "s"}`);
    $("placement-hint").textContent = view.summary
      ? `${view.summary.decisions} decisions · ${view.summary.offloads} offloaded (edge → regional/hub)`
      : "";
  }

  // ---- the grid ----
  function bar(label, used, total, text) {
    const ratio = total > 0 ? Math.min(1, used / total) : 0;
    const fill = h("div", { class: `fill ${ratio >= 0.95 ? "full" : ratio >= 0.75 ? "high" : ""}` });
    fill.style.width = `${(ratio * 100).toFixed(1)}%`;
    return h("div", { class: "bar-row", title: `${label}: ${text} (${Math.round(ratio * 100)}%)` },
      h("span", null, label), h("div", { class: "bar" }, fill), h("span", { class: "amount" }, text));
  }

  function nodeCard(n) {
    return h("div", { class: "node", dataset: { nodeId: n.id, state: n.state } },
      h("div", { class: "node-head" }, h("span", { class: "node-name", title: n.id }, n.id), badge(n.state)),
      h("div", { class: "node-meta", title: n.member || "" },
        `zone ${n.zone} · ${shortMember(n.member)} · ${n.running} running`),
      bar("CPU", n.usedCpu, n.cpu, `${num(n.usedCpu)}/${num(n.cpu)}`),
      bar("MEM", n.usedMemoryMiB, n.memoryMiB, `${mib(n.usedMemoryMiB)}/${mib(n.memoryMiB)}`),
      n.chips > 0
        ? bar("CHIP", n.usedChips, n.chips, `${n.usedChips}/${n.chips}`)
        : h("div", { class: "bar-row" }, h("span", null, "CHIP"), h("span", { class: "hint" }, "none"), h("span")));
  }

  function renderGrid() {
    const nodes = [...view.nodes.values()];
    const tiers = [...TIERS, ...new Set(nodes.map((n) => n.tier).filter((t) => !TIERS.includes(t)))];
    const columns = [];
    for (const tier of tiers) {
      const inTier = nodes.filter((n) => n.tier === tier);
      if (!inTier.length) continue;
      const sites = [...new Set(inTier.map((n) => n.site))].sort();
      columns.push(h("div", { class: "tier", dataset: { tier } },
        h("h3", null, tier, h("span", { class: "hint" }, `${inTier.length} node${inTier.length === 1 ? "" : "s"}`)),
        sites.map((site) => h("div", { class: "site", dataset: { site } },
          h("h4", null, site),
          inTier.filter((n) => n.site === site).sort((a, b) => a.id.localeCompare(b.id)).map(nodeCard)))));
    }
    $("grid").replaceChildren(...(columns.length ? columns : [h("div", { class: "empty" }, "No nodes have reported yet. Workers announce themselves every few seconds.")]));
    const lost = nodes.filter((n) => n.state === "lost").length;
    $("grid-hint").textContent = `${nodes.length} node${nodes.length === 1 ? "" : "s"}${lost ? ` · ${lost} lost` : ""} · grouped by tier and site`;
  }

  // ---- tasks ----
  function renderCounts() {
    const head = h("tr", null, h("th", null, "lane"), STATES.map((st) => h("th", null, st)));
    const rows = LANES.map((lane) => h("tr", { dataset: { lane } },
      h("td", null, h("span", { class: `lane lane-${lane}` }, lane)),
      STATES.map((st) => { const c = countOf(st, lane); return h("td", { class: c ? "" : "zero", dataset: { state: st } }, c); })));
    const total = h("tr", { class: "total" }, h("td", null, "all"), STATES.map((st) => { const c = countOf(st); return h("td", { class: c ? "" : "zero" }, c); }));
    $("counts").replaceChildren(h("thead", null, head), h("tbody", null, rows, total));
  }

  function renderTasks() {
    const text = $("task-filter").value.trim().toLowerCase();
    const state = $("task-state").value;
    const lane = $("task-lane").value;
    const all = [...view.tasks.values()].sort(byUpdated);
    const shown = all.filter((t) =>
      (!state || t.state === state) && (!lane || t.lane === lane) &&
      (!text || t.id.includes(text) || t.tenant.includes(text) || (t.node || "").includes(text)));
    const body = shown.slice(0, 200).map((t) => {
      const tr = h("tr", { dataset: { taskId: t.id, state: t.state }, class: view.fresh.has(t.id) ? "fresh" : "" },
        h("td", { class: "mono", title: t.id }, t.id),
        h("td", null, t.tenant),
        h("td", null, h("span", { class: `lane lane-${t.lane}` }, t.lane)),
        h("td", { class: "state" }, badge(t.state)),
        h("td", { class: "mono" }, t.node || "–"),
        h("td", { class: "num", title: "submit → running" }, ms(t.waitMs)),
        h("td", { class: "num", title: "running → ended" }, ms(t.runMs)),
        h("td", { class: "num", title: t.updatedAt }, ago(t.updatedAt)));
      return tr;
    });
    view.fresh.clear();
    $("tasks").tBodies[0].replaceChildren(...(body.length ? body : [h("tr", null, h("td", { colspan: 8, class: "empty" },
      all.length ? "No task matches the filter." : "No tasks seen yet. Submitted tasks appear here live."))]));
    $("task-shown").textContent = `${Math.min(shown.length, 200)} of ${all.length}`;
  }

  // ---- placement ----
  function renderDecisions() {
    const rows = view.decisions.map((d) => h("tr", { dataset: { taskId: d.task, placed: d.node ? "yes" : "no" } },
      h("td", { class: "mono" }, clock(d.at)),
      h("td", { class: "mono", title: `${d.task}: attempt ${d.attempt}, tenant ${d.tenant}, lane ${d.lane}` }, d.task),
      h("td", { class: "mono" }, d.node
        ? [d.node, d.tier ? h("span", { class: "hint" }, ` ${d.tier}`) : "", d.offloaded ? h("span", { class: "offload", title: "offloaded above the origin's tier" }, " ↑") : ""]
        : badge("queued")),
      h("td", { class: "reason" }, d.reason),
      h("td", { class: "num" }, num(d.decisionMicros, 0))));
    $("decisions").tBodies[0].replaceChildren(...(rows.length ? rows : [h("tr", null, h("td", { colspan: 5, class: "empty" }, "No placement decisions yet."))]));
  }

  // ---- members ----
  function renderMembers() {
    const members = view.summary ? view.summary.members : [];
    $("members").tBodies[0].replaceChildren(...members.map((m) => h("tr", { dataset: { member: m.address } },
      h("td", { class: "mono" }, m.address),
      h("td", null, m.roles.join(", ")),
      h("td", null, badge(m.status)),
      h("td", null, m.reachable ? "yes" : badge("unreachable")),
      h("td", null, m.leader ? "★ leader" : ""))));
  }

  // ---- charts: inline SVG, drawn at the element's real size ----
  // The drawing area of a chart: the svg's size in pixels, its margins and the inner plot size.
  function chartFrame(svg) {
    const width = Math.max(120, svg.clientWidth || 300);
    const height = Math.max(80, svg.clientHeight || 130);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const pad = { l: 46, r: 6, t: 6, b: 16 };
    return { width, height, pad, iw: width - pad.l - pad.r, ih: height - pad.t - pad.b };
  }

  function lineChart(id, series, opts) {
    const fig = $(id);
    const svg = fig.querySelector("svg");
    const { width, height, pad, iw, ih } = chartFrame(svg);
    const children = [];
    const values = series.flatMap((sr) => sr.points.map((p) => p.v)).filter((v) => v !== null && v !== undefined);
    const times = view.chart.map((p) => new Date(p.at).getTime());
    const t1 = times.length ? times[times.length - 1] : Date.now();
    const t0 = t1 - 5 * 60 * 1000;
    let max = values.length ? Math.max(...values) : 0;
    max = opts.max || (max <= 0 ? 1 : niceCeil(max * 1.1));
    const x = (t) => pad.l + ((t - t0) / (t1 - t0)) * iw;
    const y = (v) => pad.t + ih - (v / max) * ih;
    for (const f of [0, 0.5, 1]) {
      const yy = y(max * f);
      children.push(s("line", { class: "grid", x1: pad.l, x2: width - pad.r, y1: yy, y2: yy }));
      children.push(s("text", { class: "axis", x: pad.l - 4, y: yy + 3, "text-anchor": "end" }, (opts.axis || opts.format)(max * f)));
    }
    children.push(s("text", { class: "axis", x: pad.l, y: height - 3 }, "−5 min"));
    children.push(s("text", { class: "axis", x: width - pad.r, y: height - 3, "text-anchor": "end" }, "now"));
    series.forEach((sr) => {
      let d = "";
      let pen = false;
      for (const p of sr.points) {
        if (p.t < t0 || p.v === null || p.v === undefined) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
        pen = true;
      }
      if (d) children.push(s("path", { class: `line ${sr.cls}`, d }));
      const last = [...sr.points].reverse().find((p) => p.t >= t0 && p.v !== null && p.v !== undefined);
      if (last) children.push(s("circle", { class: sr.cls, cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 2.5 }));
    });
    if (!values.length) children.push(s("text", { class: "note", x: pad.l + iw / 2, y: pad.t + ih / 2, "text-anchor": "middle" }, opts.empty));
    svg.replaceChildren(...children);
    fig.dataset.available = "true";
    fig.querySelector(".legend").replaceChildren(...series.map((sr) => {
      const last = [...sr.points].reverse().find((p) => p.v !== null && p.v !== undefined);
      return h("span", { class: `key ${sr.cls}` }, h("span", { class: "swatch" }), h("span", { class: "muted" }, sr.name), h("b", null, last ? opts.format(last.v) : "–"));
    }));
  }

  function notAvailable(id, title, detail, legend) {
    const fig = $(id);
    const svg = fig.querySelector("svg");
    const width = Math.max(120, svg.clientWidth || 300);
    const height = Math.max(80, svg.clientHeight || 130);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const lines = detail.split("\n");
    svg.replaceChildren(
      s("rect", { x: 0.5, y: 0.5, width: width - 1, height: height - 1, rx: 4, fill: "none", stroke: "#262e39", "stroke-dasharray": "4 4" }),
      s("text", { class: "note-strong", x: width / 2, y: height / 2 - 8 - (lines.length - 1) * 7, "text-anchor": "middle" }, title),
      ...lines.map((line, i) => s("text", { class: "note", x: width / 2, y: height / 2 + 10 + i * 14 - (lines.length - 1) * 7, "text-anchor": "middle" }, line)));
    fig.dataset.available = "false";
    fig.querySelector(".legend").replaceChildren(h("span", { class: "muted" }, legend || "no data yet"));
  }

  function niceCeil(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function renderCharts() {
    const pts = view.chart.map((p) => ({ t: new Date(p.at).getTime(), p }));
    lineChart("chart-rate", [
      { name: "submitted", cls: "c1", points: pts.map(({ t, p }) => ({ t, v: p.submittedPerSecond })) },
      { name: "finished", cls: "c2", points: pts.map(({ t, p }) => ({ t, v: p.finishedPerSecond })) },
    ], { format: (v) => (v >= 10 ? v.toFixed(0) : String(+v.toFixed(2))), empty: "waiting for data" });
    lineChart("chart-latency", [
      { name: "p50", cls: "c3", points: pts.map(({ t, p }) => ({ t, v: p.waitP50Ms })) },
      { name: "p99", cls: "c4", points: pts.map(({ t, p }) => ({ t, v: p.waitP99Ms })) },
    ], { format: ms, axis: axisMs, empty: "no task started in the last minute" });
    // Green share: CPU-weighted over the work placed in the last minute, on nodes that publish a profile.
    const greenStatus = view.summary ? view.summary.greenShareStatus : "no-placements";
    if (greenStatus === "no-profile")
      notAvailable("chart-green", "No green profile on these nodes", "work was placed, but no node\npublishes its renewable share", "no green profile");
    else if (greenStatus !== "reported")
      notAvailable("chart-green", "Nothing placed yet", "the share shows once work\nis placed on a node", "waiting for placements");
    else
      lineChart("chart-green", [
        { name: "green, last 60 s", cls: "c2", points: pts.map(({ t, p }) => ({ t, v: p.greenShare === null || p.greenShare === undefined ? null : p.greenShare * 100 })) },
      ], { format: (v) => `${v.toFixed(0)}%`, axis: (v) => `${v.toFixed(0)}%`, max: 100, empty: "nothing placed in the last minute" });
    // Inference: the worst recent p99 that a live worker reports for any of its models.
    if (!pts.some(({ p }) => p.inferenceP99Ms !== null && p.inferenceP99Ms !== undefined))
      notAvailable("chart-inference", "No inference yet", "no worker has served an\ninference request recently", "waiting for requests");
    else
      lineChart("chart-inference", [
        { name: "p99, worst model", cls: "c4", points: pts.map(({ t, p }) => ({ t, v: p.inferenceP99Ms })) },
      ], { format: ms, axis: axisMs, empty: "no inference in the last 5 minutes" });
  }

  // ---- training curves: the loss series of running jobs, polled (the store is the source) ----
  const CURVE_SERIES = [["loss", "c-loss"], ["val_loss", "c-val"]];
  const MAX_CURVES = 6;
  const CURVE_POINTS = 600; // drawn per series; a longer series is thinned evenly
  let curvesBusy = false;

  async function pollCurves() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (curvesBusy || !token || $("app").hidden) return;
    curvesBusy = true;
    try {
      const running = [...view.tasks.values()].filter((t) => t.state === "running").sort(byUpdated).slice(0, MAX_CURVES);
      const ids = new Set(running.map((t) => t.id));
      for (const id of [...view.curves.keys()]) if (!ids.has(id)) view.curves.delete(id);
      for (const t of running) {
        const curve = view.curves.get(t.id) || { series: new Map(), since: null, seen: new Set() };
        const names = CURVE_SERIES.map(([n]) => n).join(",");
        const since = curve.since ? `&since=${encodeURIComponent(curve.since)}` : "";
        let response;
        try {
          response = await fetch(`/v1/operator/tasks/${encodeURIComponent(t.id)}/metrics?names=${names}${since}`,
            { headers: { Authorization: `Bearer ${token}` }, credentials: "same-origin" });
        } catch (e) { continue; }
        if (!response.ok) continue;
        const body = await response.json();
        for (const [name, points] of Object.entries(body.series || {})) {
          const list = curve.series.get(name) || [];
          for (const p of points) {
            const key = `${name}/${p.attempt}/${p.seq}`; // "since" is inclusive: the last point comes again
            if (curve.seen.has(key)) continue;
            curve.seen.add(key);
            list.push(p);
            if (!curve.since || p.at > curve.since) curve.since = p.at;
          }
          curve.series.set(name, list);
        }
        view.curves.set(t.id, curve);
      }
      renderCurves(running);
    } finally {
      curvesBusy = false;
    }
  }

  function renderCurves(running) {
    const figs = running.filter((t) => view.curves.get(t.id)?.series.size).map((t) => {
      const curve = view.curves.get(t.id);
      const svg = s("svg", {});
      const fig = h("figure", { class: "chart", dataset: { taskId: t.id } },
        h("figcaption", { title: `${t.id} · tenant ${t.tenant}` }, `${t.id} · ${t.tenant}`), svg, h("div", { class: "legend" }));
      const all = CURVE_SERIES.map(([name, cls]) => ({ name, cls, points: curve.series.get(name) || [] })).filter((sr) => sr.points.length);
      fig.dataset.points = String(all.reduce((n, sr) => n + sr.points.length, 0));
      return { fig, all };
    });
    const box = $("loss-curves");
    if (!figs.length) {
      box.replaceChildren(h("p", { class: "empty" }, "No running job has printed a loss yet."));
      return;
    }
    box.replaceChildren(...figs.map((f) => f.fig));
    for (const { fig, all } of figs) drawCurve(fig, all);
  }

  // x: the line's place in the attempt (seq), y: the value; one path per series.
  function drawCurve(fig, series) {
    const svg = fig.querySelector("svg");
    const { width, height, pad, iw, ih } = chartFrame(svg);
    const thin = (pts) => pts.length <= CURVE_POINTS ? pts : pts.filter((_, i) => i % Math.ceil(pts.length / CURVE_POINTS) === 0 || i === pts.length - 1);
    const drawn = series.map((sr) => ({ ...sr, points: thin(sr.points) }));
    const values = drawn.flatMap((sr) => sr.points.map((p) => p.value));
    const xs = drawn.flatMap((sr) => sr.points.map((p, i) => i));
    let lo = Math.min(...values), hi = Math.max(...values);
    if (hi === lo) { hi += 1; lo -= 1; }
    const n = Math.max(1, Math.max(...xs));
    const x = (i) => pad.l + (i / n) * iw;
    const y = (v) => pad.t + ih - ((v - lo) / (hi - lo)) * ih;
    const children = [];
    for (const f of [0, 0.5, 1]) {
      const v = lo + (hi - lo) * f;
      children.push(s("line", { class: "grid", x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v) }));
      children.push(s("text", { class: "axis", x: pad.l - 4, y: y(v) + 3, "text-anchor": "end" }, num(v, 3)));
    }
    const last = drawn[0].points[drawn[0].points.length - 1];
    children.push(s("text", { class: "axis", x: pad.l, y: height - 3 }, "line 1"));
    children.push(s("text", { class: "axis", x: width - pad.r, y: height - 3, "text-anchor": "end" }, `line ${last.seq}`));
    for (const sr of drawn) {
      const d = sr.points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join("");
      children.push(s("path", { class: `line ${sr.cls}`, d }));
    }
    svg.replaceChildren(...children);
    fig.querySelector(".legend").replaceChildren(...series.map((sr) => h("span", { class: `key ${sr.cls}` },
      h("span", { class: "swatch" }), h("span", { class: "muted" }, sr.name), h("b", null, num(sr.points[sr.points.length - 1].value, 4)))));
  }

  // ---- wiring ----
  function init() {
    for (const st of STATES) $("task-state").append(h("option", { value: st }, st));
    for (const lane of LANES) $("task-lane").append(h("option", { value: lane }, lane));
    for (const id of ["task-filter", "task-state", "task-lane"]) $(id).addEventListener("input", () => mark("tasks"));
    $("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const token = $("signin-token").value.trim();
      if (token) start(token);
    });
    $("signout").addEventListener("click", signOut);
    window.addEventListener("resize", () => mark("charts"));
    // "Updated 3s ago" stays true between events.
    setInterval(() => { if (!$("app").hidden) mark("tasks"); }, 5000);
    setInterval(pollCurves, 2000);
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) start(saved);
    else showSignIn();
  }

  init();
})();
