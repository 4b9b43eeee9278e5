// A supervisor's actions on an agent, beside the board (issue 19): listen to the call, whisper to
// the agent, join both (the supervisor's own phone rings), pause or sign the agent out. Shown to
// supervisors only (the API refuses anyone else); each action says what happened, in words.
import { $, api } from "/pages/client.js";

const TEXT = {
  zh: {
    title: "班长操作", agent: "坐席", listen: "监听", whisper: "耳语（仅坐席听到）", barge: "强插（双方听到）",
    pause: "暂停", reason: "原因", sign_out: "签出", none: "没有在线坐席",
    ringing: "您的话机（{0}）正在振铃：接听后即{1} {2} 的通话。按键 4 监听、5 耳语、6 强插。",
    switched: "已切换：您现在{0} {1} 的通话（话机不再振铃）。",
    transcript: "通话文字", words_title: "来电者所说（实时）", words_none: "（来电者还没有说话）",
    words_note: "坐席与来电者的对话在通话录音保存后转写，见工单页面。",
    paused: "已暂停 {0}。", signed_out: "已将 {0} 签出队列。", need_reason: "请写明暂停原因。",
    mode: { listen: "监听", whisper: "耳语", barge: "强插" },
  },
  en: {
    title: "Supervisor", agent: "Agent", listen: "Listen", whisper: "Whisper (the agent only)", barge: "Barge (both hear you)",
    pause: "Pause", reason: "Reason", sign_out: "Sign out", none: "No agent at the desk",
    ringing: "Your phone ({0}) is ringing: answer it to {1} {2}'s call. Keys 4 listen, 5 whisper, 6 barge.",
    switched: "Switched: you now {0} {1}'s call (your phone does not ring again).",
    transcript: "Transcript", words_title: "What the caller said (live)", words_none: "(the caller has not spoken yet)",
    words_note: "The conversation with the agent is transcribed once its recording is stored: see the case's page.",
    paused: "{0} is paused.", signed_out: "{0} is out of the queues.", need_reason: "Write why the agent is paused.",
    mode: { listen: "listen to", whisper: "whisper on", barge: "join" },
  },
};

let lang = "zh";
let shownAgents = "";
const t = (key, ...values) => {
  let text = key.split(".").reduce((o, k) => (o ? o[k] : undefined), TEXT[lang]) || key;
  values.forEach((v, i) => { text = text.replace("{" + i + "}", v); });
  return text;
};

function said(text, kind) {
  $("sv-said").textContent = text;
  $("sv-said").className = kind || "done";
}

// the panel's words in the board's language
export function supervisionLanguage(language) {
  lang = language === "en" ? "en" : "zh";
  for (const el of document.querySelectorAll("#supervise [data-sv]")) el.textContent = t(el.dataset.sv);
  shownAgents = "";
}

// shown once the person is known to be a supervisor
export async function startSupervision(reason) {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (err) {
    return;
  }
  $("supervise").hidden = me.role !== "supervisor";
  if (me.role !== "supervisor") return;
  const act = async (path, body, done) => {
    const agent = $("sv-agent").value;
    if (!agent) return;
    try {
      const answer = await api("POST", "/api/v1/wallboard/agents/" + encodeURIComponent(agent) + path, body);
      said(done(answer, agent));
    } catch (err) {
      said(reason(err), "error");
    }
  };
  for (const mode of ["listen", "whisper", "barge"]) {
    $("sv-" + mode).onclick = () => act("/join", { mode }, (answer, agent) => answer.switched
      ? t("switched", t("mode." + mode), agent) : t("ringing", answer.ringing, t("mode." + mode), agent));
  }
  $("sv-pause").onclick = () => {
    const why = $("sv-reason").value.trim();
    if (!why) { said(t("need_reason"), "error"); return; }
    act("/pause", { reason: why }, (_answer, agent) => t("paused", agent));
  };
  $("sv-sign-out").onclick = () => act("/sign-out", undefined, (_answer, agent) => t("signed_out", agent));
  $("sv-transcript").onclick = () => showWords(reason, true);
}

// the words of the chosen agent's caller, kept up to date every 2 s while shown
let wordsTimer = null;
async function showWords(reason, asked) {
  const agent = $("sv-agent").value;
  if (!agent) return;
  clearTimeout(wordsTimer);
  try {
    const call = await api("GET", "/api/v1/wallboard/agents/" + encodeURIComponent(agent) + "/transcript");
    $("sv-words").hidden = false;
    $("sv-words-text").textContent = [call.transcript, call.partial].filter(Boolean).join(" ") || t("words_none");
    wordsTimer = setTimeout(() => showWords(reason, false), 2000);
  } catch (err) {
    if (asked) said(reason(err), "error");
    $("sv-words").hidden = true;
  }
}

// the agents to choose from, redrawn only when they change (a choice is not lost every second)
export function supervisionAgents(agents) {
  const names = (agents || []).filter((a) => a.status !== "logged_out").map((a) => a.username);
  const key = lang + "|" + names.join(",");
  if (key === shownAgents) return;
  shownAgents = key;
  const select = $("sv-agent");
  const chosen = select.value;
  select.replaceChildren(...(names.length ? names : [""]).map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name || t("none");
    return option;
  }));
  if (names.includes(chosen)) select.value = chosen;
}
