// tcpcheck explore: shows what the server computes; no model logic lives here.
// The run and the language are in the URL's fragment: #run=0,0,1&lang=en.
"use strict";

const page = { texts: {}, lang: null, session: null, view: null, reachFor: null };

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

function t(key, facts) {
  let s = page.texts[key] || key;
  for (const [k, v] of Object.entries(facts || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

function fragment() {
  const h = new URLSearchParams(location.hash.slice(1));
  return { run: h.get("run") || "", lang: h.get("lang") };
}

function hashFor(run, lang) { return "#run=" + run + "&lang=" + lang; }

function go(run) { location.hash = hashFor(run, page.lang); }

async function api(path) {
  const r = await fetch(path);
  const doc = await r.json();
  if (!r.ok) throw new Error(doc.error || r.statusText);
  return doc;
}

async function setLanguage(lang) {
  if (page.lang === lang && Object.keys(page.texts).length) return;
  const doc = await api("/api/texts?lang=" + lang);
  // the configuration's note and description are said in the page's language too
  if (page.session && page.session.lang !== lang) showSession(await api("/api/session?lang=" + lang));
  page.texts = doc.texts;
  page.lang = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  for (const b of document.querySelectorAll("[data-lang]")) b.classList.toggle("on", b.dataset.lang === lang);
}

function segmentList(segs) {
  if (!segs.length) return el("span", { class: "none" }, t("nothing_in_flight"));
  return el("span", {}, ...segs.map(s => el("code", { class: "seg" }, s.text)));
}

function endpoint(who, tcb, app) {
  const rows = Object.entries(tcb).filter(([k]) => k !== "state")
    .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, String(v))));
  return [
    el("h3", {}, t("endpoint") + " " + who),
    el("div", { class: "state-name" }, tcb.state),
    el("table", { class: "tcb" }, el("caption", {}, t("tcb")), ...rows),
    el("div", { class: "app" }, el("b", {}, t("application") + ": "),
       el("span", { class: "intentions" }, app.text.join("; "))),
  ];
}

function renderState(v) {
  const s = v.state;
  $("state-A").replaceChildren(...endpoint("A", s.A, s.apps.A));
  $("state-B").replaceChildren(...endpoint("B", s.B, s.apps.B));
  $("flight-AB").replaceChildren(el("div", { class: "dir" }, t("in_flight") + " A \u2192 B"),
                                 segmentList(s.in_flight["A->B"]));
  $("flight-BA").replaceChildren(el("div", { class: "dir" }, t("in_flight") + " B \u2192 A"),
                                 segmentList(s.in_flight["B->A"]));
  $("lost").textContent = s.lost ? t("lost", { n: s.lost }) : "";
}

function renderEnabled(v, run) {
  const items = v.enabled.map(st => {
    const rules = st.rules.map(r => el("div", { class: "rule" }, el("code", {}, r.rule), " ",
                                       el("span", { class: "where" }, r.where)));
    const sent = st.sent.length
      ? el("div", { class: "sent" }, t("sends") + ": ", ...st.sent.map(q => {
          const dropped = st.dropped.some(d => d.text === q.text);
          return el("code", { class: "seg" + (dropped ? " dropped" : ""), title: dropped ? t("dropped") : "" },
                    q.text + (dropped ? " \u2717" : ""));
        }))
      : "";
    const next = el("div", { class: "next" }, "\u2192 A " + st.next.A + " | B " + st.next.B);
    const b = el("button", { class: "step actor-" + st.actor, "data-index": String(st.index),
                             "data-what": st.what }, el("div", { class: "what" }, st.text), next);
    b.addEventListener("click", () => go(run.concat([st.index]).join(",")));
    return el("li", {}, b, ...rules, sent);
  });
  $("enabled").replaceChildren(...items);
  let note = "";
  if (v.terminal) note = t("no_steps") + " " + (v.acceptable_end ? t("acceptable_end") : t("deadlock_end"));
  $("end-note").textContent = note;
  $("end-note").className = v.terminal && !v.acceptable_end ? "bad" : "";
}

function renderRun(v, run) {
  const bad = new Set(v.flagged.map(f => f.step));
  const items = v.trace.map((st, n) => {
    const text = n === 0 ? t("initial") : st.text;
    const a = el("a", { href: hashFor(run.slice(0, n).join(","), page.lang) }, text);
    const li = el("li", { class: bad.has(n) ? "flagged" : "" }, a,
                  el("span", { class: "states" }, "  A " + st.A.state + " | B " + st.B.state));
    return li;
  });
  $("run-list").replaceChildren(...items);
}

function renderFlagged(v) {
  if (!v.flagged.length) {
    $("flagged").replaceChildren(el("li", { class: "ok" }, t("none_flagged")));
    return;
  }
  $("flagged").replaceChildren(...v.flagged.map(f => el("li", { class: "bad", "data-id": f.id },
    el("b", {}, "[" + f.id + "] " + f.name_text), " \u2014 " + t("at_step", { n: f.step }) + ": " + f.detail_text)));
}

function renderChart(v) {
  const box = $("chart");
  if (!v.chart) { box.textContent = t("no_chart"); return; }
  box.innerHTML = v.chart.replace(/^[\s\S]*?(<svg)/, "$1");  // our own server's SVG, without its XML prolog
  box.scrollTop = box.scrollHeight;  // the latest step in view
}

function renderReach(doc) {
  const summary = el("p", {}, t("reach_summary", doc));
  const parts = [summary, el("p", {}, t("reach_steps"))];
  if (!doc.complete) parts.push(el("p", { class: "bad" }, t("reach_incomplete", { limit: doc.limit })));
  const head = el("tr", {}, el("th", {}, t("reach_state")), el("th", {}, "A"), el("th", {}, "B"));
  const rows = page.session.states.map((name, i) => el("tr", {}, el("th", {}, name),
    ...["A", "B"].map(w => {
      const r = doc.reach[w][i];
      if (!r.reachable) return el("td", { class: "no" }, t("reach_no"));
      const a = el("a", { href: hashFor(r.run.join(","), page.lang), title: t("reach_go") }, String(r.steps));
      return el("td", { class: "yes" }, a);
    })));
  parts.push(el("table", { id: "reach-table" }, head, ...rows));
  $("reach").replaceChildren(...parts);
}

async function showReach() {
  const run = fragment().run;
  const doc = await api("/api/reach?run=" + run);
  page.reachFor = run;
  renderReach(doc);
}

async function showCheck() {
  $("check-list").replaceChildren(el("li", {}, "\u2026"));
  const doc = await api("/api/check?lang=" + page.lang);
  $("check-list").replaceChildren(...doc.properties.map(p => {
    const li = el("li", { class: p.verdict, "data-id": p.id },
                  el("b", {}, "[" + p.id + "] "), p.name_text + ": ", el("span", { class: "verdict" }, t(p.verdict)));
    if (p.detail_text) li.append(" \u2014 " + p.detail_text);
    if (p.run) li.append(" ", el("a", { href: hashFor(p.run.join(","), page.lang), class: "open-run" }, t("open_run")));
    return li;
  }));
}

async function render() {
  const f = fragment();
  try {
    await setLanguage(f.lang || page.lang || page.session.lang);
    const run = f.run ? f.run.split(",").map(Number) : [];
    const v = await api("/api/run?chart=1&lang=" + page.lang + "&run=" + f.run);
    page.view = v;
    $("error").hidden = true;
    document.querySelector("main").hidden = false;
    renderState(v); renderEnabled(v, run); renderRun(v, run); renderFlagged(v); renderChart(v);
    if (page.reachFor !== f.run) $("reach").replaceChildren();
    if ($("check-list").children.length) await showCheck();
    $("btn-undo").disabled = run.length === 0;
    document.body.dataset.ready = hashFor(f.run, page.lang);
  } catch (e) {
    showError(e);
  }
}

function showError(e) {
  // what the page showed before belongs to another run: only the error and the way back stay
  document.querySelector("main").hidden = true;
  $("error").hidden = false;
  $("error").replaceChildren(el("b", {}, t("error") + ": "), e.message, " ",
                             el("a", { href: hashFor("", page.lang || "en") }, t("restart")));
  document.body.dataset.ready = "error";
}

function showSession(s) {
  page.session = s;
  $("config-name").textContent = s.config;
  $("config-note").textContent = s.note ? "(" + s.note + ")" : "";
  $("config-note").title = s.describe.join("\n");
  $("rules-name").textContent = s.rules;
  return s;
}

async function start() {
  const f = fragment();
  let s, bad = null;
  try {
    s = await api("/api/session" + (f.lang ? "?lang=" + f.lang : ""));
  } catch (e) {
    bad = e;  // a URL's unknown language: the page, in its own language, says so
    s = await api("/api/session");
  }
  showSession(s);
  if (bad) {
    await setLanguage(s.lang);
    return showError(bad);
  }
  if (!location.hash && s.start.length) {
    location.replace(hashFor(s.start.join(","), s.lang));
    return;  // the hashchange renders it
  }
  await render();
}

$("btn-back").addEventListener("click", () => history.back());
$("btn-forward").addEventListener("click", () => history.forward());
$("btn-restart").addEventListener("click", () => go(""));
$("btn-undo").addEventListener("click", () => {
  const run = fragment().run.split(",").filter(x => x !== "");
  run.pop();
  go(run.join(","));
});
for (const b of document.querySelectorAll("[data-lang]")) {
  b.addEventListener("click", () => { location.hash = hashFor(fragment().run, b.dataset.lang); });
}
$("reach-btn").addEventListener("click", showReach);
$("check-btn").addEventListener("click", showCheck);
window.addEventListener("hashchange", render);
start();
