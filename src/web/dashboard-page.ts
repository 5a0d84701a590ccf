// The dashboard: one self-contained page (HTML, CSS and script inline; nothing from
// another site, no build step) served at /dashboard. It reads the JSON routes the
// services add (/json/triad/…, BIND's /json/v1/zones) and posts actions to
// /action/… with the key the user enters, kept only in this browser tab
// (sessionStorage). Every value from the network is put in the page as text, never as
// markup: host names come from DHCP clients.

export const DASHBOARD_CONTENT_TYPE = 'text/html; charset=utf-8';

const STYLE = String.raw`
body{font:14px system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0 12px 0 0}
nav a{color:#cfd6e4;text-decoration:none;padding:6px 10px;border-radius:4px}
nav a.on{background:#3b4a6b;color:#fff}
#keybox{margin-left:auto;font-size:12px}
#keybox input{width:220px}
main{padding:16px}
section{display:none}section.on{display:block}
table{border-collapse:collapse;background:#fff;margin:8px 0 16px}
th,td{border:1px solid #d9dde5;padding:4px 8px;text-align:left}
th{background:#e9ecf2}
.bar{width:200px;height:12px;background:#e3e6ec;display:inline-block;vertical-align:middle}
.bar i{display:block;height:100%;background:#3c8d5a}
.up{color:#1d7a3a;font-weight:600}.down{color:#b3261e;font-weight:600}.drained{color:#9a6a00;font-weight:600}
#msg{padding:6px 16px;min-height:18px}#msg.err{color:#b3261e}
svg{background:#fff;border:1px solid #d9dde5}
button{cursor:pointer}
tr.link{cursor:pointer}tr.link:hover{background:#eef2fa}
`;

const SCRIPT = String.raw`
"use strict";
var tabs = ["dns", "zones", "dhcp", "lb", "ha", "device"];
function el(tag, attrs) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) { if (k === "text") e.textContent = attrs[k]; else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]); else e.setAttribute(k, attrs[k]); }
  for (var i = 2; i < arguments.length; i++) { var c = arguments[i]; if (c == null) continue; e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c); }
  return e;
}
function table(head, rows) {
  var t = el("table", {}, el("tr", {}));
  head.forEach(function (h) { t.firstChild.appendChild(el("th", { text: h })); });
  rows.forEach(function (r) { var tr = r.tr || el("tr", {}); (r.cells || r).forEach(function (c) { tr.appendChild(el("td", {}, c)); }); t.appendChild(tr); });
  return t;
}
function getJson(path) { return fetch(path, { cache: "no-store" }).then(function (r) { if (!r.ok) throw new Error(path + ": " + r.status); return r.json(); }); }
function say(text, err) { var m = document.getElementById("msg"); m.textContent = text; m.className = err ? "err" : ""; }
function fill(id, node) { var s = document.getElementById(id + "-body"); s.textContent = ""; s.appendChild(node); }
function unavailable(id, e) { fill(id, el("p", { text: "not available: " + e.message })); }
function key() { return sessionStorage.getItem("triad-key") || ""; }
function act(path, body) {
  var h = { "content-type": "application/json" };
  if (key()) h.authorization = "Bearer " + key();
  return fetch(path, { method: "POST", headers: h, body: JSON.stringify(body) }).then(function (r) {
    return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || String(r.status)); say(j.text.trim()); refresh(); return j; });
  }).catch(function (e) { say(e.message, true); });
}
function chart(points) {
  var W = 720, H = 160, svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("id", "qps-chart");
  var max = Math.max(1, Math.max.apply(null, points.map(function (p) { return p.qps; }).concat([0])));
  var t0 = Date.now() - 3600e3;
  var d = points.map(function (p, i) { return (i ? "L" : "M") + ((p.t - t0) / 3600e3 * W).toFixed(1) + " " + (H - 4 - p.qps / max * (H - 20)).toFixed(1); }).join(" ");
  var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", d || "M0 " + (H - 4)); path.setAttribute("fill", "none"); path.setAttribute("stroke", "#2f5fb3"); path.setAttribute("stroke-width", "2");
  var label = document.createElementNS("http://www.w3.org/2000/svg", "text");
  label.setAttribute("x", 6); label.setAttribute("y", 14); label.textContent = "max " + max.toFixed(1) + " queries/s (last hour)";
  svg.appendChild(path); svg.appendChild(label);
  return svg;
}
// Space-saving counts are upper bounds; "≥ N" is the part certainly this key's.
function topCount(c) { return c.error ? String(c.count) + " (≥ " + (c.count - c.error) + ")" : String(c.count); }
function openDevice(who) { sessionStorage.setItem("triad-device", who); if (location.hash === "#device") refresh(); else location.hash = "device"; }
function orNull(p) { return p.catch(function () { return null; }); }
var loaders = {
  dns: function () {
    return Promise.all([getJson("/json/triad/dns/history"), getJson("/json/triad/dns/top").catch(function () { return { clients: [], names: [] }; })]).then(function (r) {
      var h = r[0], top = r[1];
      var last = h.points[h.points.length - 1];
      var rc = (h.totals && h.totals.rcodes) || {}, lookups = h.totals ? h.totals.cacheHits + h.totals.cacheMisses : 0;
      var hitRate = lookups ? (h.totals.cacheHits / lookups * 100).toFixed(1) + "% of " + lookups + " lookups" : "no cache lookups";
      fill("dns", el("div", {},
        el("p", {}, "Queries/s now: ", el("b", { id: "qps-now", text: last ? last.qps.toFixed(2) : "–" }), "  · requests since start: ", el("b", { id: "requests-total", text: h.totals ? String(h.totals.requests) : "0" }), "  · cache hit rate: ", el("b", { id: "cache-hit-rate", text: hitRate })),
        chart(h.points),
        el("h3", { text: "Answers by rcode" }),
        table(["rcode", "total", "per second now"], Object.keys(rc).sort().map(function (k) { return [k, String(rc[k]), last && last.rcodes[k] != null ? last.rcodes[k].toFixed(2) : "0"]; })),
        el("h3", { text: "Top clients" }),
        table(["client", "queries"], top.clients.map(function (c) { return { tr: el("tr", { "data-top-client": c.key, class: "link", onclick: function () { openDevice(c.key); } }), cells: [c.key, topCount(c)] }; })),
        el("h3", { text: "Top names" }),
        table(["name", "queries"], top.names.map(function (c) { return { tr: el("tr", { "data-top-name": c.key }), cells: [c.key, topCount(c)] }; }))));
    });
  },
  zones: function () {
    return Promise.all([getJson("/json/v1/zones"), getJson("/json/triad/dns/transfers").catch(function () { return { secondaries: [], notify: null }; })]).then(function (r) {
      var z = r[0], t = r[1] || {}, rows = [];
      Object.keys(z.views || {}).forEach(function (v) { (z.views[v].zones || []).forEach(function (x) { rows.push([v, x.name, x.type, String(x.serial), x.loaded || ""]); }); });
      var xfr = (t.secondaries || []).map(function (x) { return [x.zone, x.serial == null ? "expired" : String(x.serial), String(x.done), String(x.failed)]; });
      var n = t.notify;
      fill("zones", el("div", {},
        table(["view", "zone", "type", "serial", "loaded"], rows),
        el("h3", { text: "Transfers in (secondary zones)" }),
        xfr.length ? table(["zone", "serial", "transfers done", "refreshes failed"], xfr) : el("p", { text: "no secondary zones" }),
        el("h3", { text: "NOTIFY to secondaries" }),
        el("p", { id: "notify-state", text: n ? "sent " + n.sent + ", answered " + n.answered + ", failed " + n.failed : "not available" })));
    });
  },
  dhcp: function () {
    return Promise.all([getJson("/json/triad/dhcp/leases"), getJson("/json/triad/dhcp/stats")]).then(function (r) {
      var leases = r[0] || [], st = r[1] || {}, q = (document.getElementById("lease-search") || {}).value || "";
      var pools = (st.subnets || []).map(function (s) {
        var total = st.kea["subnet[" + s.id + "].total-addresses"] || 0, used = st.kea["subnet[" + s.id + "].assigned-addresses"] || 0;
        var pct = total ? used / total * 100 : 0, bar = el("span", { class: "bar" }, el("i", { style: "width:" + pct.toFixed(1) + "%" }));
        return [s.prefix, el("span", {}, bar, " " + used + " / " + total + " (" + pct.toFixed(0) + "%)")];
      });
      var shown = leases.filter(function (l) { var s = q.toLowerCase(); return !s || [l.ip, l.mac || "", l.hostname || ""].some(function (f) { return f.toLowerCase().indexOf(s) >= 0; }); });
      var search = el("input", { id: "lease-search", placeholder: "search address, MAC or name", value: q, oninput: function () { loaders.dhcp(); } });
      var rows = shown.map(function (l) {
        return { tr: el("tr", { "data-lease": l.ip }), cells: [el("a", { href: "#device", "data-device": l.ip, onclick: function () { sessionStorage.setItem("triad-device", l.ip); } }, l.ip), l.mac || "–", l.hostname || "–", l.expires || "never", el("span", {}, el("button", { "data-release": l.ip, text: "release", onclick: function () { act("/action/dhcp/release", { address: l.ip }); } }), " ", l.fixedHost ? el("span", { "data-fixed": l.ip, text: "fixed (host " + l.fixedHost + ")" }) : el("button", { "data-fix": l.ip, text: "Make fixed", onclick: function () { act("/action/dhcp/fixed-host", { address: l.ip }); } }))] };
      });
      var focus = document.activeElement && document.activeElement.id === "lease-search";
      fill("dhcp", el("div", {}, el("h3", { text: "Pools" }), table(["subnet", "utilisation"], pools), el("h3", { text: "Leases (" + leases.length + ")" }), search, table(["address", "MAC", "name", "expires", ""], rows)));
      if (focus) { var s = document.getElementById("lease-search"); s.focus(); s.setSelectionRange(q.length, q.length); }
    });
  },
  lb: function () {
    return getJson("/json/triad/lb/status").then(function (vss) {
      var out = el("div", {});
      (vss || []).forEach(function (v) {
        var vs = v.vip + ":" + v.port + "/" + v.proto;
        out.appendChild(el("h3", { text: vs + " (" + v.kind + ", " + v.algo + ")" + (v.quorumUp ? "" : " — quorum lost") }));
        out.appendChild(table(["real server", "health", "weight", "connections", "active", "packets in", ""], v.servers.map(function (s) {
          var state = s.drained ? "drained" : s.alive ? "up" : "down", c = s.counters || {};
          var rs = s.ip + ":" + s.port;
          var btn = s.sorry ? "" : el("button", { "data-rs": rs, text: s.drained ? "undrain" : "drain", onclick: function () { act("/action/lb/" + (s.drained ? "undrain" : "drain"), { vs: vs, rs: rs }); } });
          return { tr: el("tr", { "data-rs-row": rs, "data-state": state }), cells: [rs + (s.sorry ? " (sorry server)" : ""), el("span", { class: state, text: state }), s.effectiveWeight + " / " + s.weight, String(c.conns || 0), String(c.active || 0), String(c.inPkts || 0), btn] };
        })));
      });
      fill("lb", out);
    });
  },
  // One device: each service's own read, joined here by address (a MAC is first turned
  // into the address DHCP leased to it).
  device: function () {
    var who = (sessionStorage.getItem("triad-device") || "").trim();
    return Promise.all([orNull(getJson("/json/triad/dhcp/leases")), orNull(getJson("/json/triad/dns/dhcp-names")), orNull(getJson("/json/triad/dns/top")), orNull(getJson("/json/triad/lb/status"))]).then(function (r) {
      var box = el("input", { id: "device-search", placeholder: "address or MAC", value: who, onchange: function (e) { openDevice(e.target.value.trim()); } });
      var out = el("div", {}, el("p", {}, "Device: ", box));
      if (!who) { fill("device", out); return; }
      var w = who.toLowerCase(), lease = (r[0] || []).filter(function (l) { return l.ip === who || (l.mac || "").toLowerCase() === w; })[0];
      var ip = lease ? lease.ip : who;
      out.appendChild(el("h3", { text: "DHCP lease" }));
      out.appendChild(r[0] == null ? el("p", { text: "DHCP is not running" }) : lease ? table(["address", "MAC", "name", "expires"], [{ tr: el("tr", { id: "device-lease" }), cells: [lease.ip, lease.mac || "–", lease.hostname || "–", lease.expires || "never"] }]) : el("p", { id: "device-lease", text: "no lease for " + who }));
      var names = (r[1] || []).filter(function (n) { return n.data === ip || (n.type === "PTR" && n.name.indexOf(ip.split(".").reverse().join(".") + ".") === 0); });
      out.appendChild(el("h3", { text: "DNS names" }));
      out.appendChild(names.length ? table(["name", "type", "data"], names.map(function (n) { return { tr: el("tr", { "data-device-name": n.name }), cells: [n.name, n.type, n.data] }; })) : el("p", { text: lease && lease.hostname ? "no name registered in a zone (the lease's host name is " + lease.hostname + ")" : "no name registered by DHCP" }));
      var recent = r[2] && r[2].recent ? r[2].recent[ip] || [] : [];
      out.appendChild(el("h3", { text: "Recent queries" }));
      out.appendChild(recent.length ? table(["name (oldest first)"], recent.map(function (q) { return { tr: el("tr", { "data-device-query": q }), cells: [q] }; })) : el("p", { text: "none remembered (kept for the top clients only)" }));
      var roles = [];
      (r[3] || []).forEach(function (v) { v.servers.forEach(function (s) { if (s.ip === ip) roles.push({ tr: el("tr", { "data-device-rs": s.ip + ":" + s.port }), cells: [v.vip + ":" + v.port + "/" + v.proto, s.ip + ":" + s.port, s.drained ? "drained" : s.alive ? "up" : "down", s.effectiveWeight + " / " + s.weight] }); }); });
      out.appendChild(el("h3", { text: "Load balancer" }));
      out.appendChild(roles.length ? table(["virtual server", "real server", "health", "weight"], roles) : el("p", { text: r[3] == null ? "the load balancer is not running" : "not a real server" }));
      fill("device", out);
    });
  },
  ha: function () {
    return Promise.all([getJson("/json/triad/vrrp/status").catch(function () { return null; }), getJson("/json/triad/dhcp/ha").catch(function () { return null; })]).then(function (r) {
      var out = el("div", {});
      out.appendChild(el("h3", { text: "VRRP" }));
      out.appendChild(r[0] ? table(["instance", "interface", "VRID", "state", "priority", "master", "addresses"], r[0].map(function (i) { return [i.name, i.interface, String(i.vrid), i.state, i.effectivePriority + " / " + i.priority, i.master || "–", (i.addresses || []).join(" ")]; })) : el("p", { text: "VRRP is not running" }));
      out.appendChild(el("h3", { text: "DHCP high availability" }));
      out.appendChild(r[1] && r[1].ha !== false ? table(["field", "value"], Object.keys(r[1]).map(function (k) { return [k, String(r[1][k])]; })) : el("p", { text: "not part of an HA pair" }));
      fill("ha", out);
    });
  },
};
function current() { var t = location.hash.slice(1); return tabs.indexOf(t) >= 0 ? t : "dns"; }
function refresh() {
  var t = current();
  tabs.forEach(function (x) { document.getElementById(x).className = x === t ? "on" : ""; document.getElementById("tab-" + x).className = x === t ? "on" : ""; });
  return loaders[t]().then(function () { document.body.setAttribute("data-loaded", t); }, function (e) { unavailable(t, e); document.body.setAttribute("data-loaded", t); });
}
document.getElementById("key").value = key();
document.getElementById("key").addEventListener("change", function (e) { sessionStorage.setItem("triad-key", e.target.value.trim()); say(e.target.value ? "key set for this tab" : "key cleared"); });
window.addEventListener("hashchange", refresh);
refresh();
setInterval(refresh, 5000);
`;

const TABS: [string, string][] = [['dns', 'DNS'], ['zones', 'Zones'], ['dhcp', 'DHCP leases'], ['lb', 'Load balancer'], ['ha', 'VRRP / HA'], ['device', 'Device']];

/** The page; the same bytes every time (all data comes from the JSON routes). */
export function dashboardPage(): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Triad</title>',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<style>${STYLE}</style></head><body>`,
    '<header><h1>Triad</h1><nav>',
    ...TABS.map(([id, label]) => `<a id="tab-${id}" href="#${id}">${label}</a>`),
    '</nav><label id="keybox">action key <input id="key" type="password" autocomplete="off" placeholder="secret from named.conf key"></label></header>',
    '<div id="msg"></div><main>',
    ...TABS.map(([id, label]) => `<section id="${id}"><h2>${label}</h2><div id="${id}-body">loading…</div></section>`),
    `</main><script>${SCRIPT}</script></body></html>`,
  ].join('\n');
}
