// The bell of every page a person works at (the case pages, the dashboard, the agent desk): the
// count of their unread notifications (GET /api/v1/notifications, read again every 15 seconds and
// when the tab comes back), and, opened, the latest ones, each a link to its case. Following one
// marks it read; "mark all read" clears the count. The wall screen has none: nobody reads there.
//
//   import { ringBell } from "/pages/bell.js";   ringBell(i18n.lang);   (after the sign-in)
import { api, onSessionEnd } from "/pages/client.js";

const WORDS = {
  zh: {
    bell: "通知", none: "没有通知。", all_read: "全部标为已读", unread: "{0} 条未读",
    dispatched: "新转办工单 {0}", unsatisfied: "工单 {0}：群众不满意", leader_duty: "工单 {0} 待县领导坐班",
    extension_asked: "工单 {0} 申请延期", extension_decided: "工单 {0} 的延期申请已有答复",
    back_to_unit: "工单 {0} 退回重新办理", leader_decision: "工单 {0}：县领导已作出决定",
    due_soon: "工单 {0}：{1}时限 15 分钟内到期", other: "工单 {0} 有新情况",
    clock: { register: "登记", dispatch: "转办", accept: "签收", reply: "答复" },
  },
  en: {
    bell: "Notifications", none: "No notifications.", all_read: "Mark all read", unread: "{0} unread",
    dispatched: "New case {0} for your unit", unsatisfied: "Case {0}: the citizen is not satisfied",
    leader_duty: "Case {0} is on the leader's duty", extension_asked: "Case {0}: more time asked",
    extension_decided: "Case {0}: your request for more time was answered",
    back_to_unit: "Case {0} is back with your unit", leader_decision: "Case {0}: the leader decided",
    due_soon: "Case {0}: the {1} clock runs out within 15 minutes", other: "Case {0} has news",
    clock: { register: "register", dispatch: "dispatch", accept: "accept", reply: "reply" },
  },
};
const EVERY_MS = 15000;
let bell = null;

const fill = (text, ...values) => values.reduce((s, v, i) => s.replace("{" + i + "}", v), text);

function textOf(words, n) {
  if (n.kind === "due_soon") return fill(words.due_soon, n.case_number, words.clock[n.detail.clock] || n.detail.clock || "");
  return fill(words[n.kind] || words.other, n.case_number);
}

function build(words) {
  const box = document.createElement("span");
  box.className = "bell";
  box.style.cssText = "position: relative; display: inline-block;";
  const button = document.createElement("button");
  button.type = "button";
  button.id = "bell";
  button.className = "light";
  button.title = words.bell;
  button.setAttribute("aria-label", words.bell);
  button.setAttribute("aria-expanded", "false");
  const count = document.createElement("span");
  count.id = "bell-count";
  count.style.cssText = "background: #c62828; color: #fff; border-radius: 1em; padding: 0 0.45em; margin-left: 0.3em; font-size: 0.85em;";
  button.append(words.bell, count);
  const panel = document.createElement("div");
  panel.id = "bell-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.style.cssText = "position: absolute; right: 0; top: 2.4em; z-index: 50; width: 24em; max-height: 28em; overflow: auto;"
    + " background: #fff; color: #222; border: 1px solid #bbb; box-shadow: 0 4px 12px rgba(0,0,0,.2); padding: 0.5em; text-align: left;";
  box.append(button, panel);
  return { box, button, count, panel };
}

// the person's bell, drawn into the page's header beside their name
export function ringBell(lang, timeZone = undefined) { // the center's time zone (`/api/v1/me`), as the pages' times
  const words = WORDS[lang === "en" ? "en" : "zh"];
  if (bell) bell.stop();
  const parts = build(words);
  const who = document.getElementById("who");
  (who && who.parentElement ? who.parentElement : document.querySelector("header") || document.body).insertBefore(parts.box, who);
  let latest = { unread: 0, items: [] };

  const draw = () => {
    parts.count.textContent = latest.unread ? String(latest.unread) : "";
    parts.count.hidden = !latest.unread;
    parts.button.title = latest.unread ? fill(words.unread, latest.unread) : words.bell;
    const list = document.createElement("ul");
    list.style.cssText = "list-style: none; margin: 0; padding: 0;";
    for (const n of latest.items) {
      const item = document.createElement("li");
      item.style.cssText = "padding: 0.35em 0; border-bottom: 1px solid #eee;" + (n.read ? " color: #777;" : " font-weight: bold;");
      const link = document.createElement("a");
      link.href = "/cases/" + encodeURIComponent(n.case_number);
      link.textContent = textOf(words, n);
      link.style.color = "#17457a"; // the header's own links are white
      link.dataset.id = n.id;
      link.addEventListener("click", async (ev) => {
        if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || n.read) return; // a new tab: marked read next time
        ev.preventDefault();
        try { await api("POST", "/api/v1/notifications/read", { ids: [n.id] }); } catch (err) { /* the link still opens */ }
        location.href = link.href;
      });
      const at = document.createElement("div");
      at.style.cssText = "font-weight: normal; color: #777; font-size: 0.85em;";
      at.textContent = new Date(n.at).toLocaleString(lang === "en" ? "en-GB" : "zh-CN", { hour12: false, timeZone });
      item.append(link, at);
      list.append(item);
    }
    const clear = document.createElement("button");
    clear.type = "button";
    clear.id = "bell-all-read";
    clear.textContent = words.all_read;
    clear.disabled = !latest.unread;
    clear.addEventListener("click", async () => {
      latest = await api("POST", "/api/v1/notifications/read", {});
      draw();
    });
    parts.panel.replaceChildren(latest.items.length ? list : Object.assign(document.createElement("p"), { textContent: words.none }), clear);
  };

  const read = async () => {
    try {
      latest = await api("GET", "/api/v1/notifications?limit=20");
      draw();
    } catch (err) { /* a 401 ends the session (the page says so); anything else: the next turn */ }
  };
  parts.button.addEventListener("click", () => {
    parts.panel.hidden = !parts.panel.hidden;
    parts.button.setAttribute("aria-expanded", String(!parts.panel.hidden));
    if (!parts.panel.hidden) read();
  });
  const timer = setInterval(read, EVERY_MS);
  const onVisible = () => { if (document.visibilityState === "visible") read(); };
  document.addEventListener("visibilitychange", onVisible);
  const stopOnEnd = onSessionEnd(() => bell && bell.stop());
  bell = {
    stop() {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
      stopOnEnd();
      parts.box.remove();
      bell = null;
    },
  };
  draw();
  read();
}
