// The wallboard: the board arrives whole over /api/v1/wallboard/live (see hotline/wallboard/),
// at once on a change and at least every second or so; this script only draws it.
// Plain JavaScript on purpose (no build step): what runs on the center's screens can be read here.
"use strict";

const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;
let lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : (store.getItem("lang") || "zh");
let socket = null;
let retryMs = 500;
let lastBoard = null;
// when each board arrived (ms since the epoch) and its version: the e2e test and support read it
window.boardLog = [];

const TEXT = {
  zh: {
    title: "12345 热线实时大屏", login: "登录", user: "用户名", password: "密码", waiting: "排队等待",
    longest: "最长等待", talking: "通话中", in_ivr: "语音导航中", available: "空闲坐席", busy: "忙碌坐席",
    wrap_up: "话后整理", paused: "示忙", today: "今日", queues: "队列", agents: "坐席", queue: "队列",
    agent: "坐席", status: "状态", since: "持续", ext: "分机", offline: "话机离线", switch: "English",
    wrong: "用户名或密码错误", ended: "会话已过期，请重新登录", noRight: "当前角色无权查看大屏",
    down: "与平台的连接中断，正在重连…", surge: "舆情突增", via: "来源渠道",
    st: { available: "空闲", ringing: "振铃", on_call: "通话", wrap_up: "整理", paused: "示忙", offline: "话机离线" },
    kind: { category: "类别", township: "乡镇", place: "地点" },
    threshold: (t) => `服务水平阈值 T = ${t} 秒`,
  },
  en: {
    title: "12345 Hotline wallboard", login: "Log in", user: "User", password: "Password", waiting: "Waiting",
    longest: "Longest wait", talking: "Talking", in_ivr: "In the IVR", available: "Agents available",
    busy: "Agents busy", wrap_up: "Wrap-up", paused: "Paused", today: "Today", queues: "Queues", agents: "Agents",
    queue: "Queue", agent: "Agent", status: "Status", since: "For", ext: "Ext.", offline: "phone offline",
    switch: "中文", wrong: "Wrong user name or password", ended: "Your session has ended: log in again",
    noRight: "Your role may not see the wallboard", down: "Connection to the platform lost, reconnecting…",
    surge: "Sudden rise", via: "channels",
    st: { available: "available", ringing: "ringing", on_call: "on a call", wrap_up: "wrap-up", paused: "paused",
      offline: "phone offline" },
    kind: { category: "category", township: "township", place: "place" },
    threshold: (t) => `service level threshold T = ${t} s`,
  },
};
const t = (key) => TEXT[lang][key] || key;

function mmss(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function shown(value, unit) {
  if (value === null || value === undefined) return "—";
  if (unit === "%") return `${value}%`;
  if (unit === "s") return mmss(value);
  return String(value);
}

function banner(text) {
  $("banner").textContent = text || "";
  $("banner").hidden = !text;
}

// --- language ----------------------------------------------------------------------------------
function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang").textContent = t("switch");
  if (lastBoard) draw(lastBoard);
}

$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  store.setItem("lang", lang);
  applyLanguage();
});

// --- logging in --------------------------------------------------------------------------------
function showLogin(message) {
  $("login").hidden = false;
  $("board").hidden = true;
  $("login-error").textContent = message || "";
}

function sessionEnded(message) {
  store.removeItem("token");
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  showLogin(message);
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const answer = await fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(answer.status === 401 ? t("wrong") : (data.detail || answer.status));
    store.setItem("token", data.access_token);
    start();
  } catch (err) {
    $("login-error").textContent = err.message;
  }
});

// --- the live channel --------------------------------------------------------------------------
function start() {
  $("login").hidden = true;
  $("board").hidden = false;
  connect();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/api/v1/wallboard/live`);
  $("link").dataset.state = "connecting";
  socket.onopen = () => socket.send(JSON.stringify({ token: store.getItem("token") }));
  socket.onmessage = (ev) => {
    const message = JSON.parse(ev.data);
    if (message.type === "closed") {
      if (message.code === 4401) sessionEnded(t("ended"));
      else if (message.code === 4403) sessionEnded(t("noRight"));
      else banner(message.reason);
      return;
    }
    retryMs = 500;
    $("link").dataset.state = "live";
    banner(message.figures_error || "");
    window.boardLog.push({ at: Date.now(), version: message.version, waiting: message.now.waiting });
    if (window.boardLog.length > 500) window.boardLog.shift();
    lastBoard = message;
    draw(message);
  };
  socket.onclose = () => {
    $("link").dataset.state = "down";
    if (!store.getItem("token")) return;
    banner(t("down"));
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  };
}

// --- drawing -----------------------------------------------------------------------------------
function draw(board) {
  const now = board.now;
  const agents = now.agents || {};
  $("now-waiting").textContent = now.waiting;
  $("now-longest").textContent = mmss(now.longest_wait_s);
  $("tile-longest").dataset.alert = now.longest_wait_s > board.threshold_s && now.waiting > 0 ? "1" : "0";
  $("tile-waiting").dataset.alert = now.waiting > 0 && !(agents.available > 0) ? "1" : "0";
  $("now-talking").textContent = now.talking;
  $("now-ivr").textContent = now.in_ivr;
  $("agents-available").textContent = agents.available || 0;
  $("agents-busy").textContent = (agents.on_call || 0) + (agents.ringing || 0);
  $("agents-wrapup").textContent = agents.wrap_up || 0;
  $("agents-paused").textContent = agents.paused || 0;
  drawToday(board);
  drawQueues(board);
  drawAgents(board);
  drawSurges(board);
  $("formulas").textContent = [t("threshold")(board.threshold_s)]
    .concat(["service_level", "asa", "occupancy"].map((k) => {
      const f = board.figures[k];
      return f ? `${f[lang]} = ${f["formula_" + lang]}` : "";
    })).join(" · ");
}

function tile(key, value, figures) {
  const f = figures[key] || { zh: key, en: key, unit: "" };
  const el = document.createElement("div");
  el.className = "tile";
  el.id = "today-" + key;
  el.title = f["formula_" + lang] || "";
  const name = document.createElement("b");
  name.textContent = f[lang];
  const figure = document.createElement("span");
  figure.textContent = shown(value, f.unit);
  el.append(name, figure);
  return el;
}

function drawToday(board) {
  const box = $("today-tiles");
  const today = board.today || {};
  const cases = board.cases || {};
  box.replaceChildren(
    ...["calls", "no_agent", "offered", "answered", "abandoned", "service_level", "asa", "aht", "occupancy"]
      .map((k) => tile(k, today[k], board.figures)),
    ...["appeals", "backlog", "overdue"].map((k) => tile(k, cases[k], board.figures)),
  );
  $("today-overdue").dataset.alert = cases.overdue > 0 ? "1" : "0";
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const [text, status] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    if (status) td.dataset.status = status;
    tr.append(td);
  }
  return tr;
}

function head(table, names) {
  const tr = document.createElement("tr");
  for (const name of names) {
    const th = document.createElement("th");
    th.textContent = name;
    tr.append(th);
  }
  table.tHead.replaceChildren(tr);
}

function drawQueues(board) {
  const table = $("queues");
  const f = board.figures;
  head(table, [t("queue"), t("waiting"), t("longest"), t("talking"), f.offered[lang], f.answered[lang],
    f.abandoned[lang], f.service_level[lang]]);
  table.tBodies[0].replaceChildren(...board.queues.map((q) => {
    const today = q.today || {};
    return row([[q.queue], [String(q.waiting)], [mmss(q.longest_wait_s)], [String(q.talking)],
      [shown(today.offered, "")], [shown(today.answered, "")], [shown(today.abandoned, "")],
      [shown(today.service_level, "%")]]);
  }));
}

function drawAgents(board) {
  const table = $("agents");
  head(table, [t("agent"), t("ext"), t("status"), t("since")]);
  table.tBodies[0].replaceChildren(...board.agents.map((a) => {
    const status = TEXT[lang].st[a.status] || a.status;
    const note = a.phone_online || a.status === "offline" ? "" : ` (${t("offline")})`;
    return row([[a.username], [a.extension], [status + (a.reason ? ` · ${a.reason}` : "") + note, a.status],
      [mmss(a.since_s)]]);
  }));
}

function drawSurges(board) {
  const box = $("surges");
  const surges = board.surges || [];
  box.hidden = surges.length === 0;
  box.replaceChildren(...surges.map((s) => {
    const p = document.createElement("p");
    const channels = Object.entries(s.channels).map(([c, n]) => `${c} ${n}`).join("、");
    const kind = TEXT[lang].kind[s.kind] || s.kind;
    p.textContent = `⚠ ${t("surge")} · ${kind} ${s.name} — ${s.count} (${t("via")} ${s.channel_count}: ${channels})`;
    return p;
  }));
}

// --- the clock on the wall ---------------------------------------------------------------------
// the center's clock (the board says which time zone), whatever the clock of the screen's computer
setInterval(() => {
  const timeZone = lastBoard ? lastBoard.timezone : undefined;
  $("clock").textContent = new Date().toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone });
}, 1000);

applyLanguage();
if (store.getItem("token")) start(); else showLogin("");
