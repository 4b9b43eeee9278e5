// The administration page's directory tab: units (with sections), categories (with the words that
// screen appeals into them), places (the gazetteer); and CSV import and export of units, places and
// people. Each kind is a table and one form: a row's "Edit" fills the form, "New" empties it.
import { $, api, getJson } from "/pages/client.js";

export const DIRECTORY_TEXT = {
  zh: {
    tab_directory: "单位、类别、地点", directory_title: "单位、类别、地点（分拨与分类依据）",
    kind_units: "承办单位", kind_categories: "诉求类别与关键词", kind_places: "地点", kind_users: "人员",
    new_entry: "新建", edit_entry: "修改 {0}", new_of: "新建{0}",
    d_code: "代码（小写字母、数字、. @ -）", d_kind: "类型", d_name_zh: "中文名称", d_name_en: "英文名称",
    d_email: "通知邮箱（可空）", d_phone: "值班电话（可空：坐席可转接、会办）", d_active: "在用", d_sections: "科室（每行：代码=名称）", d_parent: "上级类别（顶级留空）",
    d_keywords: "关键词（用逗号或顿号分隔）", d_township: "所属乡镇（可空）", d_aliases: "别名（用逗号分隔）",
    kind_department: "部门", kind_township: "乡镇", kind_center: "中心", yes: "是", no: "否",
    dir_saved: "已保存{0} {1}。", dir_made: "已新建{0} {1}。",
    csv_title: "CSV 导入导出（单位、地点、人员）", csv_kind: "内容", csv_export: "导出", csv_import: "导入",
    csv_file: "导入文件（UTF-8 CSV，列同导出）", csv_exported: "已导出 {0}。", csv_no_file: "请先选择要导入的文件。",
    csv_done: "已导入：新建 {0} 条，更新 {1} 条。", csv_passwords: "新人员的初始密码（只显示这一次）：{0}",
    place_confirm_remove: "从地名库删除“{0}”？（已有诉求用到的地点不能删除）", place_removed: "已删除地点 {0}（{1}）。",
  },
  en: {
    tab_directory: "Units, categories, places", directory_title: "Units, categories, places (what routing and screening use)",
    kind_units: "Units", kind_categories: "Categories and their words", kind_places: "Places", kind_users: "People",
    new_entry: "New", edit_entry: "Edit {0}", new_of: "New: {0}",
    d_code: "Code (lower-case letters, digits, . @ -)", d_kind: "Kind", d_name_zh: "Chinese name", d_name_en: "English name",
    d_email: "E-mail for notices (may be empty)", d_phone: "Duty phone (may be empty: agents transfer and call it in)", d_active: "active", d_sections: "Sections (one a line: code=name)",
    d_parent: "Parent category (empty: top level)", d_keywords: "Words (separated by commas)",
    d_township: "Township (may be empty)", d_aliases: "Other names (separated by commas)",
    kind_department: "department", kind_township: "township", kind_center: "center", yes: "yes", no: "no",
    dir_saved: "Saved the {0} {1}.", dir_made: "Created the {0} {1}.",
    csv_title: "CSV import and export (units, places, people)", csv_kind: "What", csv_export: "Export", csv_import: "Import",
    csv_file: "File to import (UTF-8 CSV, the export's columns)", csv_exported: "Exported {0}.",
    csv_no_file: "Choose the file to import first.", csv_done: "Imported: {0} made, {1} changed.",
    csv_passwords: "The new people's first passwords (shown this once): {0}",
    place_confirm_remove: "Remove \"{0}\" from the gazetteer? (A place a case names cannot be removed.)",
    place_removed: "Removed the place {0} ({1}).",
  },
};

const split = (text) => text.split(/[,，、\n]/).map((w) => w.trim()).filter(Boolean);

// each kind: its list, columns, form fields, and the body of its PUT
const KINDS = {
  units: {
    list: "/api/v1/units?include_inactive=true",
    put: (code) => "/api/v1/units/" + encodeURIComponent(code),
    columns: (u, t) => [u.code, t("kind_" + u.kind), u.name_zh, u.name_en, u.active ? t("yes") : t("no"), u.email || "",
      u.phone || "", (u.sections || []).map((s) => s.name_zh).join("、")],
    heads: ["d_code", "d_kind", "d_name_zh", "d_name_en", "d_active", "d_email", "d_phone", "d_sections"],
    fields: [["code", "text"], ["kind", ["department", "township", "center"]], ["name_zh", "text"], ["name_en", "text"],
      ["email", "text"], ["phone", "text"], ["active", "checkbox"], ["sections", "area"]],
    fill: (u) => ({ ...u, sections: (u.sections || []).map((s) => s.code + "=" + s.name_zh).join("\n") }),
    body: (f) => ({
      kind: f.kind, name_zh: f.name_zh, name_en: f.name_en, active: f.active, email: f.email || null, phone: f.phone || null,
      sections: f.sections.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
        const [code, ...name] = l.split("=");
        return { code: code.trim(), name_zh: name.join("=").trim() || code.trim() };
      }),
    }),
  },
  categories: {
    list: "/api/v1/categories",
    put: (code) => "/api/v1/categories/" + encodeURIComponent(code),
    columns: (c) => [c.code, c.parent || "", c.name_zh, c.name_en, (c.keywords || []).join("、")],
    heads: ["d_code", "d_parent", "d_name_zh", "d_name_en", "d_keywords"],
    fields: [["code", "text"], ["parent", "text"], ["name_zh", "text"], ["name_en", "text"], ["keywords", "area"]],
    fill: (c) => ({ ...c, keywords: (c.keywords || []).join("、") }),
    body: (f) => ({ name_zh: f.name_zh, name_en: f.name_en, parent: f.parent || null, keywords: split(f.keywords) }),
  },
  places: {
    list: "/api/v1/places",
    put: (code) => "/api/v1/places/" + encodeURIComponent(code),
    columns: (p) => [p.code, p.name_zh, p.township || "", (p.aliases || []).join("、")],
    heads: ["d_code", "d_name_zh", "d_township", "d_aliases"],
    fields: [["code", "text"], ["name_zh", "text"], ["township", "text"], ["aliases", "text"]],
    fill: (p) => ({ ...p, aliases: (p.aliases || []).join("、") }),
    body: (f) => ({ name_zh: f.name_zh, township: f.township || null, aliases: split(f.aliases) }),
  },
};

// ctx: { t, act(work) -> Promise, say(text), refuse(err), button(key, onClick), cell(text) }
export function directoryTab(ctx) {
  const { t } = ctx;
  let kind = "units";
  let drawing = 0; // the newest show(): an older one whose answer comes late draws nothing

  function drawForm(entry) {
    const spec = KINDS[kind];
    const values = entry ? spec.fill(entry) : { active: true };
    $("dir-form-title").textContent = entry ? t("edit_entry", entry.code) : t("new_of", t("kind_" + kind));
    $("dir-form").dataset.editing = entry ? entry.code : "";
    $("dir-fields").replaceChildren(...spec.fields.map(([name, type]) => {
      const label = document.createElement("label");
      const words = document.createElement("span");
      words.textContent = t("d_" + name);
      let input;
      if (Array.isArray(type)) {
        input = document.createElement("select");
        input.append(...type.map((v) => new Option(t("kind_" + v), v)));
        input.value = values[name] || type[0];
      } else if (type === "area") {
        input = document.createElement("textarea");
        input.rows = 3;
        input.value = values[name] || "";
      } else {
        input = document.createElement("input");
        input.type = type;
        if (type === "checkbox") input.checked = values[name] !== false;
        else input.value = values[name] || "";
      }
      input.name = name;
      if (name === "code" && entry) input.readOnly = true; // a code names the thing for good: cases cite it
      label.append(words, " ", input);
      return label;
    }));
  }

  async function show() {
    const spec = KINDS[kind];
    for (const b of document.querySelectorAll("#dir-kinds button")) b.setAttribute("aria-pressed", String(b.dataset.kind === kind));
    const mine = ++drawing;
    const rows = await getJson(spec.list);
    if (mine !== drawing) return; // another kind was chosen meanwhile (or a save redrew): its rows win
    $("dir-head").replaceChildren(...[...spec.heads, "col_actions"].map((key) => {
      const th = document.createElement("th");
      th.textContent = t(key);
      return th;
    }));
    $("dir-rows").replaceChildren(...rows.map((entry) => {
      const row = document.createElement("tr");
      row.dataset.code = entry.code;
      const actions = ctx.cell("");
      actions.append(ctx.button("edit", () => { drawForm(entry); $("dir-form").scrollIntoView(); }));
      if (kind === "places" && !entry.code.startsWith("township-")) {
        actions.append(ctx.button("drop", () => {
          if (!window.confirm(t("place_confirm_remove", entry.name_zh))) return;
          ctx.act(async () => {
            await api("DELETE", spec.put(entry.code));
            await show();
            return t("place_removed", entry.name_zh, entry.code);
          });
        }));
      }
      row.append(...spec.columns(entry, t).map((v) => ctx.cell(v)), actions);
      return row;
    }));
    drawForm(null);
  }

  $("dir-kinds").addEventListener("click", (ev) => {
    const chosen = ev.target.closest("button");
    if (!chosen) return;
    kind = chosen.dataset.kind;
    show().catch(ctx.refuse);
  });
  $("dir-new").addEventListener("click", () => drawForm(null));
  $("dir-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const values = {};
    for (const el of form.querySelectorAll("#dir-fields [name]")) values[el.name] = el.type === "checkbox" ? el.checked : el.value.trim();
    const spec = KINDS[kind];
    const what = t("kind_" + kind);
    ctx.act(async () => {
      const done = await api("PUT", spec.put(values.code), spec.body(values));
      await show();
      return t(done.created ? "dir_made" : "dir_saved", what, values.code);
    });
  });
  $("csv-export").addEventListener("click", async () => {
    const which = $("csv-kind").value;
    const path = which === "users" ? "/api/v1/users.csv" : `/api/v1/directory/${which}.csv`;
    try {
      const answer = await api("GET", path, undefined, { raw: true });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await answer.blob());
      link.download = which + ".csv";
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      ctx.say(t("csv_exported", which + ".csv"));
    } catch (err) {
      ctx.refuse(err);
    }
  });
  $("csv-import").addEventListener("click", () => {
    const file = $("csv-file").files[0];
    if (!file) { ctx.refuse(new Error(t("csv_no_file"))); return; }
    const which = $("csv-kind").value;
    const path = which === "users" ? "/api/v1/users.csv" : `/api/v1/directory/${which}.csv`;
    ctx.act(async () => {
      const done = await api("POST", path, new Blob([await file.text()], { type: "text/csv" }));
      $("csv-file").value = "";
      await show();
      const passwords = Object.entries(done.passwords || {}).map(([who, pw]) => who + "：" + pw).join("；");
      return t("csv_done", done.created, done.updated) + (passwords ? " " + t("csv_passwords", passwords) : "");
    });
  });
  return { show };
}
