// The actions on one case, as forms on its page: only those the API says this person may take now
// (`actions` of GET /api/v1/cases/{number}), each confirmed with what happened (which unit has the
// case, which clock now runs) or refused with the API's reason. A button is disabled while its
// request runs (a double click acts once); a case someone else changed meanwhile is shown afresh
// with the refusal; text being written is kept in the tab (sessionStorage) until it is sent, so an
// ended session loses no reply.
import { $, api } from "/pages/client.js";
import { nameIn, when } from "/casework/casework.js";

export const ACTION_TEXT = {
  zh: {
    s_actions: "办理", no_actions: "您现在没有可对此工单进行的操作。",
    a: {
      register: "登记", dispatch: "转办", return: "退回", accept: "签收", reply: "答复", satisfaction: "群众评价",
      interview: "安排约谈", "interview/outcome": "约谈结果", "leader-decision": "县领导决定",
      "joint-sessions": "会商会办", merge: "合并为重复件", unmerge: "取消合并", close: "办结", reopen: "重新办理",
      "called-back": "已回拨", callback: "回访群众（电话问满意度）", attachments: "添加附件", extension: "申请延期", "extension/decision": "审批延期",
    },
    fld: {
      category: "类别", place: "地点", urgency: "紧急程度", lead_unit: "牵头单位", co_units: "协办单位",
      deadline_hours: "办理时限（小时，空则按规定）", reason: "理由", section: "责任科室", text: "答复内容",
      verdict: "评价", comment: "意见", at: "时间", location: "地点", satisfied: "群众满意", notes: "记录",
      decision: "决定", deadline: "期限", units: "单位", participants: "参加单位", reply: "统一答复（可空）",
      master: "主工单编号", reached: "已联系上群众", note: "说明", description: "诉求内容（来电可据录音写下）",
      files: "文件（照片、PDF、Word/Excel、文本，每个不超过 10 MB）", until: "答复时限延至", granted: "审批", answer: "审批意见",
    },
    grant_yes: "同意延期", grant_no: "不同意延期",
    route_hint: "按分派规则：牵头 {0}{1}，办理时限 {2} 小时。", route_none: "分派规则未覆盖此类别，请选择牵头单位。", file_refused: "文件「{0}」未能上传：{1}",
    file_too_large: "文件超过 10 MB，请压缩或分开上传", file_unsupported: "中心只保存照片（JPEG、PNG、GIF、WebP）、PDF、Word、Excel 和文本文件；文件内容与其类型不符的也不收",
    by_rules: "按分派规则", optional: "（可不填）", choose: "请选择", satisfied: "满意", unsatisfied: "不满意",
    done: {
      register: "已登记为「{0}」。转办时限：{1} 前。",
      dispatch: "已转办至 {0}{1}。签收时限：{2} 前；答复时限：{3} 前。",
      return: "已退回中心。中心须在 {0} 前重新转办。",
      accept: "已签收，责任科室：{0}。答复时限：{1} 前。",
      reply: "已答复。工单现为「{0}」，等待群众评价。",
      other: "已完成「{0}」。工单现为「{1}」。",
      attached: "已附上 {0} 个文件：{1}。",
      callback: "已安排回访电话，最早 {0} 拨出。{1}",
      extension: "已申请将答复时限延至 {0}，等待督办审批。",
      granted: "已同意延期。答复时限现为 {0} 前。",
      refused: "已不同意延期。答复时限仍为 {0} 前。",
    },
    co: "（协办：{0}）", changed: "工单已有变化，页面已更新为当前状态。", sending: "正在提交…",
  },
  en: {
    s_actions: "Actions", no_actions: "There is nothing you may do to this case now.",
    a: {
      register: "Register", dispatch: "Dispatch", return: "Return", accept: "Accept", reply: "Reply",
      satisfaction: "Citizen's verdict", interview: "Arrange an interview", "interview/outcome": "Interview outcome",
      "leader-decision": "Leader's decision", "joint-sessions": "Joint session", merge: "Merge as a duplicate",
      unmerge: "Unmerge", close: "Close", reopen: "Reopen", "called-back": "Called back",
      callback: "Call the citizen for their verdict", attachments: "Attach files", extension: "Ask for more time", "extension/decision": "Answer the request for more time",
    },
    fld: {
      category: "Category", place: "Place", urgency: "Urgency", lead_unit: "Lead unit", co_units: "Co-handling units",
      deadline_hours: "Deadline (hours; empty: the rules')", reason: "Reason", section: "Section", text: "Reply",
      verdict: "Verdict", comment: "Comment", at: "When", location: "Where", satisfied: "The citizen is satisfied",
      notes: "Notes", decision: "Decision", deadline: "Deadline", units: "Units", participants: "Units taking part",
      reply: "One reply (optional)", master: "Master case number", reached: "The citizen was reached", note: "Note",
      description: "The appeal (for a call, written from the recording)",
      files: "Files (photos, PDF, Word/Excel, text; at most 10 MB each)", until: "Reply by", granted: "Answer",
      answer: "Why",
    },
    grant_yes: "Grant", grant_no: "Refuse",
    route_hint: "By the routing rules: lead {0}{1}, {2} hours to reply.", route_none: "No routing rule covers this category: choose the lead unit.", file_refused: "The file \u201c{0}\u201d was not attached: {1}",
    file_too_large: "it is larger than 10 MB: make it smaller or send it in parts",
    file_unsupported: "the center keeps photos (JPEG, PNG, GIF, WebP), PDF, Word, Excel and text files only, whose content is what their type says",
    by_rules: "By the routing rules", optional: "(none)", choose: "Choose", satisfied: "satisfied", unsatisfied: "unsatisfied",
    done: {
      register: "Registered as \u201c{0}\u201d. Dispatch before {1}.",
      dispatch: "Dispatched to {0}{1}. To be accepted before {2}; replied before {3}.",
      return: "Returned to the center, which must dispatch again before {0}.",
      accept: "Accepted, section: {0}. Reply before {1}.",
      reply: "Replied. The case is now \u201c{0}\u201d, waiting for the citizen's verdict.",
      other: "Done: \u201c{0}\u201d. The case is now \u201c{1}\u201d.",
      attached: "{0} file(s) attached: {1}.",
      callback: "The call to the citizen is arranged, from {0}. {1}",
      extension: "Asked to reply by {0}; waiting for a supervisor.",
      granted: "More time granted. Reply before {0}.",
      refused: "More time refused. Reply before {0}, as before.",
    },
    co: " (co-handling: {0})", changed: "The case had changed: the page now shows it as it is.", sending: "Sending…",
  },
};

// the fields of each action's form: [name, kind, options]; kinds: select, multi, input, area,
// number, datetime, check, verdict
function fieldsOf(action, c, names) {
  const lists = names.lists;
  const units = lists.units.map((u) => [u.code, u]);
  // every category a case can have: those with no sub-categories, top-level ones included (民政, 其他...)
  const parents = new Set(lists.categories.map((cat) => cat.parent).filter(Boolean));
  const leaves = lists.categories.filter((cat) => !parents.has(cat.code)).map((cat) => [cat.code, cat]);
  const lead = lists.units.find((u) => u.code === c.lead_unit);
  const suggested = (c.classification && c.classification.category && c.classification.category.code) || c.category;
  return {
    register: [
      ["category", "select", [["", "choose"], ...leaves], suggested],
      ["place", "select", [["", "optional"], ...lists.places.map((p) => [p.code, p])], c.place],
      ["urgency", "select", ["normal", "urgent", "critical"].map((u) => [u, "urgency." + u]), c.urgency],
      ["description", "area", null, c.description], // a phone message's words, written down by the agent
    ],
    dispatch: [["lead_unit", "select", [["", "by_rules"], ...units]], ["co_units", "multi", units], ["deadline_hours", "number"], ["reason", "input"]],
    return: [["reason", "area"]],
    accept: [["section", "select", ((lead && lead.sections) || []).map((s) => [s.code, s])]],
    reply: [["text", "area"], ["files", "files"]],
    satisfaction: [["verdict", "verdict"], ["comment", "input"]],
    interview: [["at", "datetime"], ["location", "input"]],
    "interview/outcome": [["satisfied", "check"], ["notes", "area"]],
    "leader-decision": [["decision", "area"], ["deadline", "datetime"], ["units", "multi", units]],
    "joint-sessions": [["participants", "multi", units], ["lead_unit", "select", units, c.lead_unit], ["decision", "area"], ["reply", "area"]],
    merge: [["master", "input"], ["reason", "input"]],
    unmerge: [["reason", "area"]],
    close: [["reason", "area"]],
    reopen: [["reason", "area"]],
    "called-back": [["reached", "check"], ["note", "input"]],
    attachments: [["files", "files"]],
    callback: [],
    extension: [["until", "datetime"], ["reason", "area"]],
    "extension/decision": [["granted", "select", [["true", "grant_yes"], ["false", "grant_no"]]], ["until", "datetime"], ["answer", "area"]],
  }[action] || [];
}

function label(entry, lang) {
  if (!entry) return "";
  return (lang === "en" && (entry.name_en || entry.name_zh)) || entry.name_zh || entry.code || "";
}

function control(i18n, kind, options, value) {
  const lang = i18n.lang;
  let input;
  if (kind === "select" || kind === "multi") {
    input = document.createElement("select");
    input.multiple = kind === "multi";
    if (kind === "multi") input.size = 4;
    // an option is [code, a directory entry] or [code, the key of its words]
    for (const [code, entry] of options) {
      const text = typeof entry === "string" ? i18n.t(entry) : label(entry, lang);
      input.append(new Option(text, code, false, code === (value ?? "")));
    }
  } else if (kind === "area") {
    input = document.createElement("textarea");
    input.rows = 3;
    input.cols = 50;
    input.maxLength = 4000;
    if (value) input.value = value;
  } else if (kind === "files") {
    input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.accept = ".jpg,.jpeg,.png,.gif,.webp,.pdf,.docx,.xlsx,.txt";
  } else if (kind === "verdict") {
    input = document.createElement("select");
    input.append(new Option(i18n.t("satisfied"), "satisfied"), new Option(i18n.t("unsatisfied"), "unsatisfied"));
  } else {
    input = document.createElement("input");
    input.type = { number: "number", datetime: "datetime-local", check: "checkbox" }[kind] || "text";
    if (kind === "number") { input.min = "1"; input.step = "1"; }
  }
  return input;
}

function valueOf(kind, input) {
  if (kind === "multi") return [...input.selectedOptions].map((o) => o.value);
  if (kind === "check") return input.checked;
  if (kind === "files") return null; // sent on their own, before the action (sendFiles)
  if (kind === "number") return input.value === "" ? null : Number(input.value);
  return input.value.trim() === "" ? null : input.value.trim();
}

// the body each action's route takes (casebook/cases/schemas.py), from the form's values
function bodyOf(action, values) {
  const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
  if (action === "satisfaction") return { verdict: body.verdict || "satisfied", source: "agent", comment: body.comment || "" };
  if (action === "interview/outcome") return { satisfied: Boolean(values.satisfied), notes: body.notes || "" };
  if (action === "called-back") return { reached: Boolean(values.reached), note: body.note || "" };
  if (action === "extension/decision") return { ...body, granted: values.granted !== "false" };
  return body;
}

function confirmation(action, c, names, i18n) {
  const t = (key, ...v) => i18n.t(key, ...v);
  const lang = i18n.lang;
  const unit = (code) => nameIn(names, "units", code, lang);
  const co = (c.co_units || []).map(unit).join("、");
  switch (action) {
    case "register": return t("done.register", nameIn(names, "categories", c.category, lang), when(c.dispatch_due, lang));
    case "dispatch": return t("done.dispatch", unit(c.lead_unit), co ? t("co", co) : "", when(c.accept_due, lang), when(c.reply_due, lang));
    case "return": return t("done.return", when(c.dispatch_due, lang));
    case "accept": return t("done.accept", nameIn(names, "sections", c.lead_unit + "/" + c.lead_section, lang), when(c.reply_due, lang));
    case "reply": return t("done.reply", t("status." + c.status));
    case "extension": return t("done.extension", when(c.extensions[c.extensions.length - 1].reply_due_asked, lang));
    case "extension/decision": return t(c.extensions[c.extensions.length - 1].granted ? "done.granted" : "done.refused", when(c.reply_due, lang));
    default: return t("done.other", t("a." + action), t("status." + c.status));
  }
}

// Files go one by one before the action they come with (a reply with its photo); a file refused
// stops there, with its name and the API's reason, and the action (with its text) is not sent.
async function sendFiles(number, files, i18n) {
  const sent = [];
  for (const file of files) {
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      await api("POST", "/api/v1/cases/" + encodeURIComponent(number) + "/attachments", form);
    } catch (err) {
      if (err.status === 401) throw err;
      // the two refusals a clerk meets most, said in the page's words (the API's reason beside, in English)
      const why = { too_large: "file_too_large", unsupported_file: "file_unsupported" }[err.id];
      const reason = why ? i18n.t(why) + (i18n.lang === "en" ? "" : "（" + err.detail + "）") : i18n.reason(err);
      for (const input of document.querySelectorAll("form.action input[type=file]")) input.value = "";
      throw Object.assign(new Error(i18n.t("file_refused", file.name, reason)), { status: 0, said: true, sent });
    }
    sent.push(file.name);
  }
  return sent;
}

// What the routing rules would do with the case (GET /api/v1/routing/suggestion), said under the
// register and dispatch forms, and said again when the category, place or urgency is changed; the
// dispatch form starts with the rules' co-handling units chosen.
async function routeHint(form, c, names, i18n, { preselect = false } = {}) {
  const hint = document.createElement("p");
  hint.className = "hint route-hint";
  form.querySelector("button[type=submit]").before(hint);
  const field = (name) => form.querySelector(`[name='${name}']`);
  const unit = (code) => nameIn(names, "units", code, i18n.lang);
  let touched = false; // what the clerk chose is never replaced by the rules' answer
  for (const event of ["mousedown", "keydown", "change"]) field("co_units")?.addEventListener(event, () => { touched = true; });
  const tell = async () => {
    const category = (field("category") && field("category").value) || c.category;
    if (!category) { hint.textContent = ""; return; }
    const asked = new URLSearchParams({ category, urgency: (field("urgency") && field("urgency").value) || c.urgency || "normal" });
    const place = field("place") ? field("place").value : c.place;
    if (place) asked.set("place", place);
    try {
      const r = await api("GET", "/api/v1/routing/suggestion?" + asked.toString());
      const co = r.co_units.map(unit).join("、");
      hint.textContent = i18n.t("route_hint", unit(r.lead_unit), co ? i18n.t("co", co) : "", r.deadline_hours);
      if (preselect && !touched && field("co_units")) {
        for (const option of field("co_units").options) option.selected = r.co_units.includes(option.value);
        preselect = false; // once: what the clerk then chooses stays
      }
    } catch (err) {
      hint.textContent = err.status === 404 ? i18n.t("route_none") : i18n.reason(err);
    }
  };
  for (const name of ["category", "place", "urgency"]) if (field(name)) field(name).addEventListener("change", tell);
  await tell();
}

const draftKey = (number, action, field) => `draft:${number}:${action}:${field}`;

// actions sent and not yet answered: the page's live feed leaves the case to their answers
export const sending = { count: 0 };

// `drawn(caseNow, message)` redraws the page with the case as the API now has it
export function drawActions(c, names, i18n, drawn) {
  const t = (key, ...v) => i18n.t(key, ...v);
  const box = $("actions");
  if (!(c.actions || []).length) {
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "hint", textContent: t("no_actions") }));
    return;
  }
  box.replaceChildren(...c.actions.map((action) => {
    const form = document.createElement("form");
    form.className = "action";
    form.dataset.action = action;
    const title = document.createElement("h3");
    title.textContent = t("a." + action);
    form.append(title);
    const waiting = (c.extensions || []).find((x) => x.decided_at === null);
    if (action === "extension/decision" && waiting) {
      const ask = document.createElement("p");
      ask.className = "hint";
      ask.textContent = t("ext_waiting", nameIn(names, "units", waiting.unit, i18n.lang), when(waiting.reply_due_asked, i18n.lang), waiting.reason);
      form.append(ask);
    }
    const fields = fieldsOf(action, c, names).map(([name, kind, options, value]) => {
      const input = control(i18n, kind, options || [], value);
      input.name = name;
      if (kind === "area" || kind === "input") {
        const key = draftKey(c.number, action, name);
        input.value = sessionStorage.getItem(key) || input.value || "";
        input.addEventListener("input", () => sessionStorage.setItem(key, input.value));
      }
      const wrap = document.createElement("label");
      wrap.append(t("fld." + name) + " ", input);
      form.append(wrap);
      return [name, kind, input];
    });
    const send = document.createElement("button");
    send.type = "submit";
    send.textContent = t("a." + action);
    const said = document.createElement("p");
    said.className = "error";
    said.setAttribute("role", "alert");
    form.append(send, said);
    if (action === "register" || action === "dispatch") routeHint(form, c, names, i18n, { preselect: action === "dispatch" });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (send.disabled) return;
      send.disabled = true;
      said.textContent = "";
      const values = Object.fromEntries(fields.map(([name, kind, input]) => [name, valueOf(kind, input)]));
      const files = fields.filter(([, kind]) => kind === "files").flatMap(([, , input]) => [...input.files]);
      sending.count += 1;
      try {
        const sent = await sendFiles(c.number, files, i18n);
        for (const [, kind, input] of fields) if (kind === "files") input.value = "";
        const path = "/api/v1/cases/" + encodeURIComponent(c.number);
        let said = "";
        let now;
        if (action === "attachments") now = await api("GET", path);
        else if (action === "callback") { // answers with the call arranged, not the case
          const call = await api("POST", path + "/callback");
          said = t("done.callback", when(call.next_attempt_at, i18n.lang), call.placing ? "" : call.note);
          now = await api("GET", path);
        } else now = await api("POST", path + "/" + action, bodyOf(action, values));
        for (const [name] of fields) sessionStorage.removeItem(draftKey(c.number, action, name));
        const attached = sent.length ? t("done.attached", sent.length, sent.join("、")) : "";
        const done = action === "attachments" ? attached : said || [confirmation(action, now, names, i18n), attached].join(" ").trim();
        await drawn(now, done);
      } catch (err) {
        send.disabled = false;
        if (err.status === 401) return; // the login form shows; the text stays in the tab
        said.textContent = err.said ? err.message : i18n.reason(err);
        if (err.said && err.sent.length) {
          const attached = t("done.attached", err.sent.length, err.sent.join("、"));
          try { await drawn(await api("GET", "/api/v1/cases/" + encodeURIComponent(c.number)), attached, err.message); } catch (again) { /* said above */ }
        }
        if (err.status === 409 || err.status === 404) {
          try {
            await drawn(await api("GET", "/api/v1/cases/" + encodeURIComponent(c.number)), "", t("changed") + " " + i18n.reason(err));
          } catch (again) { /* the refusal above says enough */ }
        }
      } finally {
        sending.count -= 1;
      }
    });
    return form;
  }));
}
