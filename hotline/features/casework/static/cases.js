// The case list: each role's own inbox first, the nearest clock first, found by number or words.
// The view (inbox, filters, order) lives in the address, so a link shares it; the list is asked
// again every 30 seconds and when the window comes back into view.
import { $, CASE_STATUSES, api, getJson, liveSocket, onSessionEnd } from "/pages/client.js";
import { newCaseForm } from "/casework/newcase.js";
import { clockText, directoryNames, nameIn, openPage, runningClock, urgencyOf, when } from "/casework/casework.js";

const OPEN = ["received", "registered", "dispatched", "accepted", "reopened", "interview", "leader_review"];
// each role's inbox: what it works (the API gives a unit handler only its unit's cases anyway)
const INBOX = {
  intake_agent: { needs_intake: "true" },
  unit_handler: { status: ["dispatched", "accepted"] },
  leader: { status: ["leader_review"] },
  supervisor: { status: OPEN },
  admin: { status: OPEN },
};
const PAGE_SIZE = 50;
const MORE = ["unit", "lead", "category", "channel", "township", "from", "to"]; // the filters beyond the first row

let me = null;
let i18n = null;
let names = null;
let cursor = null;
let shown = [];

const t = (key, ...values) => i18n.t(key, ...values);

function view() {
  const asked = new URLSearchParams(location.search);
  return {
    inbox: asked.get("inbox") || "mine",
    text: asked.get("text") || "",
    status: asked.get("status") || "",
    overdue: asked.get("overdue") === "1",
    order: asked.get("order") === "received" ? "received" : "due",
    ...Object.fromEntries(MORE.map((name) => [name, asked.get(name) || ""])),
  };
}

function setView(next) {
  const params = new URLSearchParams();
  if (next.inbox !== "mine") params.set("inbox", next.inbox);
  if (next.text) params.set("text", next.text);
  if (next.status) params.set("status", next.status);
  if (next.overdue) params.set("overdue", "1");
  if (next.order !== "due") params.set("order", next.order);
  for (const name of MORE) if (next[name]) params.set(name, next[name]);
  const search = params.toString();
  history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
}

function apiQuery(v, after) {
  const asked = v.inbox === "mine" ? { ...(INBOX[me.role] || {}) } : {};
  if (v.status) asked.status = v.status === "open" ? OPEN : [v.status]; // "open": every open case (the figures' backlog)
  if (v.text) asked.text = v.text;
  if (v.overdue) asked.overdue = "true";
  asked.order = v.order;
  for (const name of ["unit", "lead", "category", "channel", "township"]) if (v[name]) asked[name] = v[name];
  // days are the center's: the browser's midnight is sent with its offset, the API compares instants
  if (v.from) asked.received_from = new Date(v.from + "T00:00:00").toISOString();
  if (v.to) asked.received_to = new Date(new Date(v.to + "T00:00:00").getTime() + 86400e3).toISOString();
  asked.limit = String(PAGE_SIZE);
  if (after) asked.cursor = after;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(asked)) {
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, one);
  }
  return params.toString();
}

function drawControls(v) {
  const inboxes = [["mine", "inbox_" + me.role], ["all", "inbox_all"]];
  $("inboxes").replaceChildren(...inboxes.map(([name, key]) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t(key);
    button.dataset.inbox = name;
    button.setAttribute("aria-pressed", String(v.inbox === name));
    button.addEventListener("click", () => { editing = false; setView({ ...view(), inbox: name }); load(); });
    return button;
  }));
  if (editing) return; // the clerk is changing the filters: a refresh of the list leaves them be
  const statuses = [["", t("f_any_status")], ["open", t("f_open_status")], ...CASE_STATUSES.map((s) => [s, t("status." + s)])];
  $("f-status").replaceChildren(...statuses.map(([value, label]) => new Option(label, value, false, value === v.status)));
  const lang = i18n.lang;
  // "none": the cases with no lead unit, not screened, with no township (the API's `none`)
  const choices = (id, rows, value, none) => $(id).replaceChildren(
    new Option(t("f_any"), ""),
    ...(none ? [new Option(t(none), "none", false, value === "none")] : []),
    ...rows.map((row) => new Option((row.parent ? "　" : "") + (lang === "en" ? row.name_en || row.name_zh : row.name_zh), row.code, false, row.code === value)),
  );
  const { units, categories } = names.lists;
  choices("f-unit", units, v.unit, "f_no_lead");
  choices("f-lead", units, v.lead, "f_no_lead");
  choices("f-category", categories, v.category, "f_no_category");
  choices("f-channel", names.lists.channels, v.channel);
  choices("f-township", units.filter((u) => u.kind === "township"), v.township, "f_no_township");
  $("f-unit").closest("label").hidden = me.role === "unit_handler"; // a unit sees its own cases only
  $("f-lead").closest("label").hidden = me.role === "unit_handler";
  $("f-from").value = v.from;
  $("f-to").value = v.to;
  $("f-text").value = v.text;
  $("f-overdue").checked = v.overdue;
  $("f-order").value = v.order;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(item) {
  const tr = document.createElement("tr");
  tr.dataset.number = item.number;
  const number = document.createElement("td");
  number.className = "number";
  const link = document.createElement("a");
  link.href = "/cases/" + encodeURIComponent(item.number);
  link.textContent = item.number;
  number.append(link);
  const clock = runningClock(item);
  const clockCell = cell(clockText(clock, t));
  if (clock) {
    const mark = document.createElement("span");
    mark.className = "clock " + urgencyOf(clock);
    mark.textContent = clockCell.textContent;
    clockCell.replaceChildren(mark);
  }
  const lang = i18n.lang;
  tr.append(
    number,
    clockCell,
    cell(t("status." + item.status)),
    cell(item.description || item.transcript || "", "summary"),
    cell(nameIn(names, "categories", item.category, lang)),
    cell(nameIn(names, "units", item.lead_unit, lang)),
    cell(nameIn(names, "channels", item.channel, lang)),
    cell(when(item.received_at, lang)),
  );
  tr.title = item.description || "";
  return tr;
}

function draw() {
  $("rows").replaceChildren(...shown.map(row));
  $("count").textContent = shown.length === 0 ? t("none_found") : t(cursor ? "shown_more" : "shown", shown.length);
  $("more").hidden = !cursor;
}

let latest = 0; // the newest request: an older answer arriving after it is dropped

async function load({ more = false } = {}) {
  const v = view();
  const mine = ++latest;
  drawControls(v);
  $("list-error").textContent = "";
  try {
    const page = await getJson("/api/v1/cases?" + apiQuery(v, more ? cursor : null));
    if (mine !== latest) return;
    shown = more ? shown.concat(page.items) : page.items;
    cursor = page.next_cursor;
    draw();
  } catch (err) {
    if (mine === latest && err.status !== 401) $("list-error").textContent = i18n.reason(err);
  }
}

// Filters being changed and not yet sent (the 30-second refresh and the live news redraw the list,
// never what the clerk is typing or choosing)
let editing = false;
for (const event of ["input", "change"]) $("filters").addEventListener(event, () => { editing = true; });

$("filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  editing = false;
  further = false;
  setView({
    ...view(),
    text: $("f-text").value.trim(),
    status: $("f-status").value,
    overdue: $("f-overdue").checked,
    order: $("f-order").value,
    ...Object.fromEntries(MORE.map((name) => [name, $("f-" + name).value])),
  });
  load();
});
$("more").addEventListener("click", () => { further = true; load({ more: true }); });

// Live: a case opened or changed that this person may see (the socket /api/v1/cases/live) asks
// the list again, a moment later so a burst is one request; so do the clocks, every 30 seconds.
// A clerk who has read further than the first page is not moved: the list says it has news.
let live = null;
let soon = null;
let further = false;

function news() {
  if (further) { $("count").textContent = t("has_news"); return; }
  clearTimeout(soon);
  soon = setTimeout(() => load(), 300);
}

function follow() {
  if (live) return;
  live = liveSocket("/api/v1/cases/live", {
    onMessage: (message) => { if (message.type === "case") news(); },
    onLink: (state) => { document.body.dataset.live = state; },
  });
}

onSessionEnd(() => { live = null; }); // the socket stops with the session; a new one follows the next

setInterval(() => { if (me && !further && !document.hidden) load(); }, 30000);
document.addEventListener("visibilitychange", () => { if (me && !document.hidden && !further) load(); });

// A person's saved views (GET/POST/DELETE /api/v1/views): each is this page's address query under
// a name; a click brings it back, the cross removes it. Sharing a view is sharing the address.
async function drawViews(said = "") {
  $("view-name").placeholder = t("view_name");
  let views = [];
  try {
    views = await getJson("/api/v1/views");
  } catch (err) {
    $("view-said").textContent = i18n.reason(err);
    return;
  }
  $("view-list").replaceChildren(...(views.length ? views.flatMap((v) => {
    const link = document.createElement("a");
    link.href = "/cases" + (v.query ? "?" + v.query : "");
    link.textContent = v.name;
    link.className = "view";
    link.addEventListener("click", (ev) => {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey) return;
      ev.preventDefault();
      history.replaceState(null, "", link.href);
      further = false;
      editing = false;
      load();
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "light remove-view";
    remove.textContent = "×";
    remove.title = remove.ariaLabel = t("remove_view", v.name);
    remove.addEventListener("click", async () => {
      try {
        await api("DELETE", "/api/v1/views/" + v.id);
        await drawViews(t("view_removed", v.name));
      } catch (err) { $("view-said").textContent = i18n.reason(err); }
    });
    return [link, remove, " "];
  }) : [t("no_views")]));
  $("view-said").textContent = said;
}

$("save-view").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("view-name").value.trim();
  try {
    await api("POST", "/api/v1/views", { name, query: location.search.replace(/^\?/, "") });
    $("view-name").value = "";
    await drawViews(t("view_saved", name));
  } catch (err) {
    $("view-said").textContent = i18n.reason(err);
  }
});

openPage(async (who, words, { again }) => {
  me = who;
  i18n = words;
  if (!names || !again) names = await directoryNames();
  newCaseForm(me, i18n, names);
  if (again) { drawControls(view()); draw(); return; }
  further = false;
  await load();
  await drawViews();
  follow();
});
