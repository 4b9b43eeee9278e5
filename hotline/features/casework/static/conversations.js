// The case's conversations with an agent (issue 19): each one played (both voices, or each side
// alone), what each side said as speech recognition heard it, and a supervisor's hold on the
// recordings (a dispute: never deleted while held). Read from GET /api/v1/cases/{n}/conversations.
import { $, api, el, getJson } from "/pages/client.js";

export const CONVERSATION_TEXT = {
  zh: {
    s_conversations: "与话务员的通话",
    no_conversations: "没有与话务员的通话录音。",
    conversation_line: "{0} · 话务员 {1} · {2} 秒",
    side: { mixed: "双方", caller: "只听市民", agent: "只听话务员" },
    said_caller: "市民说：", said_agent: "话务员说：",
    conversation_pending: "双方的转写进行中……", conversation_failed: "未能转写，请收听录音。",
    conversation_purged: "录音已按保存期限于 {0} 删除（记录保留）。",
    hold_on: "录音已保全：{0}（保全期间不会删除）", hold_off: "录音按保存期限删除；有争议时可保全。",
    hold_reason: "保全原因", hold_button: "保全录音", release_button: "解除保全",
    held_done: "已保全本工单的录音。", released_done: "已解除保全，录音将按保存期限删除。",
    hold_needs_reason: "请写明保全原因。",
    dial: "致电市民", dialling: "您的话机正在振铃：接听后即拨打市民，通话将录音并记入本工单。",
  },
  en: {
    s_conversations: "Conversations with an agent",
    no_conversations: "No recorded conversation with an agent.",
    conversation_line: "{0} · agent {1} · {2} s",
    side: { mixed: "both", caller: "the caller only", agent: "the agent only" },
    said_caller: "The caller said: ", said_agent: "The agent said: ",
    conversation_pending: "Transcribing both sides…", conversation_failed: "Not transcribed: listen to the recording.",
    conversation_purged: "The recording was deleted on {0} (retention); the record stays.",
    hold_on: "Recordings held: {0} (never deleted while held)", hold_off: "Recordings are deleted after the retention; hold them in a dispute.",
    hold_reason: "Why hold them", hold_button: "Hold the recordings", release_button: "Release the hold",
    held_done: "The case's recordings are held.", released_done: "Hold released: the recordings follow the retention again.",
    hold_needs_reason: "Write why the recordings are held.",
    dial: "Call the citizen", dialling: "Your phone is ringing: answer it and the citizen's phone rings; the call is recorded on this case.",
  },
};

// `page`: { number, me, t, i18n, when, linkTo, reload } from the case page
export async function drawConversations(c, page) {
  const { t, i18n } = page;
  const parts = [];
  let list = [];
  try {
    list = await getJson("/api/v1/cases/" + encodeURIComponent(c.number) + "/conversations");
  } catch (err) {
    $("conversations").replaceChildren(el("p", i18n.reason(err), "error"));
    return;
  }
  for (const conv of list) {
    const box = el("div", null, "conversation");
    box.dataset.conversation = conv.id;
    const seconds = conv.duration_s === null ? "—" : Math.round(conv.duration_s);
    box.append(el("p", t("conversation_line", page.when(conv.started_at, i18n.lang), conv.agent || "—", seconds), "hint"));
    if (conv.purged_at) box.append(el("p", t("conversation_purged", page.when(conv.purged_at, i18n.lang)), "hint"));
    for (const side of Object.keys(conv.audio)) {
      const line = el("p", null, "side " + side);
      const audio = el("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.dataset.side = side;
      try {
        audio.src = await page.linkTo(conv.audio[side]);
        line.append(el("span", t("side." + side) + " ", "hint"), audio);
      } catch (err) {
        line.append(el("span", i18n.reason(err), "error"));
      }
      box.append(line);
    }
    if (conv.transcript_state === "pending" && !conv.purged_at) box.append(el("p", t("conversation_pending"), "hint"));
    if (conv.transcript_state === "failed") box.append(el("p", t("conversation_failed"), "hint"));
    for (const [key, text] of [["said_caller", conv.caller_text], ["said_agent", conv.agent_text]]) {
      if (!text) continue;
      const said = el("p", null, "transcript " + key);
      said.append(el("strong", t(key)), text);
      box.append(said);
    }
    parts.push(box);
  }
  if (!list.length) parts.push(el("p", t("no_conversations"), "hint"));
  if (c.caller_number && ["intake_agent", "supervisor"].includes(page.me.role)) parts.push(dialControl(c, page));
  parts.push(holdControl(c, page));
  $("conversations").replaceChildren(...parts);
}

// what the hold is, and for a supervisor the form that sets or releases it
function holdControl(c, page) {
  const { t, i18n } = page;
  const box = el("div", null, "hold");
  box.id = "recording-hold";
  box.append(el("p", c.recording_hold ? t("hold_on", c.recording_hold) : t("hold_off"), "hint"));
  if (page.me.role !== "supervisor") return box;
  const form = el("form", null, "hold-form");
  const said = el("p", null, "done");
  said.setAttribute("role", "status");
  if (c.recording_hold) {
    form.append(el("button", t("release_button")));
  } else {
    const label = el("label", t("hold_reason") + " ");
    const input = el("input");
    input.name = "reason";
    input.maxLength = 200;
    label.append(input);
    form.append(label, el("button", t("hold_button")));
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const reason = c.recording_hold ? null : form.elements.reason.value.trim();
    if (reason === "") { said.className = "error"; said.textContent = t("hold_needs_reason"); return; }
    try {
      await api("PUT", "/api/v1/cases/" + encodeURIComponent(c.number) + "/recording-hold", { reason });
    } catch (err) {
      said.className = "error";
      said.textContent = i18n.reason(err);
      return;
    }
    await page.reload(reason ? t("held_done") : t("released_done"));
  });
  box.append(form, said);
  return box;
}

// click-to-dial: the agent's own phone rings first, then the citizen's (POST /api/v1/desk/dial)
function dialControl(c, page) {
  const { t, i18n } = page;
  const box = el("p", null, "dial");
  const button = el("button", t("dial"));
  button.id = "dial-citizen";
  button.type = "button";
  const said = el("span", "", "done");
  said.id = "dial-said";
  said.setAttribute("role", "status");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", "/api/v1/desk/dial", { case: c.number });
      said.className = "done";
      said.textContent = " " + t("dialling");
    } catch (err) {
      said.className = "error";
      said.textContent = " " + i18n.reason(err);
    } finally {
      button.disabled = false;
    }
  });
  box.append(button, said);
  return box;
}
