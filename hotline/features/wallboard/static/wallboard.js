// The wallboard: the board arrives whole over /api/v1/wallboard/live (see hotline/features/wallboard/),
// at once on a change and at least every second or so; this script only draws it. What every page
// shares (the API, the login, the live socket, the words) is the page client, /pages/client.js.
import { $, liveSocket, onSessionEnd, refusal, session, wireSignIn, words } from "/pages/client.js";
import { startSupervision, supervisionAgents, supervisionLanguage } from "/wallboard/supervise.js";

let live = null;
let lastBoard = null;
// when each board arrived (ms since the epoch) and its version: the e2e test and support read it
window.boardLog = [];

const TEXT = {
  zh: {
    title: "12345 热线实时大屏", login: "登录", user: "用户名", password: "密码", waiting: "排队等待",
    longest: "最长等待", talking: "通话中", in_ivr: "语音导航中", available: "空闲坐席", busy: "忙碌坐席",
    wrap_up: "话后整理", paused: "示忙", today: "今日", queues: "队列", agents: "坐席", queue: "队列",
    agent: "坐席", status: "状态", since: "持续", ext: "分机", offline: "话机离线", switch: "English",
    noRight: "当前角色无权查看大屏", surge: "舆情突增", via: "来源渠道", cases: "工单：",
    st: { available: "空闲", ringing: "振铃", on_call: "通话", wrap_up: "整理", paused: "示忙", offline: "话机离线" },
    kind: { category: "类别", township: "乡镇", place: "地点" },
    threshold: "服务水平阈值 T = {0} 秒",
  },
  en: {
    title: "12345 Hotline wallboard", login: "Log in", user: "User", password: "Password", waiting: "Waiting",
    longest: "Longest wait", talking: "Talking", in_ivr: "In the IVR", available: "Agents available",
    busy: "Agents busy", wrap_up: "Wrap-up", paused: "Paused", today: "Today", queues: "Queues", agents: "Agents",
    queue: "Queue", agent: "Agent", status: "Status", since: "For", ext: "Ext.", offline: "phone offline",
    switch: "中文", noRight: "Your role may not see the wallboard", surge: "Sudden rise", via: "channels", cases: "Cases: ",
    st: { available: "available", ringing: "ringing", on_call: "on a call", wrap_up: "wrap-up", paused: "paused",
      offline: "phone offline" },
    kind: { category: "category", township: "township", place: "place" },
    threshold: "service level threshold T = {0} s",
  },
};
const i18n = words(TEXT);
const t = i18n.t;

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

// --- links: a case number opens its page, a count of cases the list of them (the case workspace) --
// Plain links in a new tab (the wall stays); "opener" gives that tab this tab's session.
function link(text, href) {
  const a = document.createElement("a");
  a.textContent = text;
  a.href = href;
  a.target = "_blank";
  a.rel = "opener";
  return a;
}

// the case list with these filters (the names it reads from its address), every case the reader may see
function listHref(filters) {
  const params = new URLSearchParams({ inbox: "all" });
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  return "/cases?" + params.toString();
}

// the center's day of a moment (the board says which time zone), as YYYY-MM-DD
function centerDay(timeZone, moment = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(moment);
}

function banner(message) {
  $("banner").textContent = message || "";
  $("banner").hidden = !message;
}

// --- language ----------------------------------------------------------------------------------
function applyLanguage() {
  i18n.translate();
  supervisionLanguage(i18n.lang);
  $("lang").textContent = t("switch");
  if (lastBoard) draw(lastBoard);
}

$("lang").addEventListener("click", () => {
  i18n.setLang(i18n.lang === "zh" ? "en" : "zh");
  applyLanguage();
});

// --- logging in --------------------------------------------------------------------------------
function showLogin(message) {
  $("login").hidden = false;
  $("board").hidden = true;
  $("login-error").textContent = message || "";
}

onSessionEnd((reasonKey) => {
  live = null;
  showLogin(reasonKey ? t(reasonKey) : "");
});

wireSignIn(i18n, start);

// --- the live channel --------------------------------------------------------------------------
function start() {
  $("login").hidden = true;
  $("board").hidden = false;
  startSupervision((err) => i18n.reason(err));
  live = liveSocket("/api/v1/wallboard/live", {
    onLink: (state) => {
      $("link").dataset.state = state === "refused" ? "down" : state;
      if (state === "down") banner(t("link_down"));
    },
    onRefused: (message) => {
      if (message.code === 4403) {
        live.stop();
        session.forget();
        showLogin(t("noRight"));
      } else banner(i18n.reason(refusal(message)));
    },
    onMessage: (message) => {
      banner(message.figures_error || "");
      window.boardLog.push({ at: Date.now(), version: message.version, waiting: message.now.waiting });
      if (window.boardLog.length > 500) window.boardLog.shift();
      lastBoard = message;
      draw(message);
    },
  });
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
  $("formulas").textContent = [t("threshold", board.threshold_s)]
    .concat(["service_level", "asa", "occupancy"].map((k) => {
      const f = board.figures[k];
      return f ? `${f[i18n.lang]} = ${f["formula_" + i18n.lang]}` : "";
    })).join(" · ");
}

// A tile of today's figures; with `href`, a link (a count of cases opens the list of them). The
// tile drawn before is kept and updated: a link replaced every second would lose a click.
function tile(key, value, figures, href) {
  const f = figures[key] || { zh: key, en: key, unit: "" };
  let el = $("today-" + key);
  if (!el || el.tagName !== (href ? "A" : "DIV")) {
    el = href ? link("", href) : document.createElement("div");
    el.className = "tile";
    el.id = "today-" + key;
    el.replaceChildren(document.createElement("b"), document.createElement("span"));
  }
  if (href && el.getAttribute("href") !== href) el.href = href;
  el.title = f["formula_" + i18n.lang] || "";
  el.children[0].textContent = f[i18n.lang];
  el.children[1].textContent = shown(value, f.unit);
  return el;
}

function drawToday(board) {
  const box = $("today-tiles");
  const today = board.today || {};
  const cases = board.cases || {};
  const day = centerDay(board.timezone);
  const lists = { // today's appeals, those still open (backlog) and those overdue, as the figures count them
    appeals: listHref({ from: day, to: day, order: "received" }),
    backlog: listHref({ status: "open" }),
    overdue: listHref({ overdue: "1" }),
  };
  const tiles = [
    ...["calls", "no_agent", "offered", "answered", "abandoned", "service_level", "asa", "aht", "occupancy"]
      .map((k) => tile(k, today[k], board.figures)),
    ...["appeals", "backlog", "overdue"].map((k) => tile(k, cases[k], board.figures, lists[k])),
  ];
  if (tiles.some((el, i) => box.children[i] !== el) || box.children.length !== tiles.length) box.replaceChildren(...tiles);
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
  head(table, [t("queue"), t("waiting"), t("longest"), t("talking"), f.offered[i18n.lang], f.answered[i18n.lang],
    f.abandoned[i18n.lang], f.service_level[i18n.lang]]);
  table.tBodies[0].replaceChildren(...board.queues.map((q) => {
    const today = q.today || {};
    return row([[q.queue], [String(q.waiting)], [mmss(q.longest_wait_s)], [String(q.talking)],
      [shown(today.offered, "")], [shown(today.answered, "")], [shown(today.abandoned, "")],
      [shown(today.service_level, "%")]]);
  }));
}

function drawAgents(board) {
  supervisionAgents(board.agents);
  const table = $("agents");
  head(table, [t("agent"), t("ext"), t("status"), t("since")]);
  table.tBodies[0].replaceChildren(...board.agents.map((a) => {
    const status = t("st." + a.status);
    const note = a.phone_online || a.status === "offline" ? "" : ` (${t("offline")})`;
    const reason = (i18n.lang === "en" ? a.reason_en : a.reason_zh) || a.reason;  // in words, not its code
    return row([[a.username], [a.extension], [status + (reason ? ` · ${reason}` : "") + note, a.status],
      [mmss(a.since_s)]]);
  }));
}

// Each sudden rise: its category or township opens the list of its appeals of these days (a place
// is no filter of the list), each case number its page. Drawn again only when it changed (a link
// replaced every second would lose a click).
let surgesDrawn = "";

function drawSurges(board) {
  const box = $("surges");
  const surges = board.surges || [];
  const drawn = JSON.stringify([i18n.lang, board.timezone, surges]);
  if (drawn === surgesDrawn) return;
  surgesDrawn = drawn;
  box.hidden = surges.length === 0;
  const today = centerDay(board.timezone);
  box.replaceChildren(...surges.map((s) => {
    const p = document.createElement("p");
    p.className = "surge";
    p.dataset.kind = s.kind;
    p.dataset.key = s.key;
    const channels = Object.entries(s.channels).map(([c, n]) => `${c} ${n}`).join("、");
    const name = `${t("kind." + s.kind)} ${s.name}`;
    const days = { from: centerDay(board.timezone, new Date(s.first_at)), to: today, order: "received" };
    p.append(`⚠ ${t("surge")} · `, s.kind === "place" ? name : link(name, listHref({ [s.kind]: s.key, ...days })),
      ` — ${s.count} (${t("via")} ${s.channel_count}: ${channels})`);
    const cases = document.createElement("span");
    cases.className = "cases";
    cases.append(t("cases"));
    (s.cases || []).forEach((number, i) => cases.append(i ? ", " : "", link(number, "/cases/" + encodeURIComponent(number))));
    p.append(cases);
    return p;
  }));
}

// --- the clock on the wall ---------------------------------------------------------------------
// the center's clock (the board says which time zone), whatever the clock of the screen's computer
setInterval(() => {
  const timeZone = lastBoard ? lastBoard.timezone : undefined;
  $("clock").textContent = new Date().toLocaleTimeString(i18n.lang === "zh" ? "zh-CN" : "en-GB", { timeZone });
}, 1000);

applyLanguage();
if (session.token()) start(); else showLogin("");
