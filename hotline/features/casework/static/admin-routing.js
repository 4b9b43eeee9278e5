// The administration page's routing tab: the routing rules (in order: the first that matches a
// case's category and township names its lead unit) saved together, and the handling deadlines.
import { $, api, getJson } from "/pages/client.js";

export const ROUTING_TEXT = {
  zh: {
    tab_routing: "分拨规则与时限", routing_title: "分拨规则（自上而下，第一条符合的规则决定牵头单位）",
    r_category: "类别", r_township: "乡镇", r_lead: "牵头单位", r_fallback: "无乡镇时", r_co: "协办单位（逗号分隔代码）",
    r_urgency: "紧急程度", r_hours: "小时", rule_add: "添加规则", rules_save: "保存全部规则", deadlines_title: "办理时限（转办后的小时数）",
    any_township: "（任意）", case_township: "（案件所在乡镇）", r_no_unit: "（无）", up: "上移", down: "下移", drop: "删除",
    rules_saved: "已保存 {0} 条分拨规则，新案件即按此分拨。", deadline_saved: "已把 {0}（{1}）的办理时限设为 {2} 小时。",
    default_category: "（默认）", urgency_normal: "一般", urgency_urgent: "紧急", urgency_critical: "特急",
    hours_title: "满意度回访时段（只在此时段内给群众打电话）", hours_window: "时段（时:分-时:分）",
    hours_from_admin: "由管理员设定", hours_from_install: "安装时的设定（HOTLINE_CALLBACK_HOURS）",
    hours_saved: "已把回访时段设为 {0}：半分钟内各进程生效，此时段外的回访等到下一个时段。",
  },
  en: {
    tab_routing: "Routing and deadlines", routing_title: "Routing rules (top down: the first that matches names the lead unit)",
    r_category: "Category", r_township: "Township", r_lead: "Lead unit", r_fallback: "If no township",
    r_co: "Co-handling units (codes, comma separated)", r_urgency: "Urgency", r_hours: "Hours", rule_add: "Add a rule",
    rules_save: "Save all rules", deadlines_title: "Handling deadlines (hours after dispatch)",
    any_township: "(any)", case_township: "(the case's township)", r_no_unit: "(none)", up: "Up", down: "Down", drop: "Remove",
    rules_saved: "Saved {0} routing rules: new cases are routed by them.", deadline_saved: "Set the deadline of {0} ({1}) to {2} hours.",
    default_category: "(default)", urgency_normal: "normal", urgency_urgent: "urgent", urgency_critical: "critical",
    hours_title: "Satisfaction callbacks' hours (citizens are called within them only)", hours_window: "Hours (HH:MM-HH:MM)",
    hours_from_admin: "set by an administrator", hours_from_install: "the installation's (HOTLINE_CALLBACK_HOURS)",
    hours_saved: "Callbacks now call within {0} (every process within half a minute; others wait for the next window).",
  },
};

const URGENCIES = ["normal", "urgent", "critical"];

// ctx: { t, act, refuse, button, cell, names: () => directoryNames result, lang: () => "zh"|"en" }
export function routingTab(ctx) {
  const { t } = ctx;
  let rules = [];
  let units = [];
  let categories = [];

  const option = (value, text) => new Option(text, value);
  const unitName = (u) => (ctx.lang() === "en" ? u.name_en : u.name_zh) + " · " + u.code;

  function select(name, choices, value) {
    const el = document.createElement("select");
    el.name = name;
    el.append(...choices);
    el.value = value ?? "";
    return el;
  }

  function drawRules() {
    const townships = units.filter((u) => u.kind === "township");
    $("rule-rows").replaceChildren(...rules.map((rule, at) => {
      const row = document.createElement("tr");
      const cats = categories.map((c) => option(c.code, (ctx.lang() === "en" ? c.name_en : c.name_zh) + " · " + c.code));
      const leads = [option("@township", t("case_township")), ...units.map((u) => option(u.code, unitName(u)))];
      const inputs = [
        select("category", cats, rule.category),
        select("township", [option("", t("any_township")), ...townships.map((u) => option(u.code, unitName(u)))], rule.township),
        select("lead", leads, rule.lead),
        select("fallback_lead", [option("", t("r_no_unit")), ...units.map((u) => option(u.code, unitName(u)))], rule.fallback_lead),
      ];
      const co = document.createElement("input");
      co.name = "co_units";
      co.value = (rule.co_units || []).join(",");
      co.size = 16;
      for (const el of [...inputs, co]) {
        el.addEventListener("change", () => {
          const value = el.value.trim();
          rule[el.name] = el.name === "co_units" ? value.split(/[,，、\s]+/).filter(Boolean) : value || null;
        });
      }
      const move = (step) => () => {
        const to = at + step;
        if (to < 0 || to >= rules.length) return;
        [rules[at], rules[to]] = [rules[to], rules[at]];
        drawRules();
      };
      const actions = ctx.cell("");
      actions.className = "actions";
      actions.append(ctx.button("up", move(-1)), ctx.button("down", move(1)),
        ctx.button("drop", () => { rules.splice(at, 1); drawRules(); }));
      const cells = [at + 1, ...inputs, co].map((x) => {
        const td = document.createElement("td");
        td.append(x instanceof Node ? x : String(x));
        return td;
      });
      row.append(...cells, actions);
      return row;
    }));
  }

  async function drawDeadlines() {
    const rows = await getJson("/api/v1/deadlines");
    const name = (code) => {
      if (code === "default") return t("default_category");
      const c = categories.find((x) => x.code === code);
      return c ? (ctx.lang() === "en" ? c.name_en : c.name_zh) : code;
    };
    $("deadline-rows").replaceChildren(...rows.map((d) => {
      const row = document.createElement("tr");
      const actions = ctx.cell("");
      actions.append(ctx.button("edit", () => {
        const form = $("deadline-form");
        form.elements.category.value = d.category;
        form.elements.urgency.value = d.urgency;
        form.elements.hours.value = d.hours;
        form.elements.hours.focus();
      }));
      row.append(ctx.cell(name(d.category)), ctx.cell(t("urgency_" + d.urgency)), ctx.cell(String(d.hours)), actions);
      return row;
    }));
    const form = $("deadline-form");
    form.elements.category.replaceChildren(option("default", t("default_category")),
      ...categories.map((c) => option(c.code, name(c.code) + " · " + c.code)));
    form.elements.urgency.replaceChildren(...URGENCIES.map((u) => option(u, t("urgency_" + u))));
  }

  async function show() {
    [rules, units, categories] = await Promise.all(
      ["/api/v1/routing-rules", "/api/v1/units", "/api/v1/categories"].map((p) => getJson(p)),
    );
    rules = rules.map(({ position, ...rule }) => rule);
    drawRules();
    await drawDeadlines();
    await drawHours();
  }

  async function drawHours() {
    const hours = await getJson("/api/v1/settings/callback-hours");
    $("hours-form").elements.hours.value = hours.hours;
    $("hours-source").textContent = t(hours.set_by_administrator ? "hours_from_admin" : "hours_from_install");
  }

  $("rule-add").addEventListener("click", () => {
    rules.push({ category: categories[0]?.code, township: null, lead: units[0]?.code, fallback_lead: null, co_units: [] });
    drawRules();
  });
  $("rules-save").addEventListener("click", () => ctx.act(async () => {
    const body = rules.map((r) => ({ ...r, township: r.township || null, fallback_lead: r.fallback_lead || null }));
    const saved = await api("PUT", "/api/v1/routing-rules", { rules: body });
    await show();
    return t("rules_saved", saved.length);
  }));
  $("deadline-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const [category, urgency, hours] = [form.elements.category.value, form.elements.urgency.value, form.elements.hours.value];
    ctx.act(async () => {
      const path = `/api/v1/deadlines/${encodeURIComponent(category)}/${urgency}?hours=${encodeURIComponent(hours)}`;
      await api("PUT", path);
      await drawDeadlines();
      return t("deadline_saved", category, t("urgency_" + urgency), hours);
    });
  });
  $("hours-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const hours = ev.target.elements.hours.value.trim();
    ctx.act(async () => {
      const done = await api("PUT", "/api/v1/settings/callback-hours", { hours });
      await drawHours();
      return t("hours_saved", done.hours);
    });
  });
  return { show };
}
