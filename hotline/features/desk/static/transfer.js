// Handing the caller on from the screen pop (issue 19): into another queue, or to another agent's
// phone, without talking first (POST /api/v1/desk/transfer). The targets are read when a call is
// answered (GET /api/v1/desk/transfer-targets); the result is said in words.
import { $, api, el } from "/pages/client.js";

const STATE = { available: "空闲 available", on_call: "通话中 on a call", ringing: "振铃 ringing", paused: "暂停 paused",
  wrap_up: "整理 wrap-up", logged_out: "未上线 logged out" };

let loadedFor = null;

function option(value, text) {
  const choice = el("option", text);
  choice.value = value;
  return choice;
}

// called with each state the page receives: the form is offered only during an answered call;
// while the agent consults someone (an attended transfer), the ways to end it instead
export async function showTransfer(call, status, i18n) {
  const onCall = status === "on_call" && call;
  const consulting = Boolean(onCall && call.consulting);
  $("transfer").hidden = !onCall || consulting;
  $("consulting").hidden = !consulting;
  if (consulting) {
    $("consulting-who").textContent = "正在咨询 " + call.consulting.split(":").slice(1).join(":")
      + "，来电者在听等待音乐。Consulting: the caller hears music.";
  }
  if (!onCall || loadedFor === call.call_id) return;
  loadedFor = call.call_id;
  $("transfer-said").textContent = "";
  try {
    const targets = await api("GET", "/api/v1/desk/transfer-targets");
    const queues = targets.queues.filter((q) => q !== call.queue).map((q) => {
      const answering = (targets.answering || {})[q] || 0;
      const choice = option("queue:" + q, "队列 queue " + q + (answering
        ? "（" + answering + " 名坐席 agents signed in）" : "（无人签入，不可转 nobody signed in）"));
      choice.disabled = !answering;  // a caller sent there would find nobody
      return choice;
    });
    const agents = targets.agents.map((a) => {
      const offline = a.phone_online === false;  // nobody would answer: the caller back in the queue
      const choice = option("agent:" + a.username, "坐席 agent " + a.username + " (" + a.extension + ", "
        + (offline ? "话机未连接，不可转 phone not connected" : STATE[a.status] || a.status) + ")");
      choice.disabled = offline;
      return choice;
    });
    const units = (targets.units || []).map((u) => option("unit:" + u.code, "单位 unit " + u.name_zh + " " + u.name_en));
    $("transfer-target").replaceChildren(...queues, ...agents, ...units);
  } catch (err) {
    $("transfer-said").textContent = i18n.reason(err);
  }
}

const ENDED = {
  complete: "已转给对方，您进入话后整理。Handed over: you are in wrap-up.",
  "three-way": "三方通话中（会办）。All three are talking.",
  cancel: "已回到来电者。Back with the caller.",
};

// one request of the form; what happened said in words under it
async function ask(i18n, path, body, done) {
  $("transfer-said").className = "";
  try {
    await api("POST", path, body);
    $("transfer-said").textContent = done;
  } catch (err) {
    $("transfer-said").className = "error";
    $("transfer-said").textContent = i18n.reason(err);
  }
}

function chosen() {
  const [to, target] = $("transfer-target").value.split(/:(.*)/s);
  return target ? { to, target } : null;
}

export function wireTransfer(i18n) {
  $("consult-start").addEventListener("click", () => {
    const where = chosen();
    if (where) {
      ask(i18n, "/api/v1/desk/consult", where,
        "正在呼叫 " + where.target + "，来电者听等待音乐。Calling " + where.target + ": the caller hears music.");
    }
  });
  for (const how of Object.keys(ENDED)) {
    $("consult-" + how).addEventListener("click", () => ask(i18n, "/api/v1/desk/consult/end", { how }, ENDED[how]));
  }
  $("transfer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const where = chosen();
    if (where) {
      ask(i18n, "/api/v1/desk/transfer", where,
        "已转接到 " + where.target + "，您进入话后整理。Transferred to " + where.target + ": you are in wrap-up.");
    }
  });
}
