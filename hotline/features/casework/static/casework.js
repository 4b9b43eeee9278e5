// What the three pages of the case workspace share (the landing page, the case list, the case
// page): their words, the pages each role may open, the clocks, and the directory's names.
// What every page of the platform shares (the API, the login, the socket) is /pages/client.js.
import { $, getJson, onSessionEnd, wireSignIn, words } from "/pages/client.js";
import { ringBell } from "/pages/bell.js";

export const TEXT = {
  zh: {
    app: "12345 诉求办理", home: "首页", signout: "退出", login_title: "登录", user: "用户名", password: "密码",
    login: "登录", lang_other: "English", unexpected: "页面出错：{0}",
    // the landing page
    welcome: "您好，{0}（{1}）。您可以打开：",
    page_cases: "工单", page_cases_hint: "我的待办、查找和查看工单",
    page_agent: "坐席工作台", page_agent_hint: "接听来电、弹屏、登记",
    page_dashboard: "管理看板", page_dashboard_hint: "话务、工单、舆情与报表",
    page_wallboard: "大屏", page_wallboard_hint: "实时话务与超期预警",
    page_admin: "系统管理", page_admin_hint: "人员、接口密钥、审计日志",
    // the case list
    inbox_intake_agent: "待人工受理", inbox_unit_handler: "本单位待签收和办理中", inbox_leader: "待县领导坐班",
    inbox_supervisor: "全部在办", inbox_admin: "全部在办", inbox_all: "全部工单",
    new_case: "登记新诉求（来访、来信…）", new_case_title: "登记新诉求", nc_channel: "渠道", nc_caller_number: "群众电话（可空）",
    nc_caller_name: "群众姓名（可空）", nc_address: "地址（可空）", nc_description: "诉求内容", nc_send: "受理", nc_cancel: "取消",
    nc_screen: "自动分拣并转办（不勾选：由我登记）", nc_need_words: "请写下群众的诉求内容。", nc_done: "已受理，工单编号 {0}。",
    f_text: "编号或内容", f_text_hint: "案件编号（至少前6位）或内容中的字词", f_status: "状态", f_unit: "单位", f_lead_unit: "牵头单位", f_from: "受理自", f_to: "至", f_any: "全部", f_any_status: "全部状态", f_overdue: "只看超期", f_order: "排序",
    f_open_status: "全部在办", f_no_lead: "无牵头单位", f_no_category: "未分类", f_no_township: "无乡镇",
    order_due: "最紧的时限在前", order_received: "最新受理在前", search: "查找", more: "更多",
    col_number: "编号", col_received: "受理时间", col_channel: "渠道", col_category: "类别", col_township: "乡镇",
    col_lead: "承办单位", col_status: "状态", col_clock: "时限", col_summary: "内容",
    shown: "显示 {0} 件", shown_more: "显示 {0} 件（还有更多）", none_found: "没有符合条件的工单。",
    saved_link: "本视图的链接已在地址栏中，可复制给同事。",
    my_views: "我的视图：", save_view: "保存当前视图", view_name: "视图名称", no_views: "（还没有）",
    view_saved: "已保存视图「{0}」。", view_removed: "已删除视图「{0}」。", remove_view: "删除视图「{0}」", has_news: "列表有更新：点「查找」刷新。",
    changed_here: "此工单刚有变化，页面已更新。",
    // clocks
    clock_register: "登记", clock_dispatch: "转办", clock_accept: "签收", clock_reply: "答复",
    left: "{0}剩 {1}", overdue: "{0}超期 {1}", no_clock: "—",
    minutes: "{0} 分钟", hours: "{0} 小时", days: "{0} 天",
    // the case page
    not_found: "找不到工单 {0}（不存在，或不在您的权限范围内）。",
    back_to_list: "返回工单列表",
    s_summary: "概况", s_caller: "来电人", s_description: "诉求内容", s_transcript: "录音与转写", s_screening: "自动分拣",
    s_units: "承办单位", s_timeline: "办理经过", s_replies: "答复", s_duplicates: "重复件", s_caller_cases: "此人其他工单",
    f_channel: "渠道", f_line: "热线号码", f_category: "类别", f_place: "地点", f_township: "乡镇", f_urgency: "紧急程度",
    f_received: "受理时间", f_lead: "牵头单位", f_section: "责任科室", f_co: "协办单位", f_master: "主工单",
    f_satisfaction: "满意度", f_call_back: "需回拨", f_number: "号码", f_needs_intake: "需人工受理",
    yes: "是", no: "否", none: "无",
    urgency: { normal: "一般", urgent: "紧急", critical: "特急" },
    satisfaction: { satisfied: "满意", unsatisfied: "不满意" },
    role_lead: "牵头", role_co: "协办", accepted_at: "已签收 {0}", not_accepted: "未签收",
    no_transcript: "没有转写文字。", no_recording: "没有录音。", transcript_state: "转写：{0}",
    transcript_states: { waiting: "等待录音", pending: "转写中", done: "已完成", failed: "失败，请人工收听" },
    source: { file: "录音文件", live: "通话中实时", menu: "菜单处所说" },
    classified: "判定为 {0}（把握 {1}），依据：{2}。", not_classified: "尚未自动分拣。",
    alternatives: "其他可能：{0}。", alternative: "{0}（依据：{1}）",
    no_replies: "还没有答复。", no_duplicates: "没有重复件。", no_caller_cases: "没有其他工单。",
    suggested: "可能重复：", linked: "已合并的重复件：",
    event: {
      received: "受理", register: "登记", dispatch: "转办", return: "退回", accept: "签收", reply: "答复",
      joint_reply: "联合答复", satisfied: "满意", unsatisfied: "不满意", close: "办结", reopen: "重新办理",
      schedule_interview: "安排约谈", interview_satisfied: "约谈后满意", interview_unsatisfied: "约谈后仍不满意",
      leader_decision: "县领导决定", merge: "合并为重复件", unmerge: "取消合并", joint_session: "会商会办",
      recording_stored: "录音已保存", transcribed: "已转写", breach: "超期", classified: "自动分拣",
      called_back: "已回拨", reply_delivered: "答复已送达", duplicate_linked: "关联重复件",
      duplicate_rejected: "否决重复件建议", satisfaction: "满意度",
      attached: "添加附件", extension_asked: "申请延期", extension_granted: "同意延期", extension_refused: "不同意延期",
      duplicate_suggested: "可能重复（待确认）", transcription_failed: "未能转写", callback_scheduled: "安排回访",
      callback_no_verdict: "回访未得到评价", callback_verdict_unapplied: "回访评价未能记入",
      conversation_stored: "与话务员的通话已录音", conversation_purged: "通话录音按保存期限删除",
      recordings_held: "保全录音", recordings_released: "解除录音保全", dialled: "坐席致电市民",
    },
    compare: "并排对比", compare_title: "与工单 {0} 并排对比", compare_close: "关闭对比", merge_into: "合并到工单 {0}",
    similarity: "相似度 {0}：文字 {1}，地点 {2}，类别 {3}{4}。", same_caller: "，同一来电人", shared_words: "共同的词：{0}",
    sim_same: "相同", sim_township: "同一乡镇", sim_parent: "同一大类", sim_none: "不同",
    s_after: "评价、约谈与会商", no_after: "还没有评价、约谈或会商。",
    verdict_line: "{0} · 群众{1}（{2}）{3}", stage: { reply: "对答复", interview: "约谈后", leader: "县领导决定后" },
    interview_line: "{0} · 约谈（{1}，{2}）{3}", interview_held: "已约谈：{0}", interview_waiting: "待约谈",
    joint_line: "{0} · 会商会办：{1}；牵头 {2}；决定：{3}",
    s_callbacks: "回访", no_callbacks: "没有回访电话。", callback_line: "{0} · {1}（已拨 {2} 次）{3}",
    callback_state: { due: "待拨", calling: "拨打中", done: "已完成", no_verdict: "未获评价", failed: "未能拨通", cancelled: "已取消" },
    s_files: "附件", no_files: "没有附件。", download: "下载", file_meta: "{0} · {1} · {2}",
    f_extension: "延期", ext_waiting: "{0} 申请将答复时限延至 {1}：{2}（待督办审批）",
    ext_granted: "已同意延期至 {0}（{1}）", ext_refused: "不同意延期（{0}）：{1}",
    by: "{0}",
  },
  en: {
    app: "12345 Appeals", home: "Home", signout: "Sign out", login_title: "Log in", user: "User",
    password: "Password", login: "Log in", lang_other: "中文", unexpected: "The page failed: {0}",
    welcome: "Hello, {0} ({1}). You may open:",
    page_cases: "Cases", page_cases_hint: "my work, finding and reading cases",
    page_agent: "Agent desk", page_agent_hint: "calls, the screen pop, registering",
    page_dashboard: "Dashboard", page_dashboard_hint: "calls, cases, public opinion and reports",
    page_wallboard: "Wallboard", page_wallboard_hint: "live calls and clocks running out",
    page_admin: "Administration", page_admin_hint: "people, API keys, the audit log",
    inbox_intake_agent: "Waiting for a person", inbox_unit_handler: "My unit: to accept and in hand",
    inbox_leader: "Leader's Monday duty", inbox_supervisor: "All open", inbox_admin: "All open", inbox_all: "All cases",
    new_case: "New appeal (walk-in, letter…)", new_case_title: "New appeal", nc_channel: "Channel", nc_caller_number: "Citizen's phone (optional)",
    nc_caller_name: "Citizen's name (optional)", nc_address: "Address (optional)", nc_description: "The appeal", nc_send: "Take it in", nc_cancel: "Cancel",
    nc_screen: "Screen and dispatch automatically (unticked: I register it)", nc_need_words: "Write down what the citizen asks.", nc_done: "Taken in: case {0}.",
    f_text: "Number or words", f_text_hint: "A case number (its first 6 digits at least) or words of the description", f_status: "Status", f_unit: "Unit", f_lead_unit: "Lead unit", f_from: "Received from", f_to: "to", f_any: "Any", f_any_status: "Any status", f_overdue: "Overdue only",
    f_open_status: "Any open", f_no_lead: "no lead unit", f_no_category: "not screened", f_no_township: "no township",
    f_order: "Order", order_due: "Nearest clock first", order_received: "Newest first", search: "Find", more: "More",
    col_number: "Number", col_received: "Received", col_channel: "Channel", col_category: "Category",
    col_township: "Township", col_lead: "Lead unit", col_status: "Status", col_clock: "Clock", col_summary: "Appeal",
    shown: "{0} shown", shown_more: "{0} shown (more below)", none_found: "No case matches.",
    saved_link: "This view's link is in the address bar: copy it to a colleague.",
    my_views: "My views:", save_view: "Save this view", view_name: "Name of the view", no_views: "(none yet)",
    view_saved: "View \u201c{0}\u201d saved.", view_removed: "View \u201c{0}\u201d removed.", remove_view: "Remove the view \u201c{0}\u201d",
    has_news: "The list has news: press Find to see it.", changed_here: "This case has just changed: the page shows it now.",
    clock_register: "register", clock_dispatch: "dispatch", clock_accept: "accept", clock_reply: "reply",
    left: "{0}: {1} left", overdue: "{0}: {1} overdue", no_clock: "—",
    minutes: "{0} min", hours: "{0} h", days: "{0} d",
    not_found: "No case {0} (it does not exist, or it is not yours to see).",
    back_to_list: "Back to the cases",
    s_summary: "Summary", s_caller: "Caller", s_description: "Appeal", s_transcript: "Recording and transcript",
    s_screening: "Screening", s_units: "Units", s_timeline: "Timeline", s_replies: "Replies", s_duplicates: "Duplicates",
    s_caller_cases: "The caller's other cases",
    f_channel: "Channel", f_line: "Line", f_category: "Category", f_place: "Place", f_township: "Township",
    f_urgency: "Urgency", f_received: "Received", f_lead: "Lead unit", f_section: "Section", f_co: "Co-handling",
    f_master: "Master case", f_satisfaction: "Verdict", f_call_back: "Call back", f_number: "Number",
    f_needs_intake: "Needs a person", yes: "yes", no: "no", none: "none",
    urgency: { normal: "normal", urgent: "urgent", critical: "critical" },
    satisfaction: { satisfied: "satisfied", unsatisfied: "unsatisfied" },
    role_lead: "lead", role_co: "co-handling", accepted_at: "accepted {0}", not_accepted: "not accepted yet",
    no_transcript: "No transcript.", no_recording: "No recording.", transcript_state: "Transcript: {0}",
    transcript_states: { waiting: "waiting for the recording", pending: "in progress", done: "done", failed: "failed: listen" },
    source: { file: "recording", live: "live, during the call", menu: "said at the menu" },
    classified: "Classified {0} ({1} sure), from: {2}.", not_classified: "Not screened yet.",
    alternatives: "Or perhaps: {0}.", alternative: "{0} (from: {1})",
    no_replies: "No reply yet.", no_duplicates: "No duplicates.", no_caller_cases: "No other case.",
    suggested: "Possible duplicates:", linked: "Merged duplicates:",
    event: {
      received: "received", register: "registered", dispatch: "dispatched", return: "returned", accept: "accepted",
      reply: "replied", joint_reply: "joint reply", satisfied: "satisfied", unsatisfied: "unsatisfied",
      close: "closed", reopen: "reopened", schedule_interview: "interview arranged",
      interview_satisfied: "satisfied at the interview", interview_unsatisfied: "unsatisfied at the interview",
      leader_decision: "leader's decision", merge: "merged as a duplicate", unmerge: "unmerged",
      joint_session: "joint session", recording_stored: "recording stored", transcribed: "transcribed",
      breach: "overdue", classified: "screened", called_back: "called back", reply_delivered: "reply delivered",
      duplicate_linked: "duplicate linked", duplicate_rejected: "duplicate suggestion rejected",
      satisfaction: "verdict", attached: "file attached", extension_asked: "more time asked",
      extension_granted: "more time granted", extension_refused: "more time refused",
      duplicate_suggested: "possible duplicate (to confirm)", transcription_failed: "not transcribed",
      callback_scheduled: "callback arranged", callback_no_verdict: "callback without a verdict",
      callback_verdict_unapplied: "callback verdict not applied",
      conversation_stored: "conversation with the agent recorded", conversation_purged: "conversation recording deleted (retention)",
      recordings_held: "recordings held", recordings_released: "recordings' hold released",
      dialled: "an agent called the citizen",
    },
    compare: "Compare side by side", compare_title: "Side by side with case {0}", compare_close: "Close",
    merge_into: "Merge into case {0}", similarity: "Similarity {0}: words {1}, place {2}, category {3}{4}.",
    same_caller: ", the same caller", shared_words: "Shared pieces: {0}",
    sim_same: "the same", sim_township: "the same township", sim_parent: "the same kind", sim_none: "different",
    s_after: "Verdicts, interviews and joint sessions", no_after: "No verdict, interview or joint session yet.",
    verdict_line: "{0} · the citizen was {1} ({2}) {3}", stage: { reply: "with the reply", interview: "after the interview", leader: "after the leader's decision" },
    interview_line: "{0} · interview ({1}, {2}) {3}", interview_held: "held: {0}", interview_waiting: "to be held",
    joint_line: "{0} · joint session: {1}; lead {2}; decided: {3}",
    s_callbacks: "Calls to the citizen", no_callbacks: "No call to the citizen.", callback_line: "{0} · {1} ({2} call(s)) {3}",
    callback_state: { due: "to call", calling: "calling", done: "done", no_verdict: "no verdict", failed: "not reached", cancelled: "cancelled" },
    s_files: "Files", no_files: "No files.", download: "Download", file_meta: "{0} · {1} · {2}",
    f_extension: "More time", ext_waiting: "{0} asks to reply by {1}: {2} (waiting for a supervisor)",
    ext_granted: "granted until {0} ({1})", ext_refused: "refused ({0}): {1}",
    by: "{0}",
  },
};

// The pages each role may open (the API decides what they may read there: casebook/auth/policy.py)
export const PAGES = [
  { path: "/cases", key: "page_cases", roles: ["intake_agent", "unit_handler", "supervisor", "leader", "admin"] },
  { path: "/agent", key: "page_agent", roles: ["intake_agent", "supervisor"] },
  { path: "/dashboard", key: "page_dashboard", roles: ["supervisor", "leader", "admin"] },
  { path: "/wallboard", key: "page_wallboard", roles: ["supervisor", "leader", "admin"] },
  { path: "/admin", key: "page_admin", roles: ["admin"] },
];

// The clock a case's status runs (the same as the API's `running_due`), and when it runs out
const RUNNING = { received: "register", registered: "dispatch", dispatched: "accept", accepted: "reply" };

export function runningClock(item) {
  const name = RUNNING[item.status];
  if (!name) return null;
  const due = item[name + "_due"];
  return due ? { name, due: new Date(due) } : null;
}

// How close a clock is: "red" past its time; "amber" within 15 minutes for the one-hour windows,
// within a day for the reply; else "ok"
export function urgencyOf(clock, now = Date.now()) {
  const left = clock.due.getTime() - now;
  if (left < 0) return "red";
  const close = clock.name === "reply" ? 24 * 3600e3 : 15 * 60e3;
  return left <= close ? "amber" : "ok";
}

export function span(ms, t) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60e3));
  if (minutes < 120) return t("minutes", minutes);
  const hours = Math.round(minutes / 60);
  return hours < 48 ? t("hours", hours) : t("days", Math.round(hours / 24));
}

export function clockText(clock, t, now = Date.now()) {
  if (!clock) return t("no_clock");
  const left = clock.due.getTime() - now;
  return t(left < 0 ? "overdue" : "left", t("clock_" + clock.name), span(left, t));
}

// Times are shown in the center's time zone (GET /api/v1/me), whatever the browser's own: a clerk
// on a laptop set to another zone reads the same deadline as the center's wallboard.
let centerZone;

export function when(iso, lang) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "zh-CN", {
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: centerZone,
  });
}

// The directory's names (units, categories, channels, places), by code, in the page's language
export async function directoryNames() {
  const named = (rows, zh = "name_zh", en = "name_en") =>
    Object.fromEntries(rows.map((r) => [r.code, { zh: r[zh] || r.code, en: r[en] || r[zh] || r.code }]));
  const [units, categories, channels, places] = await Promise.all(
    ["units", "categories", "channels", "places"].map((kind) => getJson("/api/v1/" + kind).catch(() => [])),
  );
  return {
    lists: { units, categories, places, channels }, // as the API gives them, for the forms and filters
    units: named(units), categories: named(categories), channels: named(channels), places: named(places),
    sections: Object.fromEntries(units.flatMap((u) => (u.sections || []).map((s) => [u.code + "/" + s.code, { zh: s.name_zh, en: s.name_en || s.name_zh }]))),
  };
}

export function nameIn(names, kind, code, lang) {
  if (!code) return "";
  const entry = names[kind] && names[kind][code];
  return entry ? entry[lang] || entry.zh : code;
}

// One page of the workspace: its words (these, and the page's own `moreText`), the header (who,
// language, sign out), the login form, and `show(me, i18n)` once someone is signed in (again
// after the language changes, with `again`)
export function openPage(show, moreText = { zh: {}, en: {} }) {
  const i18n = words({ zh: { ...TEXT.zh, ...moreText.zh }, en: { ...TEXT.en, ...moreText.en } });
  const t = (key, ...values) => i18n.t(key, ...values);
  let me = null;
  const banner = (message) => {
    $("banner").textContent = message || "";
    $("banner").hidden = !message;
  };
  window.addEventListener("error", (ev) => banner(t("unexpected", ev.message)));
  window.addEventListener("unhandledrejection", (ev) => banner(t("unexpected", (ev.reason && ev.reason.message) || ev.reason)));
  const showLogin = (message) => {
    me = null;
    $("work").hidden = true;
    $("login").hidden = false;
    $("who").textContent = "";
    $("btn-signout").hidden = true;
    $("login-error").textContent = message || "";
  };
  const who = () => { if (me) $("who").textContent = me.username + "（" + t("role_" + me.role) + "）"; };
  const start = async () => {
    try {
      me = await getJson("/api/v1/me");
    } catch (err) {
      if (err.status !== 401) showLogin(i18n.reason(err));
      else showLogin("");
      return;
    }
    centerZone = me.timezone || undefined;
    who();
    ringBell(i18n.lang, centerZone);
    $("btn-signout").hidden = false;
    $("login").hidden = true;
    $("work").hidden = false;
    banner("");
    await show(me, i18n, { again: false });
  };
  onSessionEnd((reasonKey) => {
    if (!reasonKey) { // signed out on purpose: what was being written goes with the person
      for (const key of Object.keys(sessionStorage)) if (key.startsWith("draft:")) sessionStorage.removeItem(key);
    }
    showLogin(reasonKey ? t(reasonKey) : "");
  });
  wireSignIn(i18n, start);
  $("btn-lang").addEventListener("click", async () => {
    i18n.setLang(i18n.lang === "zh" ? "en" : "zh");
    i18n.translate();
    who();
    if (me) await show(me, i18n, { again: true });
  });
  i18n.translate();
  start();
  return i18n;
}
