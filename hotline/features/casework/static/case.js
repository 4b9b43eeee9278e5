// One case: its clock, the caller and their other cases, the appeal, the recording with its
// transcript (the word being played is marked), the units, the screening, the replies, the
// duplicates and every event of its history. Read from GET /api/v1/cases/{number}; a case the
// person may not see answers "not found", exactly as a number that does not exist.
import { $, ApiError, api, getJson, liveSocket, onSessionEnd } from "/pages/client.js";
import { ACTION_TEXT, drawActions, sending } from "/casework/actions.js";
import { clockText, directoryNames, nameIn, openPage, runningClock, urgencyOf, when } from "/casework/casework.js";
import { CONVERSATION_TEXT, drawConversations } from "/casework/conversations.js";

const number = decodeURIComponent(location.pathname.split("/").pop() || "");
let i18n = null;
let me = null;
let names = null;
let shown = null;
const links = {}; // a recording's or file's path -> its link with a ticket (the browser fetches it itself)

const t = (key, ...values) => i18n.t(key, ...values);
const known = (key, fallback) => (i18n.has(key) ? t(key) : fallback);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// each fact's value: its words, or a link (the master case)
function facts(target, pairs) {
  $(target).replaceChildren(...pairs.filter(([, value]) => value !== undefined && value !== null && value !== "")
    .flatMap(([key, value]) => {
      const dd = el("dd");
      dd.append(value);
      return [el("dt", t(key)), dd];
    }));
}

function caseLink(other) {
  const link = el("a", other);
  link.href = "/cases/" + encodeURIComponent(other);
  return link;
}

function drawSummary(c) {
  const lang = i18n.lang;
  $("number").textContent = c.number;
  $("status").textContent = t("status." + c.status);
  const clock = runningClock(c);
  $("clock").textContent = clock ? clockText(clock, t) : "";
  $("clock").className = clock ? "clock " + urgencyOf(clock) : "clock";
  $("description").textContent = c.description || t("none");
  facts("facts", [
    ["f_received", when(c.received_at, lang)],
    ["f_channel", nameIn(names, "channels", c.channel, lang)],
    ["f_line", c.line],
    ["f_category", nameIn(names, "categories", c.category, lang)],
    ["f_place", nameIn(names, "places", c.place, lang)],
    ["f_township", nameIn(names, "units", c.township, lang)],
    ["f_urgency", known("urgency." + c.urgency, c.urgency)],
    ["f_needs_intake", c.needs_intake ? t("yes") : ""],
    ["f_satisfaction", c.satisfaction ? known("satisfaction." + c.satisfaction, c.satisfaction) : ""],
  ]);
  facts("caller", [
    ["f_number", c.caller_number || t("none")],
    ["f_call_back", c.call_back || ""],
  ]);
  const others = (c.caller_cases || []).filter((n) => n !== c.number);
  $("caller-cases").replaceChildren(...(others.length ? others.flatMap((n, i) => (i ? [", ", caseLink(n)] : [caseLink(n)]))
    : [t("no_caller_cases")]));
}

function drawUnits(c) {
  const lang = i18n.lang;
  const active = (c.assignments || []).filter((a) => a.active);
  const pairs = active.map((a) => [
    a.role === "lead" ? "f_lead" : "f_co",
    nameIn(names, "units", a.unit, lang)
      + (a.section ? " · " + nameIn(names, "sections", a.unit + "/" + a.section, lang) : "")
      + " — " + (a.accepted_at ? t("accepted_at", when(a.accepted_at, lang)) : t("not_accepted")),
  ]);
  if (c.duplicate_of) pairs.push(["f_master", caseLink(c.duplicate_of)]);
  for (const x of c.extensions || []) {
    const unit = nameIn(names, "units", x.unit, lang);
    if (x.decided_at === null) pairs.push(["f_extension", t("ext_waiting", unit, when(x.reply_due_asked, lang), x.reason)]);
    else if (x.granted) pairs.push(["f_extension", t("ext_granted", when(x.reply_due_granted, lang), x.decided_by)]);
    else pairs.push(["f_extension", t("ext_refused", x.decided_by, x.answer)]);
  }
  facts("units", pairs.length ? pairs : [["f_lead", t("none")]]);
}

// the classifier's finding (casebook/classify/classifier.py): the category, how sure, and the
// words of the appeal that decided it
function drawScreening(c) {
  const found = c.classification && c.classification.category;
  if (!found || !found.code) { $("screening").textContent = t("not_classified"); return; }
  const why = (found.evidence || []).join("、") || "—";
  const sure = Math.round((found.confidence || 0) * 100) + "%";
  const others = (c.classification.alternatives || []).map((a) => t(
    "alternative", nameIn(names, "categories", a.code, i18n.lang), (a.evidence || []).join("、") || "—",
  ));
  $("screening").textContent = t("classified", nameIn(names, "categories", found.code, i18n.lang), sure, why)
    + (others.length ? " " + t("alternatives", others.join("；")) : "");
}

function wordsOf(transcript, audio) {
  const box = el("p", null, "transcript");
  const spans = (transcript.words || []).map((w) => {
    const span = el("span", String(w.word) + " ", "word");
    span.dataset.start = w.start;
    span.dataset.end = w.end;
    return span;
  });
  if (spans.length) box.append(...spans); else box.textContent = transcript.text;
  if (audio && spans.length) {
    audio.addEventListener("timeupdate", () => {
      const now = audio.currentTime;
      for (const span of spans) span.classList.toggle("now", now >= Number(span.dataset.start) && now < Number(span.dataset.end));
    });
  }
  return box;
}

// A link with a ticket for one file (POST /api/v1/cases/links): an <audio> streams the recording
// and seeks by ranges, an image shows, a download starts, all without the session's header.
async function linkTo(path) {
  const kept = links[path];
  if (kept && Date.parse(kept.expires_at) - Date.now() > 5 * 60 * 1000) return kept.url;
  links[path] = await api("POST", "/api/v1/cases/links", { path });
  return links[path].url;
}

const casePath = () => "/api/v1/cases/" + encodeURIComponent(number);

async function player(name) {
  const audio = el("audio");
  audio.controls = true;
  audio.preload = "metadata";
  audio.src = await linkTo(casePath() + "/recordings/" + encodeURIComponent(name));
  return audio;
}

function sizeText(bytes) {
  return bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
}

// after the reply: what the citizen said each time, the face-to-face meetings, the joint sessions
function drawAfter(c) {
  const lang = i18n.lang;
  const unit = (code) => nameIn(names, "units", code, lang);
  const lines = [
    ...(c.verdicts || []).map((v) => [v.at, t("verdict_line", when(v.at, lang), known("satisfaction." + v.verdict, v.verdict),
      known("stage." + v.stage, v.stage), v.comment ? "“" + v.comment + "”" : "")]),
    ...(c.interviews || []).map((i) => [i.held_at || i.scheduled_at, t("interview_line", when(i.held_at || i.scheduled_at, lang), unit(i.unit),
      i.location || "—", i.held_at ? t("interview_held", i.notes || (i.satisfied ? t("satisfaction.satisfied") : t("satisfaction.unsatisfied"))) : t("interview_waiting"))]),
    ...(c.joint_sessions || []).map((j) => [j.held_at, t("joint_line", when(j.held_at, lang), j.participants.map(unit).join("、"),
      unit(j.lead_unit), j.decision)]),
  ].sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]));
  $("after").replaceChildren(...(lines.length ? lines.map(([, text]) => el("li", text)) : [el("li", t("no_after"), "hint")]));
}

async function drawCallbacks() {
  let calls = [];
  try {
    calls = await getJson(casePath() + "/callbacks");
  } catch (err) {
    $("callbacks").replaceChildren(el("li", i18n.reason(err), "error"));
    return;
  }
  const lang = i18n.lang;
  $("callbacks").replaceChildren(...(calls.length ? calls.map((call) => el("li", t(
    "callback_line",
    when(call.created_at, lang),
    known("callback_state." + call.state, call.state),
    call.attempts,
    call.verdict ? known("satisfaction." + call.verdict, call.verdict) : "",
  ))) : [el("li", t("no_callbacks"), "hint")]));
}

async function drawFiles(c) {
  const lang = i18n.lang;
  const items = await Promise.all((c.attachments || []).map(async (f) => {
    const item = el("li", null, "file");
    let url = "";
    try {
      url = await linkTo(casePath() + "/attachments/" + f.id);
    } catch (err) {
      item.append(el("span", f.name + " — " + i18n.reason(err), "error"));
      return item;
    }
    if (f.media_type.startsWith("image/")) {
      const image = el("img", null, "thumb");
      image.src = url;
      image.alt = f.name;
      item.append(image);
    }
    const link = el("a", f.name);
    link.href = url;
    link.download = f.name;
    const who = f.unit ? nameIn(names, "units", f.unit, lang) + " · " + f.author : f.author;
    item.append(link, el("span", " " + t("file_meta", sizeText(f.size_bytes), who, when(f.at, lang)), "hint"));
    return item;
  }));
  $("files").replaceChildren(...(items.length ? items : [el("li", t("no_files"), "hint")]));
}

async function drawTranscript(c) {
  const parts = [];
  if (c.transcript_state) parts.push(el("p", t("transcript_state", known("transcript_states." + c.transcript_state, c.transcript_state)), "hint"));
  let audio = null;
  for (const name of c.recordings || []) {
    try {
      audio = await player(name);
      parts.push(audio);
    } catch (err) {
      parts.push(el("p", i18n.reason(err), "error"));
    }
  }
  if (!(c.recordings || []).length) parts.push(el("p", t("no_recording"), "hint"));
  for (const transcript of c.transcripts || []) {
    parts.push(el("p", known("source." + transcript.source, transcript.source), "hint"));
    parts.push(wordsOf(transcript, transcript.source === "file" ? audio : null));
  }
  if (!(c.transcripts || []).length && c.transcript) parts.push(el("p", c.transcript, "transcript"));
  if (!(c.transcripts || []).length && !c.transcript) parts.push(el("p", t("no_transcript"), "hint"));
  $("transcript").replaceChildren(...parts);
}

function drawHistory(c) {
  const lang = i18n.lang;
  $("timeline").replaceChildren(...(c.events || []).map((e) => {
    const item = el("li");
    item.append(el("span", when(e.at, lang) + " · " + e.actor, "at"), el("br"), el("strong", known("event." + e.kind, e.kind)));
    if (e.reason) item.append(" — " + e.reason);
    return item;
  }));
  const replies = (c.replies || []).map((r) => {
    const box = el("div", null, "reply");
    box.append(el("span", when(r.at, lang) + " · " + nameIn(names, "units", r.unit, lang) + " · " + r.author, "hint"), el("br"), r.text);
    return box;
  });
  $("replies").replaceChildren(...(replies.length ? replies : [el("p", t("no_replies"), "hint")]));
  const parts = [];
  if ((c.duplicates || []).length) {
    parts.push(el("p", t("linked")), el("p", null));
    parts[parts.length - 1].append(...c.duplicates.flatMap((d, i) => (i ? [", ", caseLink(d.number)] : [caseLink(d.number)])));
  }
  if ((c.suggestions || []).length) {
    parts.push(el("p", t("suggested")));
    for (const d of c.suggestions) {
      const line = el("p", null, "suggestion");
      line.append(caseLink(d.number), " (" + Math.round(d.score * 100) + "%) ", compareButton(d.number));
      parts.push(line);
    }
  }
  if (c.duplicate_of) {
    const line = el("p", null);
    line.append(t("f_master") + " ", caseLink(c.duplicate_of), " ", compareButton(c.duplicate_of));
    parts.push(line);
  }
  $("duplicates").replaceChildren(...(parts.length ? parts : [el("p", t("no_duplicates"), "hint")]));
}

function compareButton(other) {
  const button = el("button", t("compare"), "light compare");
  button.type = "button";
  button.dataset.other = other;
  button.addEventListener("click", () => showCompare(other));
  return button;
}

function similarityOf(x) {
  const pct = (v) => Math.round(v * 100) + "%";
  const place = x.place >= 1 ? t("sim_same") : x.place > 0 ? t("sim_township") : t("sim_none");
  const category = x.category >= 1 ? t("sim_same") : x.category > 0 ? t("sim_parent") : t("sim_none");
  return t("similarity", pct(x.score), pct(x.text), place, category, x.same_caller ? t("same_caller") : "");
}

// Two cases side by side: the person deciding on a duplicate reads both, the similarity and the
// words they share, and merges from here when the case may be merged
async function showCompare(other) {
  const box = $("compare");
  let x;
  try {
    x = await getJson(casePath() + "/compare/" + encodeURIComponent(other));
  } catch (err) {
    box.replaceChildren(el("p", i18n.reason(err), "error"));
    box.hidden = false;
    return;
  }
  const lang = i18n.lang;
  const rows = [
    ["col_number", (c) => caseLink(c.number)],
    ["col_status", (c) => t("status." + c.status)],
    ["f_received", (c) => when(c.received_at, lang)],
    ["f_channel", (c) => nameIn(names, "channels", c.channel, lang)],
    ["f_category", (c) => nameIn(names, "categories", c.category, lang)],
    ["f_place", (c) => nameIn(names, "places", c.place, lang)],
    ["f_township", (c) => nameIn(names, "units", c.township, lang)],
    ["f_lead", (c) => nameIn(names, "units", c.lead_unit, lang)],
    ["s_description", (c) => c.description],
  ];
  const table = el("table", null, "side-by-side");
  for (const [key, value] of rows) {
    const tr = el("tr");
    const a = el("td"), b = el("td");
    a.append(value(x.case) || "—");
    b.append(value(x.other) || "—");
    tr.append(el("th", t(key)), a, b);
    table.append(tr);
  }
  const close = el("button", t("compare_close"), "light");
  close.type = "button";
  close.addEventListener("click", () => { box.hidden = true; });
  const parts = [el("h2", t("compare_title", other)), el("p", similarityOf(x), "similarity"),
    el("p", t("shared_words", x.shared.join("、") || "—"), "hint"), table];
  const merge = document.querySelector("form.action[data-action='merge']");
  if (merge && x.case.status !== "merged") {
    const into = el("button", t("merge_into", other));
    into.type = "button";
    into.id = "merge-into";
    into.addEventListener("click", () => {
      merge.querySelector("[name='master']").value = other;
      merge.querySelector("button[type=submit]").click();
      box.hidden = true;
    });
    parts.push(into);
  }
  parts.push(close);
  box.replaceChildren(...parts);
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
}

// the case as the API now has it, with what just happened (`done`) or why not (`refused`)
async function redraw(c, done = "", refused = "") {
  shown = c;
  $("done").textContent = done;
  $("refused").textContent = refused;
  await draw(c, { sound: false });
}

async function draw(c, { sound = true } = {}) {
  drawSummary(c);
  drawUnits(c);
  drawScreening(c);
  drawHistory(c);
  drawActions(c, names, i18n, redraw);
  $("case").hidden = false;
  drawAfter(c);
  await Promise.all([drawFiles(c), drawCallbacks()]);
  if (sound) await Promise.all([drawTranscript(c), drawConversations(c, { me, t, i18n, when, linkTo, reload })]);
}

// the case read again after an action of a section of its own (the recordings' hold), saying what was done
async function reload(done) {
  shown = await getJson("/api/v1/cases/" + encodeURIComponent(number));
  await draw(shown);
  $("done").textContent = done;
}

// Live: when this case changes elsewhere (another clerk, the center, a callback), it is read again
// and drawn afresh, saying so; the page's own actions are drawn already (nothing new to say).
let live = null;
onSessionEnd(() => { live = null; });

function follow() {
  if (live) return;
  live = liveSocket("/api/v1/cases/live", {
    onLink: (state) => { document.body.dataset.live = state; },
    onMessage: async (message) => {
      if (message.type !== "case" || message.number !== number || !shown || sending.count) return;
      let now;
      try {
        now = await getJson("/api/v1/cases/" + encodeURIComponent(number));
      } catch (err) {
        return; // the next change or a reload will tell
      }
      if (sending.count) return; // an answer of this page's own is on its way and draws the case
      if ((now.events || []).length !== (shown.events || []).length || now.status !== shown.status) {
        await redraw(now, "", "");
        $("done").textContent = t("changed_here");
      }
    },
  });
}

openPage(async (person, words, { again }) => {
  i18n = words;
  me = person;
  document.title = number + " · " + t("page_cases");
  if (!names || !again) names = await directoryNames();
  if (again && shown) { await draw(shown); return; }
  $("case-error").textContent = "";
  try {
    shown = await getJson("/api/v1/cases/" + encodeURIComponent(number));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      $("case").hidden = true;
      $("case-error").textContent = t("not_found", number);
      return;
    }
    if (err.status !== 401) $("case-error").textContent = i18n.reason(err);
    return;
  }
  await draw(shown);
  const told = sessionStorage.getItem("said:" + number); // "taken in: case N", from the list's new-appeal form
  if (told) { sessionStorage.removeItem("said:" + number); $("done").textContent = told; }
  follow();
}, { zh: { ...ACTION_TEXT.zh, ...CONVERSATION_TEXT.zh }, en: { ...ACTION_TEXT.en, ...CONVERSATION_TEXT.en } });
