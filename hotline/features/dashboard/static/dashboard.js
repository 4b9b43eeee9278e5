// The managers' dashboard: calls, cases, public opinion and the reports, read from /api/v1.
// Plain JavaScript on purpose (no build step, no framework): the county's IT staff can read here
// everything the page does. Figures, their names and their formulas all come from the API
// (`lang=zh|en`); this file only holds the page's own words (TEXT below), the tables and charts.
// What every page shares (the API, the login, the words) is the page client, /pages/client.js.
import { $, api, getJson, onSessionEnd, query as qs, session, wireSignIn, words } from "/pages/client.js";
import { ringBell } from "/pages/bell.js";

const MANAGERS = ["supervisor", "leader", "admin"]; // who may read reports (casebook/auth/policy.py)
const TABS = ["calls", "cases", "opinion", "reports"];
const SURGE = { window_h: 24, min_count: 5, factor: 3 }; // the alert rule asked of /surges, quoted on the page

// --- the page's own words ------------------------------------------------------------------------
// "{0}", "{1}"... are filled in by t(key, ...values).
const TEXT = {
  zh: {
    title: "12345 管理看板", signout: "退出", login_title: "登录", user: "用户名", password: "密码", login: "登录",
    wrong_password: "用户名或密码错误", session_ended: "会话已过期，请重新登录",
    unreachable: "平台无法连接，请稍后再试", error_status: "错误 {0}", unexpected: "页面出错：{0}",
    denied: "无权查看管理看板：您的角色（{0}）不能查看报表。管理看板供督办人员、县领导和管理员使用。",
    forbidden: "无权查看",
    from: "从", to: "到", preset_today: "今天", preset_last7: "近7天", preset_month: "本月",
    preset_lastmonth: "上月", refresh: "查询",
    tab_calls: "话务", tab_cases: "工单", tab_opinion: "舆情", tab_reports: "报表",
    group_by: "分组", by_total: "合计", by_line: "热线号码", by_queue: "队列", by_agent: "坐席", by_hour: "时段",
    by_day: "日期", by_unit: "承办单位", by_category: "类别", by_channel: "渠道", by_township: "乡镇",
    threshold: "服务水平阈值 T（秒）", threshold_hint: "服务水平 = T秒内接通 ÷ 接通",
    export_csv: "导出 CSV", export_xlsx: "导出 Excel", downloaded: "已下载 {0}（{1} 字节）",
    total: "合计", no_rows: "所选期间没有数据", no_data: "无数据（除数为零）", formulas: "公式",
    unit_s: "秒", unit_count: "件/次",
    caption_calls: "{0} 至 {1} · T = {2} 秒", caption_cases: "{0} 至 {1}（在办积压与超期为当前数）",
    chart_calls: "各时段话务", chart_cases: "各承办单位按时率",
    charts_missing: "图表库未安装（make up 会安装 web/node_modules/echarts），表格不受影响。",
    surges_title: "突增预警（最近24小时）", topics_title: "本周热点", townships_title: "各乡镇诉求",
    no_surges: "目前没有突增。", surge_category: "类别", surge_township: "乡镇", surge_place: "地点", surge_name: "{0}：{1}",
    surge_count: "最近{0}小时 {1} 件，平时每{0}小时约 {2} 件", surge_channels: "来自 {0} 个渠道：",
    surge_when: "首件 {0}，最近一件 {1}", surge_cases: "工单：{0}",
    surge_rule: "预警规则：最近{0}小时内至少{1}件，且不少于此前7天同样时长平均件数加1后的{2}倍；渠道多的排在前面。重复件也计入（每件都是一位群众的声音）。",
    caption_opinion: "本周 {0} 至 {1}：{2} 件；上周 {3} 件",
    col_category: "类别", col_township: "乡镇", col_this_week: "本周", col_last_week: "上周", col_change: "变化",
    col_change_pct: "变化率", col_top_category: "本周最多类别",
    f_this_week: "截止日及之前共7天内受理的诉求数（含重复件）", f_last_week: "再往前7天受理的诉求数（含重复件）",
    f_change: "本周 − 上周", f_change_pct: "（本周 − 上周）÷ 上周 × 100%（上周为0时不计）",
    f_top_category: "本周该乡镇诉求最多的类别",
    monthly_title: "月度报告", monthly_hint: "受理、约谈、会商会办、满意率、各环节按时率，附公式。",
    duty_title: "县领导周一坐班报告", duty_hint: "上周仍不满意的诉求，按类别和单位分类，附领导决定。",
    month: "月份", monday: "周一", open_html: "打开", download_pdf: "下载 PDF", choose_month: "请选择月份",
    choose_monday: "请选择一个周一", opened: "已在新标签页打开 {0}",
    none_unit: "无牵头单位", none_category: "未分类", none_township: "无乡镇",
  },
  en: {
    title: "12345 Managers' dashboard", signout: "Sign out", login_title: "Log in", user: "User",
    password: "Password", login: "Log in", wrong_password: "Wrong user name or password",
    session_ended: "Your session has ended: log in again",
    unreachable: "The platform cannot be reached; try again later", error_status: "Error {0}",
    unexpected: "The page failed: {0}",
    denied: "Not allowed: your role ({0}) may not read the dashboard. It is for supervisors, leaders and administrators.",
    forbidden: "Not allowed",
    from: "From", to: "To", preset_today: "Today", preset_last7: "Last 7 days", preset_month: "This month",
    preset_lastmonth: "Last month", refresh: "Show",
    tab_calls: "Calls", tab_cases: "Cases", tab_opinion: "Public opinion", tab_reports: "Reports",
    group_by: "Group by", by_total: "Total", by_line: "Line", by_queue: "Queue", by_agent: "Agent", by_hour: "Hour",
    by_day: "Day", by_unit: "Unit", by_category: "Category", by_channel: "Channel", by_township: "Township",
    threshold: "Service level threshold T (s)", threshold_hint: "service level = answered within T s / answered",
    export_csv: "Export CSV", export_xlsx: "Export Excel", downloaded: "Downloaded {0} ({1} bytes)",
    total: "Total", no_rows: "No figures in this range", no_data: "no data (the divisor is zero)",
    formulas: "Formulas", unit_s: "s", unit_count: "count",
    caption_calls: "{0} to {1} · T = {2} s", caption_cases: "{0} to {1} (backlog and overdue are as of now)",
    chart_calls: "Calls by hour of day", chart_cases: "On-time rates by unit",
    charts_missing: "The chart library is not installed (make up installs web/node_modules/echarts); the tables work.",
    surges_title: "Sudden rises (last 24 hours)", topics_title: "Hot topics of the week",
    townships_title: "Appeals by township", no_surges: "No sudden rise now.", surge_category: "Category",
    surge_township: "Township", surge_place: "Place", surge_name: "{0}: {1}",
    surge_count: "{1} in the last {0} h; usually about {2} per {0} h", surge_channels: "Through {0} channels: ",
    surge_when: "first {0}, latest {1}", surge_cases: "Cases: {0}",
    surge_rule: "Alert rule: at least {1} appeals in the last {0} h, and at least {2} times (the average of the same length over the 7 days before, plus one); alerts through more channels first. Duplicates count (each is a citizen who spoke up).",
    caption_opinion: "This week {0} to {1}: {2} appeals; the week before: {3}",
    col_category: "Category", col_township: "Township", col_this_week: "This week", col_last_week: "Last week",
    col_change: "Change", col_change_pct: "Change %", col_top_category: "Top category this week",
    f_this_week: "appeals received in the 7 days ending on the chosen day (duplicates included)",
    f_last_week: "appeals received in the 7 days before those (duplicates included)",
    f_change: "this week - last week", f_change_pct: "(this week - last week) / last week x 100% (none when last week is 0)",
    f_top_category: "the category with the most appeals of the township this week",
    monthly_title: "Monthly report", monthly_hint: "Appeals, interviews, joint sessions, satisfaction, on-time rate of each window, with the formulas.",
    duty_title: "Monday leader-duty report", duty_hint: "Last week's appeals whose citizens are still unsatisfied, by category and unit, with the leader's decisions.",
    month: "Month", monday: "Monday", open_html: "Open", download_pdf: "Download PDF",
    choose_month: "Choose a month", choose_monday: "Choose a Monday", opened: "Opened {0} in a new tab",
    none_unit: "no lead unit", none_category: "not screened", none_township: "no township",
  },
};
const i18n = words(TEXT);
const t = i18n.t;
let currentTab = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "calls";
let myRole = ""; // who is logged in: their role names are words of the page too
let myName = "";

function translatePage() {
  i18n.translate();
  document.title = t("title");
  $("btn-lang").textContent = i18n.lang === "zh" ? "English" : "中文";
  $("surges-rule").textContent = t("surge_rule", SURGE.window_h, SURGE.min_count, SURGE.factor);
  if (myRole) $("who").textContent = myName + " (" + t("role_" + myRole) + ")";
  if (myRole && !$("denied").hidden) showDenied(myRole);
}

$("btn-lang").addEventListener("click", () => {
  i18n.setLang(i18n.lang === "zh" ? "en" : "zh"); // one choice for every page, kept after the tab closes
  translatePage();
  if (!$("board").hidden) showTab(currentTab); // names and formulas come from the API: ask again
});

// --- talking to the platform ------------------------------------------------------------------------
// The answer itself, for the files (exports, reports); refusals as the client makes them
const request = (path) => api("GET", path, undefined, { raw: true });

function banner(message) {
  $("banner").textContent = message || "";
  $("banner").hidden = !message;
}

// never a blank page: anything unexpected is said at the top
window.addEventListener("error", (ev) => banner(t("unexpected", ev.message)));
window.addEventListener("unhandledrejection", (ev) => banner(t("unexpected", (ev.reason && ev.reason.message) || ev.reason)));

// --- logging in and out -----------------------------------------------------------------------------
function showLogin(message) {
  for (const id of ["board", "denied"]) $(id).hidden = true;
  $("login").hidden = false;
  $("who").textContent = "";
  $("btn-signout").hidden = true;
  $("login-error").textContent = message || "";
}

onSessionEnd((reasonKey) => {
  myRole = "";
  showLogin(reasonKey ? t(reasonKey) : "");
});

function showDenied(role) {
  $("board").hidden = true;
  $("denied").hidden = false;
  $("denied-text").textContent = t("denied", t("role_" + role));
}

wireSignIn(i18n, start);

async function start() {
  let me;
  try {
    me = await getJson("/api/v1/me");
  } catch (err) {
    if (err.status !== 401) showLogin(i18n.reason(err));
    return;
  }
  myRole = me.role;
  myName = me.username;
  $("who").textContent = myName + " (" + t("role_" + myRole) + ")";
  ringBell(i18n.lang);
  $("btn-signout").hidden = false;
  $("login").hidden = true;
  banner("");
  if (!MANAGERS.includes(me.role)) {
    showDenied(me.role); // the API would refuse every figure (403): say so once, plainly
    return;
  }
  $("denied").hidden = true;
  await loadClock(); // before the board shows: the presets are the center's days
  setPreset("last7");
  reportDefaults();
  $("board").hidden = false;
  showTab(currentTab);
}

// --- dates: the range filter and its presets ------------------------------------------------------
// Days are the center's days (HOTLINE_TIMEZONE, from /api/v1/metrics/clock), whatever the clock of
// the browser: a manager's laptop set to UTC must still see "today" as the center's today.
let centerTz = "Asia/Shanghai";

// the center's day of a moment, as YYYY-MM-DD (en-CA writes dates so)
function centerDay(moment) {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: centerTz, year: "numeric", month: "2-digit", day: "2-digit",
  }).format(moment);
}

function centerToday() {
  // a plain calendar day for the arithmetic below
  const [y, m, d] = centerDay(new Date()).split("-").map(Number);
  return new Date(y, m - 1, d);
}

async function loadClock() {
  try {
    centerTz = (await getJson("/api/v1/metrics/clock")).timezone || centerTz;
  } catch (err) {
    // keep the default: the figures' own requests will say what is wrong
  }
}

function iso(day) {
  const pad = (n) => String(n).padStart(2, "0");
  return day.getFullYear() + "-" + pad(day.getMonth() + 1) + "-" + pad(day.getDate());
}

function setPreset(name) {
  const today = centerToday();
  const y = today.getFullYear();
  const m = today.getMonth();
  let first = today;
  let last = today;
  if (name === "last7") first = new Date(y, m, today.getDate() - 6);
  if (name === "month") first = new Date(y, m, 1);
  if (name === "lastmonth") {
    first = new Date(y, m - 1, 1);
    last = new Date(y, m, 0); // day 0 of this month is the last day of the previous one
  }
  $("from").value = iso(first);
  $("to").value = iso(last);
}

function range() {
  return { from: $("from").value, to: $("to").value };
}

for (const button of document.querySelectorAll("[data-preset]")) {
  button.addEventListener("click", () => {
    setPreset(button.dataset.preset);
    showTab(currentTab);
  });
}
$("filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  showTab(currentTab);
});

// --- tabs -------------------------------------------------------------------------------------------
const loaders = { calls: loadCalls, cases: loadCases, opinion: loadOpinion, reports: async () => {} };
const latest = {}; // the newest request of each tab: an older answer arriving late is dropped

function showTab(name) {
  currentTab = name;
  history.replaceState(null, "", "#" + name); // a reload (or a bookmark) comes back to the same tab
  for (const tab of TABS) {
    $("tab-" + tab).hidden = tab !== name;
    document.querySelector(`[data-tab="${tab}"]`).setAttribute("aria-selected", String(tab === name));
  }
  $("filters").hidden = name === "reports";
  run(name);
}

async function run(name) {
  const mine = (latest[name] = (latest[name] || 0) + 1);
  $(name + "-error").textContent = "";
  try {
    await loaders[name](() => mine === latest[name]);
  } catch (err) {
    if (err.status !== 401 && mine === latest[name]) $(name + "-error").textContent = i18n.reason(err);
  }
}

for (const button of document.querySelectorAll("[data-tab]")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}
for (const id of ["calls-by", "calls-threshold", "cases-by"]) {
  $(id).addEventListener("change", () => showTab(currentTab));
}

// --- tables: every figure with its unit and formula ----------------------------------------------------
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- links: a case opens its page, a count of cases the list of those cases (the case workspace) ------
// Plain links (a middle click opens them in a tab of their own) in a new tab, so the board stays;
// "opener" gives the new tab this tab's session (sessionStorage), so a click asks no second sign-in.
function link(text, href) {
  const a = el("a", "", text);
  a.href = href;
  a.target = "_blank";
  a.rel = "opener";
  return a;
}

function caseHref(number) {
  return "/cases/" + encodeURIComponent(number);
}

// the case list with these filters (the names the list reads from its address: cases.js), every
// case the reader may see; "none" lists the cases with no unit, category or township
function listHref(filters) {
  const params = new URLSearchParams({ inbox: "all" });
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  return "/cases?" + params.toString();
}

// the list filter of a row of the cases table (its group's key; "" is the "—" row)
function groupFilter(by, key) {
  if (by === "total") return {};
  if (by === "channel") return key ? { channel: key } : null;
  if (by === "unit") return { lead: key || "none" }; // the figures count a case for its lead unit
  return { [by]: key || "none" }; // category (the top of the tree), township
}

// The lists behind the case figures: received in the range, merged as duplicates in it, still open
// (backlog, now) and overdue now, of the row's group
function caseFigureHref(table, row, key, total) {
  const group = total ? {} : groupFilter(table.by, row.key);
  if (!group) return null;
  const days = { from: table.from, to: table.to, order: "received" };
  if (key === "appeals" || key === "label") return listHref({ ...group, ...days });
  if (key === "duplicates_merged") return listHref({ ...group, ...days, status: "merged" });
  if (key === "backlog") return listHref({ ...group, status: "open" });
  if (key === "overdue") return listHref({ ...group, overdue: "1" });
  return null;
}

function shiftDays(isoDay, days) {
  const [y, m, d] = isoDay.split("-").map(Number);
  return iso(new Date(y, m - 1, d + days));
}

function unitText(unit) {
  return unit === "s" ? t("unit_s") : unit;
}

function headerText(column) {
  return column.label + (column.unit ? " (" + unitText(column.unit) + ")" : "");
}

function numberText(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

// spec: {columns: [{key, label, formula, unit, text?, signed?}], rows, total?, label?: {title, of(row)},
//        href?(row, key, total): where a figure (key "label": the row's name) links, or null}
function renderTable(holder, spec) {
  const table = el("table", "figures");
  const head = table.createTHead().insertRow();
  if (spec.label) head.appendChild(el("th", "", spec.label.title));
  for (const column of spec.columns) {
    const th = el("th", "", headerText(column));
    th.dataset.key = column.key;
    if (column.formula) th.title = column.label + " = " + column.formula;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of spec.rows) addRow(body, spec, row, spec.label ? spec.label.of(row) : "");
  if (!spec.rows.length && spec.emptyText) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = spec.columns.length + 1;
    cell.textContent = spec.emptyText;
  }
  if (spec.total) addRow(table.createTFoot(), spec, spec.total, t("total"), true);
  const scroller = el("div", "scroller"); // a wide table scrolls by itself; the legend stays in view
  scroller.appendChild(table);
  holder.replaceChildren(scroller, legend(spec.columns));
}

function addRow(section, spec, row, label, total = false) {
  const tr = section.insertRow();
  tr.dataset.row = row.key ?? "";
  const linked = (cell, key) => { // a count of cases opens the list of them
    const href = spec.href && cell.textContent !== "0" ? spec.href(row, key, total) : null;
    if (href) cell.replaceChildren(link(cell.textContent, href));
  };
  if (spec.label) {
    const cell = tr.insertCell();
    cell.className = "label";
    cell.textContent = label;
    linked(cell, "label");
  }
  for (const column of spec.columns) {
    const value = row[column.key];
    const cell = tr.insertCell();
    cell.dataset.key = column.key;
    if (column.text) {
      cell.textContent = value ?? "—";
      continue;
    }
    cell.className = "n";
    if (value === null || value === undefined) {
      cell.textContent = "—";
      cell.classList.add("none");
      cell.title = t("no_data");
      continue;
    }
    cell.textContent = (column.signed && value > 0 ? "+" : "") + numberText(value);
    if (column.signed && value !== 0) cell.classList.add(value > 0 ? "up" : "down");
    cell.title = column.formula ? headerText(column) + " = " + column.formula : headerText(column);
    linked(cell, column.key);
  }
}

// the formulas, visible under the table (tooltips alone are not seen on a printed screen)
function legend(columns) {
  const box = el("div", "formulas");
  box.appendChild(el("h4", "", t("formulas")));
  const list = el("dl", "legend");
  for (const column of columns) {
    if (!column.formula) continue;
    const dt = el("dt", "", headerText(column));
    dt.dataset.key = column.key;
    list.append(dt, el("dd", "", column.formula));
  }
  box.appendChild(list);
  return box;
}

// --- charts (Apache ECharts, when installed) --------------------------------------------------------
const charts = {};

function chartIn(id) {
  if (!window.echarts) {
    $(id).replaceChildren(el("p", "missing", t("charts_missing")));
    return null;
  }
  if (!charts[id]) charts[id] = window.echarts.init($(id));
  charts[id].resize(); // its tab may have just become visible: measure again
  return charts[id];
}
window.addEventListener("resize", () => Object.values(charts).forEach((chart) => chart.resize()));

function labelsOf(table) {
  return Object.fromEntries(table.columns.map((c) => [c.key, c.label]));
}

function drawCallsByHour(hourly) {
  const chart = chartIn("calls-chart");
  if (!chart) return;
  const label = labelsOf(hourly);
  const rows = new Map(hourly.rows.map((r) => [r.key, r]));
  const hours = [...Array(24).keys()];
  const series = (key, empty) => hours.map((h) => (rows.has(h) ? rows.get(h)[key] : empty));
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 60, top: 40, bottom: 30 },
    xAxis: { type: "category", data: hours.map((h) => String(h).padStart(2, "0") + ":00") },
    yAxis: [
      { type: "value", name: t("unit_count"), minInterval: 1 },
      { type: "value", name: label.service_level + " (%)", min: 0, max: 100 },
    ],
    series: [
      { name: label.offered, type: "bar", data: series("offered", 0) },
      { name: label.answered, type: "bar", data: series("answered", 0) },
      { name: label.abandoned, type: "bar", data: series("abandoned", 0) },
      { name: label.service_level, type: "line", yAxisIndex: 1, connectNulls: true, data: series("service_level", null) },
    ],
  }, true);
}

function drawOnTimeByUnit(byUnit) {
  const chart = chartIn("cases-chart");
  if (!chart) return;
  const label = labelsOf(byUnit);
  const keys = ["register_on_time", "dispatch_on_time", "accept_on_time", "reply_on_time"];
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : v + "%") },
    legend: { top: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: "category", data: byUnit.rows.map((r) => rowName("unit", r)), axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", name: "%", min: 0, max: 100 },
    series: keys.map((key) => ({ name: label[key], type: "bar", data: byUnit.rows.map((r) => r[key]) })),
  }, true);
}

function drawTownships(week) {
  const chart = chartIn("townships-chart");
  if (!chart) return;
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "category", data: week.townships.map((r) => rowName("township", { ...r, key: r.township })), axisLabel: { interval: 0 } },
    yAxis: { type: "value", name: t("unit_count"), minInterval: 1 },
    series: [
      { name: t("col_this_week"), type: "bar", data: week.townships.map((r) => r.this_week) },
      { name: t("col_last_week"), type: "bar", data: week.townships.map((r) => r.last_week) },
    ],
  }, true);
}

// --- the calls tab ------------------------------------------------------------------------------------
function callParams() {
  return { ...range(), by: $("calls-by").value, threshold_s: $("calls-threshold").value, lang: i18n.lang };
}

// a row's name; the cases with no lead unit, category or township (the API's "—") in words
function rowName(by, row) {
  if (row.key === "" && ["unit", "category", "township"].includes(by)) return t("none_" + by);
  return row.name || String(row.key);
}

function rowLabel(by) {
  return {
    title: t("by_" + by),
    of: (row) => (by === "hour" ? String(row.key).padStart(2, "0") + ":00" : rowName(by, row)),
  };
}

async function loadCalls(current) {
  const params = callParams();
  const table = await getJson("/api/v1/metrics/calls?" + qs(params));
  // the chart is always by hour: ask for it too unless the table already is
  const hourly = params.by === "hour" ? table : await getJson("/api/v1/metrics/calls?" + qs({ ...params, by: "hour" }));
  if (!current()) return;
  $("calls-caption").textContent = t("caption_calls", table.from, table.to, table.threshold_s);
  renderTable($("calls-table"), {
    ...table, label: rowLabel(table.by), emptyText: table.by === "total" ? "" : t("no_rows"),
  });
  drawCallsByHour(hourly);
}

// --- the cases tab ------------------------------------------------------------------------------------
function caseParams() {
  return { ...range(), by: $("cases-by").value, lang: i18n.lang };
}

async function loadCases(current) {
  const params = caseParams();
  const table = await getJson("/api/v1/metrics/cases?" + qs(params));
  const byUnit = params.by === "unit" ? table : await getJson("/api/v1/metrics/cases?" + qs({ ...params, by: "unit" }));
  if (!current()) return;
  $("cases-caption").textContent = t("caption_cases", table.from, table.to);
  renderTable($("cases-table"), {
    ...table, label: rowLabel(table.by), emptyText: table.by === "total" ? "" : t("no_rows"),
    href: (row, key, total) => caseFigureHref(table, row, key, total),
  });
  drawOnTimeByUnit(byUnit);
}

// --- the public opinion tab ---------------------------------------------------------------------------
function opinionColumn(key, options = {}) {
  return { key, label: t("col_" + key), formula: options.text ? "" : t("f_" + key), unit: options.unit || "", ...options };
}

async function loadOpinion(current) {
  // the week ends on the range's last day; the alerts are always about now
  const [week, surges] = await Promise.all([
    getJson("/api/v1/metrics/opinion?" + qs({ day: $("to").value, lang: i18n.lang })),
    getJson("/api/v1/metrics/surges?" + qs({ ...SURGE, lang: i18n.lang })),
  ]);
  if (!current()) return;
  showSurges(surges);
  $("opinion-caption").textContent = t("caption_opinion", week.from, week.to, week.this_week, week.last_week);
  const counts = [opinionColumn("this_week"), opinionColumn("last_week"), opinionColumn("change", { signed: true })];
  // a week's count opens the list of those appeals: this week's days, or the week before's
  const weeks = {
    this_week: { from: week.from, to: week.to, order: "received" },
    last_week: { from: shiftDays(week.from, -7), to: shiftDays(week.to, -7), order: "received" },
    label: { from: week.from, to: week.to, order: "received" },
  };
  const weekHref = (filters) => (row, key, total) => (weeks[key] ? listHref({ ...filters(row, total), ...weeks[key] }) : null);
  renderTable($("topics-table"), {
    columns: [
      opinionColumn("category", { text: true }), opinionColumn("township", { text: true }),
      ...counts, opinionColumn("change_pct", { unit: "%", signed: true }),
    ],
    rows: week.topics.map((r) => ({
      ...r, key: r.category + "@" + r.township, category: r.category_name,
      township: r.township ? r.township_name : t("none_township"),
      filters: { category: r.category || "none", township: r.township || "none" },
    })),
    emptyText: t("no_rows"),
    href: weekHref((row) => row.filters),
  });
  renderTable($("townships-table"), {
    columns: [...counts, opinionColumn("top_category", { text: true, formula: t("f_top_category") })],
    rows: week.townships.map((r) => ({ ...r, key: r.township })),
    total: { key: "total", this_week: week.this_week, last_week: week.last_week, change: week.this_week - week.last_week },
    label: { title: t("col_township"), of: (row) => rowName("township", row) },
    emptyText: t("no_rows"),
    href: weekHref((row, total) => (total ? {} : { township: row.township || "none" })),
  });
  drawTownships(week);
}

function when(isoText) {
  return new Date(isoText).toLocaleString(i18n.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false, timeZone: centerTz });
}

function showSurges(surges) {
  const holder = $("surges");
  if (!surges.length) {
    holder.replaceChildren(el("p", "calm", t("no_surges")));
    return;
  }
  holder.replaceChildren(...surges.map((surge) => {
    const box = el("div", "surge");
    box.setAttribute("role", "alert");
    box.dataset.kind = surge.kind;
    box.dataset.key = surge.key;
    // its name opens the list of the category's or township's appeals of these days (a place is no
    // filter of the list: its cases are the numbers below)
    const name = t("surge_name", t("surge_" + surge.kind), surge.name);
    const days = { from: centerDay(new Date(surge.first_at)), to: iso(centerToday()), order: "received" };
    const title = el("strong");
    title.append(surge.kind === "place" ? name : link(name, listHref({ [surge.kind]: surge.key, ...days })));
    box.appendChild(title);
    box.appendChild(el("p", "", t("surge_count", SURGE.window_h, surge.count, surge.usual)));
    const channels = el("div", "channels", t("surge_channels", surge.channel_count));
    for (const [name, count] of Object.entries(surge.channels)) channels.appendChild(el("span", "", name + " × " + count));
    box.appendChild(channels);
    box.appendChild(el("p", "hint", t("surge_when", when(surge.first_at), when(surge.last_at))));
    // each case opens its page (the case workspace) in a new tab, the board stays
    const cases = el("p", "hint surge-cases", t("surge_cases", ""));
    surge.cases.forEach((number, i) => cases.append(i ? ", " : "", link(number, caseHref(number))));
    box.appendChild(cases);
    return box;
  }));
}

// --- files: exports and reports -------------------------------------------------------------------------
function filenameOf(answer) {
  const header = answer.headers.get("Content-Disposition") || "";
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded) return decodeURIComponent(encoded[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : "";
}

// a download of what was fetched (with the token: a plain link could not carry it)
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const anchor = el("a");
  anchor.href = url;
  anchor.download = name;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  const status = $("download-status");
  status.textContent = t("downloaded", name, blob.size);
  status.dataset.file = name;
}

async function exportTable(kind, format, which) {
  $(kind + "-error").textContent = "";
  const params = kind === "calls" ? callParams() : kind === "cases" ? caseParams()
    : { day: $("to").value, lang: i18n.lang, table: which };  // opinion: the week ending on "to"
  try {
    const answer = await request("/api/v1/metrics/" + kind + "?" + qs({ ...params, format }));
    saveBlob(await answer.blob(), filenameOf(answer) || kind + "." + format);
  } catch (err) {
    if (err.status !== 401) $(kind + "-error").textContent = i18n.reason(err);
  }
}

for (const button of document.querySelectorAll("button.export")) {
  button.addEventListener("click", () => exportTable(button.dataset.table, button.dataset.format, button.dataset.which));
}

async function openReport(path, format, fallbackName) {
  $("reports-error").textContent = "";
  // open the new tab now, while the click still counts: browsers block tabs opened after a wait
  const tab = format === "html" ? window.open("", "_blank") : null;
  try {
    const answer = await request(path + "?format=" + format);
    let blob = await answer.blob();
    if (tab) {
      // the report's links are the platform's own pages (/cases/...): a <base> makes them this
      // address's (a page from a blob has no address of its own to resolve them against)
      const html = (await blob.text()).replace(/<head>/i, `<head><base href="${location.origin}/">`);
      blob = new Blob([html], { type: "text/html;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      tab.location.href = url;
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      $("download-status").textContent = t("opened", fallbackName);
    } else {
      saveBlob(blob, filenameOf(answer) || fallbackName); // a PDF, or pop-ups are blocked
    }
  } catch (err) {
    if (tab) tab.close();
    if (err.status !== 401) $("reports-error").textContent = i18n.reason(err);
  }
}

function monthlyReport(format) {
  const month = $("report-month").value;
  if (!month) {
    $("reports-error").textContent = t("choose_month");
    return;
  }
  openReport("/api/v1/reports/monthly/" + month, format, "monthly-" + month + "." + format);
}

function dutyReport(format) {
  const monday = $("report-monday").value;
  if (!monday) {
    $("reports-error").textContent = t("choose_monday");
    return;
  }
  // a day that is no Monday is refused by the API, whose reason is then shown
  openReport("/api/v1/reports/leader-duty/" + monday, format, "leader-duty-" + monday + "." + format);
}

$("monthly-html").addEventListener("click", () => monthlyReport("html"));
$("monthly-pdf").addEventListener("click", () => monthlyReport("pdf"));
$("duty-html").addEventListener("click", () => dutyReport("html"));
$("duty-pdf").addEventListener("click", () => dutyReport("pdf"));

function reportDefaults() {
  const today = centerToday();
  const lastMonth = new Date(today.getFullYear(), today.getMonth() - 1, 1); // the last whole month
  $("report-month").value = iso(lastMonth).slice(0, 7);
  const back = (today.getDay() + 6) % 7; // days since Monday
  $("report-monday").value = iso(new Date(today.getFullYear(), today.getMonth(), today.getDate() - back));
}

// --- start ----------------------------------------------------------------------------------------------
translatePage();
setPreset("last7");
reportDefaults();
if (session.token()) start();
else showLogin("");
