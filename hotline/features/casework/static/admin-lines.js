// The administration page's lines tab: the hotline numbers the center answers, each with its
// greeting, its opening hours, the queue its callers wait in and the category its appeals start
// with. The page edits one line and saves them all (PUT /api/v1/lines); the telephone system takes
// them within seconds, and the page says so when it has (`in_asterisk`).
import { $, api, getJson } from "/pages/client.js";

export const LINES_TEXT = {
  zh: {
    tab_lines: "热线号码", lines_title: "热线号码（来电按所拨号码问候、按时段开放、进入队列）",
    l_number: "号码", l_name: "名称", l_language: "语言", l_hours: "开放时间", l_queue: "排队队列", l_category: "默认类别",
    l_greeting_zh: "中文问候语", l_greeting_en: "英文问候语", l_name_zh: "中文名称", l_name_en: "英文名称",
    l_code: "代码（小写字母、数字、-，用于录音文件名，保存后不可改）",
    l_hours_mode: "开放", hours_always: "全天开放", hours_rules: "按时段开放", hours_never: "停用（一律不接听，请来电者改拨）",
    l_rules: "时段（每行一条，如 mon-fri 08:30-12:00）",
    l_wait_unstaffed: "开放时间内无人签入也排队等候（否则直接留言）", l_queue_wait: "最长等候（秒，空为系统默认；随时按 1 可留言）",
    l_waiting: "转人工", waits_unstaffed: "无人也排队", waits_staffed: "有人签入才排队", wait_default: "默认时长",
    lang_zh: "中文", lang_en: "英文", line_new: "新增热线", line_save: "保存热线", lines_reset: "恢复安装时的热线",
    line_edit_title: "编辑热线 {0}", line_new_title: "新增热线",
    line_saved: "已保存热线 {0}。{1}", line_removed: "已删除热线 {0}。{1}",
    lines_reset_done: "已恢复安装时的热线。{0}",
    in_asterisk: "电话系统已采用：来电即按此接听（{0}）。", not_in_asterisk: "正在送到电话系统……",
    asterisk_took: "电话系统已采用，新来电即按此接听。",
    asterisk_slow: "电话系统还未采用（半分钟内）：请查看系统状态页，电话进程可能未运行。",
    from_admin: "由管理员 {0} 设定（{1}）", from_install: "安装时的热线文件",
    line_confirm_remove: "删除热线 {0}？此后拨打该号码的来电将听到“号码不存在”。",
    line_confirm_reset: "恢复安装时的热线？管理员所做的修改将全部丢弃。",
    day_mon: "周一", day_tue: "周二", day_wed: "周三", day_thu: "周四", day_fri: "周五", day_sat: "周六", day_sun: "周日",
    bad_rule: "第 {0} 行看不懂：应写成 “mon-fri 08:30-12:00”",
    queue_without_agents: "注意：队列 {0} 还没有坐席（在“坐席话机”中给坐席加上技能 {0}），按 3 转人工的来电将只能留言。",
  },
  en: {
    tab_lines: "Hotline numbers", lines_title: "Hotline numbers (callers are greeted by the number dialled, in its hours, into its queue)",
    l_number: "Number", l_name: "Name", l_language: "Language", l_hours: "Open", l_queue: "Queue", l_category: "Default category",
    l_greeting_zh: "Greeting in Chinese", l_greeting_en: "Greeting in English", l_name_zh: "Name in Chinese", l_name_en: "Name in English",
    l_code: "Code (lower-case letters, digits, -; names the greeting's sound file; fixed once saved)",
    l_hours_mode: "Open", hours_always: "Around the clock", hours_rules: "In these hours", hours_never: "Closed (callers are told to call another number)",
    l_rules: "Hours (one rule a line, e.g. mon-fri 08:30-12:00)",
    l_wait_unstaffed: "In its hours, callers wait in the queue even with nobody signed in (else a message at once)",
    l_queue_wait: "Longest wait (seconds; empty: the installation's; key 1 leaves a message any time)",
    l_waiting: "To a person", waits_unstaffed: "waits even unstaffed", waits_staffed: "waits when staffed", wait_default: "default wait",
    lang_zh: "Chinese", lang_en: "English", line_new: "New line", line_save: "Save the line", lines_reset: "Back to the installation's lines",
    line_edit_title: "Edit line {0}", line_new_title: "New line",
    line_saved: "Saved line {0}. {1}", line_removed: "Removed line {0}. {1}",
    lines_reset_done: "Back to the installation's lines. {0}",
    in_asterisk: "The telephone system answers these lines now ({0}).", not_in_asterisk: "Being brought to the telephone system...",
    asterisk_took: "The telephone system has taken them: the next call is answered so.",
    asterisk_slow: "The telephone system has not taken them yet (half a minute): see the status page, telephony may not be running.",
    from_admin: "set by {0} ({1})", from_install: "the installation's lines file",
    line_confirm_remove: "Remove line {0}? Callers of that number will hear \"number unknown\".",
    line_confirm_reset: "Back to the installation's lines? Every change the administrators made is dropped.",
    day_mon: "Mon", day_tue: "Tue", day_wed: "Wed", day_thu: "Thu", day_fri: "Fri", day_sat: "Sat", day_sun: "Sun",
    bad_rule: "Line {0} is not understood: write it as \"mon-fri 08:30-12:00\"",
    queue_without_agents: "Note: nobody answers the queue {0} yet (give agents the skill {0} under \"Agents' phones\"): callers pressing 3 can only leave a message.",
  },
};

const RULE = /^\s*([a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$/i;

// ctx: { t, act, refuse, button, cell, lang: () => "zh"|"en", when: (iso) => local words }
export function linesTab(ctx) {
  const { t } = ctx;
  let lines = [];
  let categories = [];
  let editing = null; // the code of the line in the form, or null for a new one

  const days = (spec) => spec.replace(/[a-z]{3}/gi, (d) => t("day_" + d.toLowerCase()))
    .replace(/-/g, ctx.lang() === "en" ? "–" : "至").replace(/,/g, ctx.lang() === "en" ? ", " : "、");
  const hhmm = (time) => String(time).slice(0, 5);
  function hoursInWords(hours) {
    if (hours === null || hours === undefined) return t("hours_always");
    if (hours.length === 0) return t("hours_never");
    return hours.map((r) => `${days(r.days)} ${hhmm(r.open)}–${hhmm(r.close)}`).join(ctx.lang() === "en" ? "; " : "；");
  }
  const categoryName = (code) => {
    const c = categories.find((x) => x.code === code);
    return c ? (ctx.lang() === "en" ? c.name_en : c.name_zh) : code;
  };

  function draw(stored) {
    $("line-rows").replaceChildren(...lines.map((line) => {
      const row = document.createElement("tr");
      row.dataset.number = line.number;
      const actions = ctx.cell("");
      actions.className = "actions";
      actions.append(
        ctx.button("edit", () => fill(line)),
        ctx.button("drop", () => remove(line)),
      );
      row.append(
        ctx.cell(line.number),
        ctx.cell(ctx.lang() === "en" ? line.name_en : line.name_zh),
        ctx.cell(t("lang_" + line.language)),
        ctx.cell(hoursInWords(line.hours)),
        ctx.cell(line.default_queue),
        ctx.cell(categoryName(line.default_category)),
        ctx.cell(t(line.wait_unstaffed ? "waits_unstaffed" : "waits_staffed") + " · "
          + (line.queue_wait_s ? line.queue_wait_s + " s" : t("wait_default"))),
        actions,
      );
      return row;
    }));
    $("lines-source").textContent = stored.set_by_administrator
      ? t("from_admin", stored.updated_by, ctx.when(stored.updated_at))
      : t("from_install");
    $("lines-state").textContent = stored.in_asterisk ? t("in_asterisk", ctx.when(stored.applied_at)) : t("not_in_asterisk");
  }

  function fill(line) {
    const form = $("line-form");
    editing = line ? line.code : null;
    $("line-form-title").textContent = line ? t("line_edit_title", line.number) : t("line_new_title");
    const value = line || { number: "", code: "", name_zh: "", name_en: "", greeting: { zh: "", en: "" }, language: "zh",
      hours: null, default_queue: "intake", default_category: "general" };
    for (const name of ["number", "code", "name_zh", "name_en", "language", "default_queue"]) form.elements[name].value = value[name];
    form.elements.code.readOnly = Boolean(line);
    form.elements.greeting_zh.value = value.greeting.zh;
    form.elements.greeting_en.value = value.greeting.en;
    form.elements.default_category.replaceChildren(
      ...categories.map((c) => new Option(`${categoryName(c.code)} · ${c.code}`, c.code)),
    );
    form.elements.default_category.value = value.default_category;
    form.elements.wait_unstaffed.checked = Boolean(value.wait_unstaffed);
    form.elements.queue_wait_s.value = value.queue_wait_s || "";
    const mode = value.hours === null || value.hours === undefined ? "always" : value.hours.length ? "rules" : "never";
    form.elements.hours_mode.value = mode;
    form.elements.rules.value = (value.hours || []).map((r) => `${r.days} ${hhmm(r.open)}-${hhmm(r.close)}`).join("\n");
    form.elements.rules.disabled = mode !== "rules";
    form.hidden = false;
    form.elements[line ? "name_zh" : "number"].focus();
  }

  function fromForm(form) {
    const el = form.elements;
    let hours = null;
    if (el.hours_mode.value === "never") hours = [];
    if (el.hours_mode.value === "rules") {
      hours = el.rules.value.split("\n").map((s) => s.trim()).filter(Boolean).map((text, at) => {
        const m = RULE.exec(text);
        if (!m) throw new Error(t("bad_rule", at + 1));
        return { days: m[1].replace(/\s+/g, "").toLowerCase(), open: m[2].padStart(5, "0"), close: m[3].padStart(5, "0") };
      });
    }
    return {
      number: el.number.value.trim(), code: el.code.value.trim(), name_zh: el.name_zh.value.trim(), name_en: el.name_en.value.trim(),
      greeting: { zh: el.greeting_zh.value.trim(), en: el.greeting_en.value.trim() }, language: el.language.value,
      hours, default_queue: el.default_queue.value.trim(), default_category: el.default_category.value,
      wait_unstaffed: el.wait_unstaffed.checked, queue_wait_s: el.queue_wait_s.value ? Number(el.queue_wait_s.value) : null,
    };
  }

  // after a change: wait (up to half a minute) for the telephone system to take the lines
  async function untilTaken() {
    for (let i = 0; i < 60; i += 1) {
      const stored = await getJson("/api/v1/lines");
      if (stored.in_asterisk) {
        lines = stored.lines;
        draw(stored);
        return t("asterisk_took");
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return t("asterisk_slow");
  }

  async function save(next, words) {
    const stored = await api("PUT", "/api/v1/lines", { lines: next });
    lines = stored.lines;
    draw(stored);
    return words + " " + (await untilTaken());
  }

  function remove(line) {
    if (!window.confirm(t("line_confirm_remove", line.number))) return;
    ctx.act(async () => {
      const done = await save(lines.filter((l) => l.code !== line.code), "");
      return t("line_removed", line.number, done.trim());
    });
  }

  async function show() {
    const [stored, cats] = await Promise.all([getJson("/api/v1/lines"), getJson("/api/v1/categories")]);
    categories = cats;
    lines = stored.lines;
    draw(stored);
  }

  $("line-new").addEventListener("click", () => fill(null));
  $("line-form").elements.hours_mode.addEventListener("change", (ev) => {
    $("line-form").elements.rules.disabled = ev.target.value !== "rules";
  });
  $("line-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      const line = fromForm(ev.target);
      const next = editing === null ? [...lines, line] : lines.map((l) => (l.code === editing ? line : l));
      const done = await save(next, "");
      ev.target.hidden = true;
      const agents = await getJson("/api/v1/agents");
      const answered = agents.some((a) => Object.keys(a.skills || {}).includes(line.default_queue));
      return t("line_saved", line.number, done.trim()) + (answered ? "" : " " + t("queue_without_agents", line.default_queue));
    });
  });
  $("lines-reset").addEventListener("click", () => {
    if (!window.confirm(t("line_confirm_reset"))) return;
    ctx.act(async () => {
      const stored = await api("DELETE", "/api/v1/lines");
      lines = stored.lines;
      draw(stored);
      return t("lines_reset_done", await untilTaken());
    });
  });
  return { show };
}
