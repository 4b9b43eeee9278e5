// The agent's own recorded conversations (issue 19): the last ones, newest first, each with its
// case and a player; read from GET /api/v1/me/conversations, played through a link with a ticket.
import { $, api, el } from "/pages/client.js";

function when(iso, zone) {
  return new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: zone || undefined });
}

let zone = null; // the center's time zone (GET /api/v1/me)

export async function drawMyConversations(i18n, centerZone) {
  if (centerZone) zone = centerZone;
  let list;
  try {
    list = await api("GET", "/api/v1/me/conversations");
  } catch (err) {
    $("my-calls").replaceChildren(el("tr", null)); $("my-calls-error").textContent = i18n.reason(err);
    return;
  }
  $("my-calls-error").textContent = "";
  $("my-calls-none").hidden = list.length > 0;
  $("my-calls").replaceChildren(...list.map((conv) => {
    const row = el("tr");
    row.dataset.conversation = conv.id;
    const caseCell = el("td");
    if (conv.case_number) {
      const link = el("a", conv.case_number);
      link.href = "/cases/" + encodeURIComponent(conv.case_number);
      link.target = "_blank";
      caseCell.append(link);
    } else caseCell.textContent = "未建工单 no case";
    const seconds = conv.duration_s === null ? "—" : Math.round(conv.duration_s) + " 秒 s";
    const play = el("td");
    if (conv.audio.mixed) {
      const button = el("button", "收听 Listen", "light");
      button.type = "button";
      button.addEventListener("click", async () => {
        try {
          const link = await api("POST", "/api/v1/cases/links", { path: conv.audio.mixed });
          const audio = el("audio");
          audio.controls = true;
          audio.src = link.url;
          play.replaceChildren(audio);
          await audio.play().catch(() => {});
        } catch (err) {
          play.replaceChildren(el("span", i18n.reason(err), "error"));
        }
      });
      play.append(button);
    } else play.textContent = conv.purged_at ? "已按期限删除 deleted (retention)" : "—";
    row.append(el("td", when(conv.started_at, zone)), caseCell, el("td", seconds), play);
    return row;
  }));
}
