// The administrator's page (/admin): people and their access, Open311 keys, and the audit log.
// Every action says what it did; a new password or key is shown once, as the API gives it once.
import { $, api, getJson, query } from "/pages/client.js";
import { directoryNames, nameIn, openPage, when } from "/casework/casework.js";
import { DIRECTORY_TEXT, directoryTab } from "/casework/admin-directory.js";
import { LINES_TEXT, linesTab } from "/casework/admin-lines.js";
import { MODELS_TEXT, modelsPanel } from "/casework/admin-models.js";
import { ROUTING_TEXT, routingTab } from "/casework/admin-routing.js";

const ROLES = ["intake_agent", "unit_handler", "supervisor", "leader", "admin"];

const TEXT = {
  zh: {
    tab_people: "人员", tab_keys: "接口密钥", tab_audit: "审计日志", tab_phones: "坐席话机",
    phones_title: "坐席话机（新建后几秒内即可注册，无需重载）", col_extension: "分机号", new_phone: "给坐席配话机",
    f_agent: "坐席（受理坐席或督办）", f_extension: "分机号（4到6位数字，不以0开头）", new_sip: "换新密码", remove: "收回",
    phone_made: "已为 {0} 配分机 {1}。SIP 密码只显示这一次，请设置到话机上（几秒内即可注册）：{2}",
    phone_password: "分机 {0} 的新 SIP 密码（只显示这一次，旧密码几秒内失效）：{1}",
    phone_removed: "已收回分机 {0}（{1}）：几秒内电话系统不再接受它注册。", confirm_remove: "收回分机 {0}？",
    confirm_new_sip: "为分机 {0} 换新密码？旧密码几秒内失效。",
    people_title: "人员与权限", keys_title: "Open311 接口密钥（网站、信箱、微博微信等渠道）", audit_title: "审计日志（只增不改）",
    col_user: "用户名", col_name: "姓名", col_role: "角色", col_unit: "单位", col_state: "状态", col_last: "最近登录",
    col_actions: "操作", col_key: "名称", col_channel: "渠道", col_created: "创建", col_at: "时间", col_actor: "操作人",
    col_address: "地址", col_what: "操作", col_target: "对象", col_outcome: "结果", col_change: "变更",
    f_user: "用户名（字母、数字、. _ @ -）", f_name: "姓名", f_role: "角色", f_unit: "单位（承办单位人员必填）",
    f_password: "初始密码（至少10位，不能含用户名，不能是常见密码；留空：用县统一身份目录登录）", f_key_name: "名称",
    f_channel: "渠道（只能提交和查看本渠道的诉求）", f_actor: "操作人", f_target: "对象（如 case:2612 或 user:li）",
    f_action: "操作含", f_since: "自", f_until: "至", export: "导出 CSV", search: "查找", more: "更多",
    admins_only: "本页面仅供系统管理员使用。请用管理员账号登录，或回到首页。",
    new_user: "新建人员", new_key: "新建密钥", create: "新建", save: "保存", cancel: "取消", no_unit: "（无）",
    state_active: "在用", state_disabled: "已停用", state_locked: "已锁定至 {0}", state_revoked: "已吊销 {0}",
    never: "从未", edit: "修改", disable: "停用", enable: "启用", reset: "重置密码", sign_out: "全部登出", unlock: "解锁",
    revoke: "吊销", edit_title: "修改 {0}",
    created_user: "已新建人员 {0}（{1}）。", saved_user: "已保存 {0} 的修改。",
    disabled_user: "已停用 {0}：其所有登录已失效，不能再登录。", enabled_user: "已启用 {0}。",
    reset_done: "已为 {0} 重置密码，其所有登录已失效。新密码（只显示这一次，请交给本人）：{1}",
    signed_out: "已让 {0} 在所有设备上登出（{1} 个登录失效）。", unlocked: "已解锁 {0}，可以重新登录。",
    confirm_disable: "停用 {0}？其所有登录将立即失效。", confirm_reset: "重置 {0} 的密码？其所有登录将立即失效。",
    key_made: "已新建密钥 {0}（渠道 {1}）。密钥只显示这一次，请立即复制给对接方：{2}",
    key_revoked: "已吊销密钥 {0}：使用它的请求将被拒绝（各进程一分钟内生效）。", confirm_revoke: "吊销密钥 {0}？",
    no_entries: "没有符合条件的记录", exported: "已导出 {0}。", outcome_ok: "成功", outcome_refused: "被拒绝（{0}）",
    anonymous: "（未登录）",
    actions: {
      "POST /api/v1/auth/login": "登录", "POST /api/v1/auth/logout": "退出", "POST /api/v1/auth/refresh": "延长登录",
      "POST /api/v1/auth/password": "修改本人密码", "POST /api/v1/users": "新建人员",
      "PATCH /api/v1/users/{username}": "修改人员", "POST /api/v1/users/{username}/password": "重置密码",
      "POST /api/v1/users/{username}/sign-out": "全部登出", "POST /api/v1/users/{username}/unlock": "解锁",
      "POST /api/v1/api-keys": "新建密钥", "DELETE /api/v1/api-keys/{name}": "吊销密钥",
      "POST /api/v1/agents": "新建坐席话机", "POST /api/v1/agents/{extension}/sip-password": "更换话机密码",
      "DELETE /api/v1/agents/{extension}": "收回话机",
      "PUT /api/v1/routing-rules": "修改分拨规则", "PUT /api/v1/deadlines/{category}/{urgency}": "修改办理时限",
      "PUT /api/v1/units/{code}/mail": "修改单位邮件通知", "POST /api/v1/cases": "受理诉求",
      "POST /api/v1/cases/{number}/register": "登记", "POST /api/v1/cases/{number}/dispatch": "转办",
      "POST /api/v1/cases/{number}/return": "退回", "POST /api/v1/cases/{number}/accept": "签收",
      "POST /api/v1/cases/{number}/reply": "答复", "POST /api/v1/cases/{number}/close": "办结",
      "POST /api/v1/cases/{number}/reopen": "重办", "POST /api/v1/cases/{number}/merge": "合并",
      "POST /api/v1/cases/{number}/satisfaction": "满意度回访", "POST /open311/v2/requests.{fmt}": "渠道提交诉求",
    },
  },
  en: {
    tab_people: "People", tab_keys: "API keys", tab_audit: "Audit log", tab_phones: "Agents' phones",
    phones_title: "Agents' phones (a new one registers within seconds, no reload)", col_extension: "Extension",
    new_phone: "Give an agent a phone", f_agent: "Agent (intake agent or supervisor)",
    f_extension: "Extension (4 to 6 digits, not starting with 0)", new_sip: "New password", remove: "Take back",
    phone_made: "Gave {0} the extension {1}. Its SIP password is shown this once: set it in the phone (it registers within seconds): {2}",
    phone_password: "The new SIP password of {0} (shown this once; the old one stops within seconds): {1}",
    phone_removed: "Took back the extension {0} ({1}): the phone system refuses it within seconds.",
    confirm_remove: "Take back the extension {0}?", confirm_new_sip: "Give the extension {0} a new password? The old one stops within seconds.",
    people_title: "People and access", keys_title: "Open311 API keys (web form, mailbox, Weibo/WeChat...)",
    audit_title: "Audit log (append-only)",
    col_user: "User name", col_name: "Name", col_role: "Role", col_unit: "Unit", col_state: "State", col_last: "Last sign-in",
    col_actions: "Actions", col_key: "Name", col_channel: "Channel", col_created: "Created", col_at: "When", col_actor: "Who",
    col_address: "Address", col_what: "Action", col_target: "Target", col_outcome: "Outcome", col_change: "Change",
    f_user: "User name (letters, digits, . _ @ -)", f_name: "Name", f_role: "Role", f_unit: "Unit (required for unit handlers)",
    f_password: "First password (10+ characters, not the user name, not a common one; empty: the county directory signs them in)",
    f_key_name: "Name",
    f_channel: "Channel (the key sends and reads this channel's requests only)", f_actor: "Who",
    f_target: "Target (e.g. case:2612 or user:li)", f_action: "Action contains", f_since: "From", f_until: "To",
    export: "Export CSV", search: "Find", more: "More",
    admins_only: "This page is for administrators. Sign in as one, or go back to the home page.",
    new_user: "New person", new_key: "New key", create: "Create", save: "Save", cancel: "Cancel", no_unit: "(none)",
    state_active: "active", state_disabled: "disabled", state_locked: "locked until {0}", state_revoked: "revoked {0}",
    never: "never", edit: "Edit", disable: "Disable", enable: "Enable", reset: "Reset password", sign_out: "Sign out everywhere",
    unlock: "Unlock", revoke: "Revoke", edit_title: "Edit {0}",
    created_user: "Created {0} ({1}).", saved_user: "Saved the changes to {0}.",
    disabled_user: "Disabled {0}: every sign-in of theirs has ended, and they cannot sign in.", enabled_user: "Enabled {0}.",
    reset_done: "Reset {0}'s password; every sign-in of theirs has ended. The new password (shown this once: give it to them): {1}",
    signed_out: "Signed {0} out everywhere ({1} sign-ins ended).", unlocked: "Unlocked {0}: they can sign in again.",
    confirm_disable: "Disable {0}? Every sign-in of theirs ends at once.",
    confirm_reset: "Reset {0}'s password? Every sign-in of theirs ends at once.",
    key_made: "Created the key {0} (channel {1}). It is shown this once: copy it to the client now: {2}",
    key_revoked: "Revoked the key {0}: requests with it are refused (within a minute in every process).",
    confirm_revoke: "Revoke the key {0}?",
    no_entries: "No entries match", exported: "Exported {0}.", outcome_ok: "done", outcome_refused: "refused ({0})",
    anonymous: "(not signed in)",
    actions: {
      "POST /api/v1/auth/login": "sign-in", "POST /api/v1/auth/logout": "sign-out", "POST /api/v1/auth/refresh": "sign-in extended",
      "POST /api/v1/auth/password": "own password changed", "POST /api/v1/users": "person created",
      "PATCH /api/v1/users/{username}": "person changed", "POST /api/v1/users/{username}/password": "password reset",
      "POST /api/v1/users/{username}/sign-out": "signed out everywhere", "POST /api/v1/users/{username}/unlock": "unlocked",
      "POST /api/v1/api-keys": "key created", "DELETE /api/v1/api-keys/{name}": "key revoked",
      "POST /api/v1/agents": "agent phone created", "POST /api/v1/agents/{extension}/sip-password": "phone password changed",
      "DELETE /api/v1/agents/{extension}": "phone taken back",
      "PUT /api/v1/routing-rules": "routing rules changed", "PUT /api/v1/deadlines/{category}/{urgency}": "deadline changed",
      "PUT /api/v1/units/{code}/mail": "unit's e-mail changed", "POST /api/v1/cases": "appeal taken in",
      "POST /api/v1/cases/{number}/register": "registered", "POST /api/v1/cases/{number}/dispatch": "dispatched",
      "POST /api/v1/cases/{number}/return": "returned", "POST /api/v1/cases/{number}/accept": "accepted",
      "POST /api/v1/cases/{number}/reply": "replied", "POST /api/v1/cases/{number}/close": "closed",
      "POST /api/v1/cases/{number}/reopen": "reopened", "POST /api/v1/cases/{number}/merge": "merged",
      "POST /api/v1/cases/{number}/satisfaction": "satisfaction recorded", "POST /open311/v2/requests.{fmt}": "request from a channel",
    },
  },
};

// each tab's words join the page's; a word two of them name would show one tab's text in another
// (tests/unit/test_page_contract.py keeps them apart)
for (const lang of ["zh", "en"]) Object.assign(TEXT[lang], DIRECTORY_TEXT[lang], ROUTING_TEXT[lang], LINES_TEXT[lang], MODELS_TEXT[lang]);

let i18n;
let me;
let directory = null;
let routing = null;
let lines = null;
let models = null;
let names = { lists: { units: [], channels: [] } };
const t = (key, ...values) => i18n.t(key, ...values);

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function button(key, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "light";
  b.textContent = t(key);
  b.addEventListener("click", onClick);
  return b;
}

function say(message) {
  $("said").textContent = message || "";
  $("refused").textContent = "";
}

function refuse(err) {
  $("said").textContent = "";
  $("refused").textContent = i18n.reason(err);
}

// each action: the API call, then what it did in words, then the lists as they now are
async function act(work) {
  $("refused").textContent = "";  // the last refusal is not this action's
  try {
    say(await work());
    await Promise.all([showPeople(), showKeys(), showPhones()]);
  } catch (err) {
    refuse(err);
  }
}

// --- people ------------------------------------------------------------------------------------
function fillRoleAndUnit(form) {
  form.elements.role.replaceChildren(...ROLES.map((role) => new Option(t("role_" + role), role)));
  const units = names.lists.units.map((u) => new Option(nameIn(names, "units", u.code, i18n.lang), u.code));
  form.elements.unit.replaceChildren(new Option(t("no_unit"), ""), ...units);
}

function stateOf(user) {
  if (!user.active) return t("state_disabled");
  if (user.locked_until) return t("state_locked", when(user.locked_until, i18n.lang));
  return t("state_active");
}

async function showPeople() {
  const users = await getJson("/api/v1/users");
  $("people-rows").replaceChildren(...users.map((user) => {
    const row = document.createElement("tr");
    row.dataset.user = user.username;
    const actions = cell("");
    actions.className = "actions";
    actions.append(button("edit", () => openEdit(user)));
    if (user.active) actions.append(button("disable", () => setActive(user, false)));
    else actions.append(button("enable", () => setActive(user, true)));
    actions.append(button("reset", () => resetPassword(user)), button("sign_out", () => signOut(user)));
    if (user.locked_until) actions.append(button("unlock", () => unlock(user)));
    row.append(
      cell(user.username), cell(user.display_name), cell(t("role_" + user.role)),
      cell(nameIn(names, "units", user.unit, i18n.lang)), cell(stateOf(user), user.active ? "" : "muted"),
      cell(user.last_sign_in_at ? when(user.last_sign_in_at, i18n.lang) : t("never")), actions,
    );
    return row;
  }));
}

const path = (user) => "/api/v1/users/" + encodeURIComponent(user.username);

function openEdit(user) {
  const form = $("edit-form");
  fillRoleAndUnit(form);
  form.dataset.user = user.username;
  $("edit-title").textContent = t("edit_title", user.username);
  form.elements.display_name.value = user.display_name;
  form.elements.role.value = user.role;
  form.elements.unit.value = user.unit || "";
  form.hidden = false;
  form.elements.display_name.focus();
}

function setActive(user, active) {
  if (!active && !window.confirm(t("confirm_disable", user.username))) return;
  act(async () => {
    await api("PATCH", path(user), { active });
    return t(active ? "enabled_user" : "disabled_user", user.username);
  });
}

function resetPassword(user) {
  if (!window.confirm(t("confirm_reset", user.username))) return;
  act(async () => {
    const answer = await api("POST", path(user) + "/password");
    return t("reset_done", user.username, answer.password);
  });
}

function signOut(user) {
  act(async () => {
    const answer = await api("POST", path(user) + "/sign-out");
    return t("signed_out", user.username, answer.tokens_revoked);
  });
}

function unlock(user) {
  act(async () => {
    await api("POST", path(user) + "/unlock");
    return t("unlocked", user.username);
  });
}

// --- phones ------------------------------------------------------------------------------------

async function showPhones() {
  const [agents, users] = await Promise.all([getJson("/api/v1/agents"), getJson("/api/v1/users")]);

  const phoned = new Set(agents.map((a) => a.username));
  const choices = users.filter((u) => u.active && ["intake_agent", "supervisor"].includes(u.role) && !phoned.has(u.username));
  $("new-phone").elements.username.replaceChildren(
    ...choices.map((u) => new Option(u.display_name + "（" + u.username + "）", u.username)),
  );
  $("phone-rows").replaceChildren(...agents.map((agent) => {
    const row = document.createElement("tr");
    row.dataset.extension = agent.extension;
    const actions = cell("");
    actions.className = "actions";
    const at = "/api/v1/agents/" + encodeURIComponent(agent.extension);
    actions.append(
      button("new_sip", () => {
        if (!window.confirm(t("confirm_new_sip", agent.extension))) return;
        act(async () => {
          const made = await api("POST", at + "/sip-password");
          showSecret("sip-shown", t("phone_password", made.extension, made.sip_password));
          return "";
        });
      }),
      button("remove", () => {
        if (!window.confirm(t("confirm_remove", agent.extension))) return;
        act(async () => {
          await api("DELETE", at);
          $("sip-shown").hidden = true;
          return t("phone_removed", agent.extension, agent.username);
        });
      }),
    );
    row.append(cell(agent.extension), cell(agent.username), cell(agent.display_name), actions);
    return row;
  }));
}

function showSecret(id, text) {
  $(id).textContent = text;
  $(id).hidden = false;
}

// --- keys --------------------------------------------------------------------------------------
async function showKeys() {
  const keys = await getJson("/api/v1/api-keys");
  $("key-rows").replaceChildren(...keys.map((key) => {
    const row = document.createElement("tr");
    row.dataset.key = key.name;
    const actions = cell("");
    if (key.active) {
      actions.append(button("revoke", () => {
        if (!window.confirm(t("confirm_revoke", key.name))) return;
        act(async () => {
          await api("DELETE", "/api/v1/api-keys/" + encodeURIComponent(key.name));
          $("new-key-shown").hidden = true;
          return t("key_revoked", key.name);
        });
      }));
    }
    const state = key.active ? t("state_active") : t("state_revoked", when(key.revoked_at, i18n.lang));
    const created = when(key.created_at, i18n.lang) + (key.created_by ? " · " + key.created_by : "");
    row.append(cell(key.name), cell(nameIn(names, "channels", key.channel, i18n.lang)), cell(state), cell(created), actions);
    return row;
  }));
}

// --- audit -------------------------------------------------------------------------------------
let auditCursor = null;

function auditQuery() {
  const form = new FormData($("audit-filters"));
  const params = {};
  for (const name of ["actor", "target", "action"]) if (form.get(name)) params[name] = form.get(name).trim();
  // the dates are the center's days: from the start of `since` to the end of `until`
  if (form.get("since")) params.since = form.get("since") + "T00:00:00" + zoneOffset(form.get("since"));
  if (form.get("until")) {
    const start = Date.parse(form.get("until") + "T00:00:00" + zoneOffset(form.get("until")));
    params.until = new Date(start + 86400e3).toISOString();
  }
  return params;
}

// the center's offset from UTC on a day ("+08:00"), from its time zone (GET /api/v1/me)
function zoneOffset(day) {
  const noon = new Date(day + "T12:00:00Z");
  const named = noon.toLocaleString("en-US", { timeZone: me.timezone || undefined, timeZoneName: "longOffset" });
  const found = named.match(/GMT([+-]\d{2}:\d{2})/);
  return found ? found[1] : "Z";
}

function change(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  const shown = (value) => (value === undefined || value === null ? "—"
    : typeof value === "object" ? JSON.stringify(value).slice(0, 200) : String(value));
  if (changed.length) return changed.map((k) => `${k}: ${shown(before[k])} → ${shown(after[k])}`).join("; ");
  return entry.asked ? JSON.stringify(entry.asked).slice(0, 160) : "";
}

async function showAudit(more = false) {
  const params = auditQuery();
  if (more && auditCursor) params.before_id = auditCursor;
  const page = await getJson("/api/v1/audit?" + query(params));
  const rows = page.entries.map((e) => {
    const row = document.createElement("tr");
    const words = (TEXT[i18n.lang] || TEXT.zh).actions[e.action];
    const what = cell(words ? words + " · " + e.action : e.action);
    const outcome = e.outcome < 400 ? t("outcome_ok") : t("outcome_refused", e.outcome);
    row.append(
      cell(when(e.at, i18n.lang)), cell(e.actor === "anonymous" ? t("anonymous") : e.actor), cell(e.address),
      what, cell(e.target), cell(outcome, e.outcome < 400 ? "" : "error"), cell(change(e), "summary"),
    );
    return row;
  });
  if (!more && rows.length === 0) rows.push(Object.assign(document.createElement("tr"), { innerText: t("no_entries") }));
  if (more) $("audit-rows").append(...rows);
  else $("audit-rows").replaceChildren(...rows);
  auditCursor = page.next_before_id;
  $("audit-more").hidden = !auditCursor;
}

async function exportAudit() {
  try {
    const answer = await api("GET", "/api/v1/audit.csv?" + query(auditQuery()), undefined, { raw: true });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await answer.blob());
    link.download = "audit.csv";
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    say(t("exported", "audit.csv"));
  } catch (err) {
    refuse(err);
  }
}

// --- the page ------------------------------------------------------------------------------------
function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-pressed", String(b.dataset.tab === name));
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  if (name === "audit") showAudit().catch(refuse);
  if (name === "directory") directory.show().catch(refuse);
  if (name === "routing") Promise.all([routing.show(), models.show()]).catch(refuse);
  if (name === "lines") lines.show().catch(refuse);
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  directory = directoryTab({ t, act, say, refuse, button, cell });
  routing = routingTab({ t, act, refuse, button, cell, lang: () => i18n.lang });
  models = modelsPanel({ t, act, refuse, button, cell, when: (iso) => (iso ? when(iso, i18n.lang) : "") });
  lines = linesTab({ t, act, refuse, button, cell, lang: () => i18n.lang, when: (iso) => (iso ? when(iso, i18n.lang) : "") });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("new-user").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const body = { username: form.get("username").trim(), role: form.get("role"), display_name: form.get("display_name").trim() };
    if (form.get("password")) body.password = form.get("password");
    if (form.get("unit")) body.unit = form.get("unit");
    act(async () => {
      await api("POST", "/api/v1/users", body);
      ev.target.reset();
      return t("created_user", body.username, t("role_" + body.role));
    });
  });
  $("edit-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const name = form.dataset.user;
    const body = { display_name: form.elements.display_name.value.trim(), role: form.elements.role.value };
    if (form.elements.unit.value) body.unit = form.elements.unit.value;
    else body.no_unit = true;
    act(async () => {
      await api("PATCH", "/api/v1/users/" + encodeURIComponent(name), body);
      form.hidden = true;
      return t("saved_user", name);
    });
  });
  $("edit-cancel").addEventListener("click", () => { $("edit-form").hidden = true; });
  $("new-key").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const body = { name: form.get("name").trim(), channel: form.get("channel") };
    act(async () => {
      const made = await api("POST", "/api/v1/api-keys", body);
      ev.target.reset();
      $("new-key-shown").textContent = t("key_made", made.name, nameIn(names, "channels", made.channel, i18n.lang), made.api_key);
      $("new-key-shown").hidden = false;
      return "";
    });
  });
  $("new-phone").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const body = { username: form.get("username"), extension: form.get("extension").trim() };
    act(async () => {
      const made = await api("POST", "/api/v1/agents", body);
      ev.target.reset();
      showSecret("sip-shown", t("phone_made", made.username, made.extension, made.sip_password));
      return "";
    });
  });
  $("audit-filters").addEventListener("submit", (ev) => { ev.preventDefault(); showAudit().catch(refuse); });
  $("audit-more").addEventListener("click", () => showAudit(true).catch(refuse));
  $("audit-export").addEventListener("click", exportAudit);
}

openPage(async (person, words) => {
  i18n = words;
  me = person;
  wire();
  names = await directoryNames();
  fillRoleAndUnit($("new-user"));
  // a key is for a channel that writes (web, mailboxes, Weibo, WeChat...): the phone lines call in
  $("new-key").elements.channel.replaceChildren(
    ...names.lists.channels.filter((c) => c.kind !== "phone")
      .map((c) => new Option(nameIn(names, "channels", c.code, i18n.lang), c.code)),
  );
  if (me.role !== "admin") {  // the page is the administrators': others see why, and nothing to press
    $("refused").textContent = t("admins_only");
    $("tabs").hidden = true;
    for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = true;
    return;
  }
  await Promise.all([showPeople(), showKeys(), showPhones()]);
}, TEXT);
