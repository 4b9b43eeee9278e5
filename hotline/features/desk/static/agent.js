// The agent's page: log in, queue state, and the screen pop fed by /api/v1/desk/live.
// What every page shares (the API, the login, the live socket, the words) is the page client,
// /pages/client.js; the words here are Chinese and English side by side, as an agent reads them
// during a call.
import { $, api, el, liveSocket, onSessionEnd, refusal, session, wireSignIn, words } from "/pages/client.js";
import { ringBell } from "/pages/bell.js";
import { drawMyConversations } from "/agent/history.js";
import { showTransfer, wireTransfer } from "/agent/transfer.js";

const i18n = words({}, { mode: "both" });
let live = null;
let currentCall = null; // call id on screen
let descriptionEdited = false;
let directoryLoaded = false;
// when each pop was shown (seconds since the epoch): support staff and bench/screen_pop.py read it
window.deskTimings = [];

function banner(message, kind) {
  const el = $("banner");
  el.textContent = message || "";
  el.className = kind || "";
  el.hidden = !message;
}

// --- logging in and out ------------------------------------------------------------------------
function showLogin(message) {
  $("login").hidden = false;
  $("desk").hidden = true;
  $("who").textContent = "";
  $("login-error").textContent = message || "";
}

onSessionEnd((reasonKey) => {
  live = null;
  showLogin(reasonKey ? i18n.t(reasonKey) : "");
});

wireSignIn(i18n, start);

async function start() {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (err) {
    if (err.status !== 401) showLogin(i18n.reason(err));
    return;
  }
  $("who").textContent = me.username + " (" + i18n.t("role_" + me.role) + ")";
  ringBell(i18n.lang);
  $("login").hidden = true;
  $("desk").hidden = false;
  try {
    render(await api("GET", "/api/v1/desk"));
  } catch (err) {
    if (err.id === "no_phone") return withoutPhone();
    $("action-error").textContent = i18n.reason(err);
  }
  loadDirectory();
  connect();
  drawMyConversations(i18n, me.timezone);
}

// A user the desk has no phone for (a supervisor, a unit's clerk, an agent not given one yet): the
// page says so in words and offers nothing that cannot work (no queue buttons, no browser phone,
// no live link that would be refused and "reconnect" for ever). Signing out stays.
function withoutPhone() {
  $("no-phone").hidden = false;
  $("status").textContent = "没有话机 no phone";
  $("status").dataset.status = "no_phone";
  for (const el of document.querySelectorAll("#state-panel .buttons > *")) el.hidden = el.id !== "btn-signout";
  $("softphone").hidden = true;
}

// --- the live channel ------------------------------------------------------------------------
function connect() {
  live = liveSocket("/api/v1/desk/live", {
    onLink: (state) => { if (state === "down") banner(i18n.t("link_down"), "info"); },
    onRefused: (message) => banner(i18n.reason(refusal(message))),
    onMessage: (msg) => {
      if (msg.type === "state") { banner(""); render(msg); }
      else if (msg.type === "transcript") transcript(msg);
    },
  });
}

// --- showing the state and the call ----------------------------------------------------------
const STATUS = {
  logged_out: "未上线 logged out", available: "空闲 available", paused: "暂停 paused",
  ringing: "振铃 ringing", on_call: "通话中 on a call", wrap_up: "话后整理 wrap-up",
};

let lastStatus = null;
let lastState = null; // the desk as last shown
let shownReasons = "";

// the reasons to pause are the agent's queues' own (the lines file's `queues:`), in words
function showReasons(reasons) {
  const key = JSON.stringify(reasons);
  if (!reasons.length || key === shownReasons) return;
  shownReasons = key;
  const chosen = $("pause-reason").value;
  $("pause-reason").replaceChildren(...reasons.map((r) => {
    const choice = el("option", r.zh + " " + r.en);
    choice.value = r.code;
    return choice;
  }));
  if (reasons.some((r) => r.code === chosen)) $("pause-reason").value = chosen;
}

function render(state) {
  // a call just ended: its recording reaches the history a few seconds later
  if (state.status !== lastStatus && lastStatus === "on_call") setTimeout(() => drawMyConversations(i18n), 6000);
  lastStatus = state.status;
  lastState = state;
  // never "available" while no call can reach the agent (issue 19: the phone is not connected)
  const unreachable = state.status === "available" && state.phone_online === false;
  $("status").textContent = unreachable ? "话机未连接，接不到来电 phone not connected: no calls reach you"
    : STATUS[state.status] || state.status;
  $("status").className = unreachable ? "error" : "";
  $("status").dataset.status = state.status;
  showReasons(state.pause_reasons || []);
  const named = (state.pause_reasons || []).find((r) => r.code === state.reason);
  $("reason").textContent = state.reason ? "(" + (named ? named.zh + " " + named.en : state.reason) + ")" : "";
  $("queues").textContent = Object.keys(state.queues || {}).length
    ? "队列 Queues: " + Object.entries(state.queues).map(([q, p]) => q + (p ? " (+" + p + ")" : "")).join(", ") : "";
  $("phone-state").textContent = state.phone_online === false
    ? "话机未连接 Your phone is not connected: calls cannot reach you" : "";
  $("phone-state").className = state.phone_online === false ? "error" : "";
  const inQueues = Object.keys(state.queues || {}).length > 0;
  $("btn-login").disabled = inQueues;
  $("btn-logout").disabled = !inQueues;
  $("btn-pause").disabled = !inQueues || state.paused;
  $("btn-resume").disabled = !inQueues || !state.paused;
  $("btn-ready").disabled = state.status !== "wrap_up";
  showCall(state.call, state.status);
  showTransfer(state.call, state.status, i18n);
}

function showCall(call, status) {
  const pop = $("pop");
  if (!call) {
    pop.hidden = true;
    pop.dataset.callId = "";
    currentCall = null;
    return;
  }
  if (call.call_id !== currentCall) {
    currentCall = call.call_id;
    descriptionEdited = false;
    $("case-form").reset();
    saidSaved("", "");
    $("case-error").textContent = "";
  }
  $("pop-state").textContent = STATUS[status] || "";
  $("pop-caller").textContent = call.caller || "未知号码 unknown";
  $("pop-line").textContent = call.line_name && call.line_name !== call.line
    ? call.line_name + " (" + call.line + ")" : call.line;
  $("pop-path").textContent = (call.ivr_path || []).map(stepInWords).join(" → ");
  $("pop-queue").textContent = call.direction === "out"
    ? "外呼：工单 " + call.case_number + " 的市民 Calling the citizen of case " + call.case_number
    : (call.queue || "同事转接 transferred to you by a colleague")
      + (call.wait_s != null ? " · 等待 waited " + call.wait_s + " s" : "");
  const body = $("pop-history").querySelector("tbody");
  body.replaceChildren(...(call.history || []).map((c) => {
    const row = document.createElement("tr");
    row.dataset.case = c.number;
    for (const value of [c.number, statusInWords(c.status), c.category || "", c.received_at.slice(0, 10), c.summary]) {
      const cell = document.createElement("td");
      if (value === c.number) {
        cell.appendChild(caseLink(c.number));
      } else {
        cell.textContent = value;
      }
      row.appendChild(cell);
    }
    const cell = document.createElement("td");
    if (c.status === "replied") {  // the unit has answered: ask the citizen whether they are satisfied
      const button = document.createElement("button");
      button.type = "button";
      button.className = "callback";
      button.textContent = "满意度回访 Satisfaction call";
      button.title = "The platform calls the citizen: 1 satisfied, 2 not satisfied (reopens the case)";
      button.addEventListener("click", () => callBack(c.number, button));
      cell.appendChild(button);
    }
    row.appendChild(cell);
    return row;
  }));
  $("pop-no-history").hidden = (call.history || []).length > 0;
  $("pop-transcript").textContent = call.transcript || "";
  $("pop-partial").textContent = call.partial || "";
  fillDraft(call);
  if (call.case_number) saidSaved("已保存 Saved:", call.case_number);
  if (pop.hidden || pop.dataset.callId !== call.call_id) {
    pop.dataset.callId = call.call_id;
    pop.hidden = false;
    window.deskTimings.push({ call_id: call.call_id, shown_at: Date.now() / 1000 });
  }
  const timing = window.deskTimings[window.deskTimings.length - 1];
  if ((call.history || []).length && !timing.history_at) timing.history_at = Date.now() / 1000;
  if (call.answered_at && !timing.answered_shown_at) timing.answered_shown_at = Date.now() / 1000;
}

// The caller's way through the menu, as the agent reads it during the call: words, not the
// IVR's step names ("key:3" is "按键 3 key 3").
const STEPS = {
  greeting: "问候 greeting", "out-of-hours": "非工作时间 out of hours", "queue-message": "排队中留言 message from the queue",
  resumed: "通话恢复 call resumed", menu: "菜单 menu", "spoken-report": "直接说出诉求 spoke the appeal",
  language: "换语言 language", "menu-failed": "未选择 no choice made", report: "留言 message",
  "case-opened": "已生成工单 case opened", status: "查询工单 case check", "status-result": "已告知进度 progress told",
  "said-number": "说出工单号 said a case number", transfer: "转人工 to an agent", "no-agent": "无空闲坐席 no agent free",
};

function stepInWords(step) {
  const [name, choice] = step.split(":");
  if (name === "key") return choice === "none" ? "未按键 no key" : "按键 " + choice + " key " + choice;
  if (name === "said") return choice === "unclear" ? "说话未听清 words unclear" : "说出选项 " + choice + " said " + choice;
  return STEPS[name] || step;
}

function statusInWords(status) {
  const named = i18n.t("status." + status);
  return named === "status." + status ? status : named;
}

// A case number opens the case's page in a new tab (the call stays on this one); "opener" gives
// that tab this tab's session.
function caseLink(number) {
  const link = document.createElement("a");
  link.href = "/cases/" + encodeURIComponent(number);
  link.target = "_blank";
  link.rel = "opener";
  link.textContent = number;
  return link;
}

// What was done with a case, its number a link; said again only when it changed (the pop is drawn
// again at every news of the call: a link replaced meanwhile would lose a click)
function saidSaved(words, number) {
  const box = $("case-saved");
  if (box.dataset.said === words + number) return;
  box.dataset.said = words + number;
  box.replaceChildren(...(number ? [words + " ", caseLink(number)] : []));
}

async function callBack(number, button) {
  button.disabled = true;
  try {
    await api("POST", "/api/v1/cases/" + encodeURIComponent(number) + "/callback", {});
    saidSaved("已安排满意度回访 Satisfaction call scheduled:", number);
  } catch (err) {
    $("case-error").textContent = number + ": " + i18n.reason(err);
    button.disabled = false;
  }
}

function transcript(msg) {
  if (!currentCall) return;
  if (msg.partial !== undefined) { $("pop-partial").textContent = msg.partial; return; }
  $("pop-partial").textContent = "";
  $("pop-transcript").textContent = msg.transcript || "";
  const description = $("case-form").elements.description;
  if (!descriptionEdited) description.value = msg.transcript || "";
}

function fillDraft(call) {
  const form = $("case-form").elements;
  if (!descriptionEdited && call.transcript) form.description.value = call.transcript;
  const s = call.suggestion;
  if (!s) { $("suggestion").textContent = ""; return; }
  if (s.category && !form.category.dataset.chosen) form.category.value = s.category;
  if (s.place && !form.place.dataset.chosen) form.place.value = s.place;
  if (s.urgency && !form.urgency.dataset.chosen) form.urgency.value = s.urgency;
  if (s.lead_unit && !form.lead_unit.dataset.chosen) form.lead_unit.value = s.lead_unit;
  $("suggestion").textContent = "建议 Suggested: " + [s.category, s.place, s.lead_unit].filter(Boolean).join(" · ");
}

$("case-form").elements.description.addEventListener("input", () => { descriptionEdited = true; });
for (const name of ["category", "place", "urgency", "lead_unit"]) {
  $("case-form").elements[name].addEventListener("change", (ev) => {
    ev.target.dataset.chosen = "1";
    if (name !== "lead_unit") followRules();
  });
}

// The agent changed the category, place or urgency: the lead unit follows the routing rules
// (GET /api/v1/routing/suggestion), unless the agent chose the unit; it never stays on the
// suggestion of a category no longer chosen.
async function followRules() {
  const form = $("case-form").elements;
  if (!form.category.value || form.lead_unit.dataset.chosen) return;
  const asked = new URLSearchParams({ category: form.category.value, urgency: form.urgency.value || "normal" });
  if (form.place.value) asked.set("place", form.place.value);
  try {
    const r = await api("GET", "/api/v1/routing/suggestion?" + asked.toString());
    form.lead_unit.value = r.lead_unit;
    $("suggestion").textContent = "按规则 By the rules: " + [r.lead_unit, ...r.co_units].join(" · ");
  } catch (err) {
    if (err.status === 404) form.lead_unit.value = ""; // no rule: the agent picks, or the center routes later
  }
}

async function loadDirectory() {
  if (directoryLoaded) return;
  try {
    const [categories, places, units] = await Promise.all([
      api("GET", "/api/v1/categories"), api("GET", "/api/v1/places"), api("GET", "/api/v1/units"),
    ]);
    const form = $("case-form").elements;
    const add = (select, code, label) => select.add(new Option(code + " " + label, code));
    categories.forEach((c) => add(form.category, c.code, c.name_zh));
    places.forEach((p) => add(form.place, p.code, p.name_zh));
    units.forEach((u) => add(form.lead_unit, u.code, u.name_zh));
    directoryLoaded = true;
  } catch (err) {
    $("case-error").textContent = i18n.reason(err);
  }
}

$("case-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!currentCall) return;
  const form = ev.target.elements;
  const body = {
    description: form.description.value, category: form.category.value,
    place: form.place.value || null, urgency: form.urgency.value, lead_unit: form.lead_unit.value || null,
  };
  $("case-error").textContent = "";
  try {
    const saved = await api("POST", "/api/v1/desk/calls/" + encodeURIComponent(currentCall) + "/case", body);
    saidSaved("已保存并派单 Saved and dispatched:", saved.case_number);
    render(saved.desk);
  } catch (err) {
    $("case-error").textContent = i18n.reason(err);
  }
});

// --- desk buttons --------------------------------------------------------------------------------
function action(id, path, body) {
  $(id).addEventListener("click", async () => {
    $("action-error").textContent = "";
    try {
      render(await api("POST", path, typeof body === "function" ? body() : body));
    } catch (err) {
      if (err.status !== 401) $("action-error").textContent = i18n.reason(err);
    }
  });
}
action("btn-login", "/api/v1/desk/login", () => ({ phone: phone.user ? "browser" : "desk" }));
action("btn-logout", "/api/v1/desk/logout");
action("btn-pause", "/api/v1/desk/pause", () => ({ reason: $("pause-reason").value }));
action("btn-resume", "/api/v1/desk/resume");
action("btn-ready", "/api/v1/desk/ready");

// --- the browser softphone (SIP.js over WebSocket to Asterisk; WebRTC media) -------------------
// Optional: without it, calls ring the agent's desk phone. Joining the queues while it is
// connected makes the queues ring the browser instead.
const phone = { user: null, ringing: false };

function phoneStatus(state, text) {
  $("sp-status").dataset.state = state;
  $("sp-status").textContent = text;
  $("sp-connect").disabled = state !== "off" && state !== "failed";
  $("sp-disconnect").disabled = state === "off" || state === "failed";
  $("sp-answer").disabled = state !== "ringing";
  $("sp-hangup").disabled = state !== "ringing" && state !== "talking" && state !== "held";
  $("sp-hold").disabled = state !== "talking" && state !== "held";
  $("sp-hold").textContent = state === "held" ? "取回 Take back" : "保持 Hold";
  $("sp-mute").disabled = state !== "talking";
  if (state !== "talking") $("sp-mute").textContent = "静音 Mute";
}

// Hold: a re-INVITE; Asterisk plays the caller music until the call is taken back. Mute: the
// caller no longer hears the agent's microphone (the agent still hears the caller).
$("sp-hold").addEventListener("click", async () => {
  const user = phone.user;
  if (!user) return;
  try {
    if (user.isHeld()) {
      await user.unhold();
      phoneStatus("talking", "通话中 talking");
    } else {
      await user.hold();
      phoneStatus("held", "保持中：对方在听等待音乐 On hold: the caller hears music");
    }
  } catch (err) {
    phoneStatus("failed", "保持未成功 Hold failed: " + err.message);
  }
});
$("sp-mute").addEventListener("click", () => {
  const user = phone.user;
  if (!user) return;
  if (user.isMuted()) user.unmute(); else user.mute();
  $("sp-mute").textContent = user.isMuted() ? "取消静音 Unmute" : "静音 Mute";
  $("sp-status").textContent = user.isMuted() ? "通话中（已静音，对方听不到您）talking, muted: the caller cannot hear you"
    : "通话中 talking";
});

$("sp-connect").addEventListener("click", async () => {
  const password = $("sp-password").value;
  if (!password) { phoneStatus("failed", "请输入 SIP 密码 Enter your SIP password"); return; }
  phoneStatus("connecting", "连接中… connecting…");
  try {
    const cfg = await api("GET", "/api/v1/desk/softphone");
    const web = await import("/agent/sip.js/platform/web/index.js");
    let onRegistered = () => {};
    const registered = new Promise((resolve) => { onRegistered = () => resolve(-1); });
    const user = new web.SimpleUser(cfg.ws_url, {
      aor: cfg.uri,
      media: { constraints: { audio: true, video: false }, remote: { audio: $("sp-audio") } },
      userAgentOptions: { authorizationUsername: cfg.authorization_user, authorizationPassword: password },
      delegate: {
        onRegistered: () => onRegistered(),
        onCallReceived: () => { phone.ringing = true; phoneStatus("ringing", "来电 ringing"); },
        onCallAnswered: () => phoneStatus("talking", "通话中 talking"),
        onCallHangup: () => { phone.ringing = false; phoneStatus("registered", "已连接 connected"); },
        onServerDisconnect: () => {
          phone.user = null;
          phoneStatus("failed", "与电话系统断开 Phone system connection lost: connect again");
        },
      },
    });
    await user.connect();
    const refused = new Promise((resolve) => {
      user.register({ requestDelegate: { onReject: (r) => resolve(r.message.statusCode) } });
      setTimeout(() => resolve(0), 5000);
    });
    const outcome = await Promise.race([refused, registered]);
    if (outcome !== -1) {
      await user.disconnect().catch(() => {});
      phoneStatus("failed", outcome === 401 || outcome === 403
        ? "SIP 密码错误 Wrong SIP password" : "电话系统无应答 The phone system did not answer");
      return;
    }
    phone.user = user;
    if (lastState && Object.keys(lastState.queues || {}).length && lastState.phone_online === false) {
      // in the queues with no phone answering: the queues ring this browser phone from now on
      render(await api("POST", "/api/v1/desk/login", { phone: "browser" }));
      phoneStatus("registered", "已连接，队列来电在此振铃 connected: queue calls now ring here");
      return;
    }
    phoneStatus("registered", "已连接 connected: 上线后来电在此振铃 join the queues to take calls here");
  } catch (err) {
    phoneStatus("failed", "网页电话不可用 Browser phone unavailable: " + err.message);
  }
});

$("sp-disconnect").addEventListener("click", async () => {
  const user = phone.user;
  phone.user = null;
  if (user) await user.unregister().catch(() => {}).then(() => user.disconnect()).catch(() => {});
  phoneStatus("off", "未连接 not connected (calls go to your desk phone)");
});
$("sp-answer").addEventListener("click", () => phone.user && phone.user.answer().catch((e) => phoneStatus("failed", e.message)));
$("sp-hangup").addEventListener("click", () => phone.user && phone.user.hangup().catch(() => {}));

if (session.token()) start(); else showLogin("");
$("btn-my-calls").addEventListener("click", () => drawMyConversations(i18n));
wireTransfer(i18n);
