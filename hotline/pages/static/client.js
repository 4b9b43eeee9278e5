// The page client: what every page of the platform shares, in one ES module (served at
// /pages/client.js). Talking to the API (`api`), logging in and the end of a session, the live
// socket with its reconnection, and the words (`words`: one dictionary scheme, one stored
// language, the API's error ids in words). Plain JavaScript on purpose (no build step): the
// county's IT staff can read here everything a page does. A new page imports what it needs:
//
//   import { $, api, words, logIn, onSessionEnd, liveSocket, wireSignIn } from "/pages/client.js";
"use strict";

export const $ = (id) => document.getElementById(id);

// a new element with its words (set as text, never as HTML) and its class
export function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// --- the words ---------------------------------------------------------------------------------
// A page's dictionary is { zh: {...}, en: {...} }; "{0}", "{1}"... are filled by t(key, ...values);
// "a.b" reads a nested entry. The language is one choice for every page, kept in the browser
// (localStorage "hotline-lang"); ?lang=en or ?lang=zh in the address overrides it for that page.
const LANG_KEY = "hotline-lang";

const COMMON = {
  zh: {
    unreachable: "平台无法连接，请稍后再试",
    session_ended: "会话已过期，请重新登录",
    wrong_password: "用户名或密码错误",
    error_status: "错误 {0}",
    link_down: "与平台的连接中断，正在重连…",
    // what every page names the same way: a user's role, a case's status
    role_intake_agent: "受理坐席", role_unit_handler: "承办单位", role_supervisor: "督办", role_leader: "县领导",
    role_admin: "管理员",
    status: {
      received: "待登记", registered: "待转办", dispatched: "待签收", accepted: "办理中", replied: "已答复",
      closed: "已办结", reopened: "重新办理", interview: "约谈", leader_review: "待县领导坐班", merged: "已合并",
    },
    // the API's error ids (casebook/api/problems.py and the errors of each feature)
    errors: {
      bad_request: "请求有误", not_logged_in: "未登录或会话已过期", not_allowed: "无权进行此操作",
      not_found: "找不到", conflict: "与现有数据冲突", too_large: "内容过大", invalid_input: "输入有误",
      invalid_request: "请求格式有误", too_many_requests: "请求过于频繁，请稍后再试", unavailable: "服务暂不可用",
      too_many_attempts: "密码错误次数过多，请稍后再试；账号被锁定时可请管理员解锁", control_character: "含有不允许的控制字符",
      too_slow: "网络太慢，请求未在时限内送达，请重试", directory_unavailable: "县统一身份目录暂时连不上，请稍后再试",
      refused: "操作未执行", wrong_state: "当前状态不允许此操作", already_exists: "已存在",
      unstorable_value: "有无法保存的内容", nul_character: "含有不允许的字符", no_phone: "没有登记话机",
      phone_system_down: "电话系统暂不可用", no_call: "没有这通电话", on_a_call: "您正在通话中，请先结束", error: "出错了",
      no_telephony: "本进程不运行电话系统，此功能不可用",
      no_carrier: "未配置外呼线路，无法拨打市民电话", agent_not_on_call: "坐席当前不在通话中", agent_not_in_queues: "坐席不在队列中", no_agent: "没有这位坐席",
    },
  },
  en: {
    unreachable: "The platform cannot be reached; try again later",
    session_ended: "Your session has ended: log in again",
    wrong_password: "Wrong user name or password",
    error_status: "Error {0}",
    link_down: "Connection to the platform lost, reconnecting…",
    role_intake_agent: "intake agent", role_unit_handler: "unit handler", role_supervisor: "supervisor",
    role_leader: "leader", role_admin: "administrator",
    status: {
      received: "to register", registered: "to dispatch", dispatched: "to accept", accepted: "in hand",
      replied: "replied", closed: "closed", reopened: "reopened", interview: "interview",
      leader_review: "leader's duty", merged: "merged",
    },
    errors: {},
  },
};

// every status a case can have, in the order of its life (the case list's status filter)
export const CASE_STATUSES = Object.keys(COMMON.zh.status);

function lookup(dictionary, key) {
  let entry = dictionary;
  for (const part of key.split(".")) {
    if (entry === undefined || entry === null) return undefined;
    entry = entry[part];
  }
  return entry;
}

function chosenLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "zh" || asked === "en") return asked;
  return window.localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

// `words(TEXT)`: the page's words. `mode: "both"` shows Chinese and English side by side (the
// agent page, read during a call, never switches); otherwise one language, switched by setLang.
export function words(pageText, { mode = "one" } = {}) {
  let lang = mode === "both" ? "zh" : chosenLanguage();
  const listeners = [];
  const one = (language, key, values) => {
    const text = lookup(pageText[language] || {}, key) ?? lookup(COMMON[language], key)
      ?? lookup(pageText.zh || {}, key) ?? lookup(COMMON.zh, key);
    if (typeof text !== "string") return text === undefined ? key : text;
    return text.replace(/\{(\d)\}/g, (_, i) => String(values[Number(i)] ?? ""));
  };
  const self = {
    get lang() { return lang; },
    t(key, ...values) {
      if (mode !== "both") return one(lang, key, values);
      const zh = one("zh", key, values);
      const en = one("en", key, values);
      return zh === en || en === key ? zh : zh + " " + en;
    },
    has(key) { return lookup(pageText[lang] || {}, key) !== undefined || lookup(COMMON[lang], key) !== undefined; },
    setLang(next) {
      lang = next === "en" ? "en" : "zh";
      window.localStorage.setItem(LANG_KEY, lang); // a preference, kept for every page
      document.documentElement.lang = lang;
      for (const listener of listeners) listener(lang);
    },
    onChange(listener) { listeners.push(listener); },
    // the elements marked data-i18n (text) and data-i18n-title (tooltip) in the page's HTML
    translate(root = document) {
      document.documentElement.lang = lang;
      for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = self.t(el.dataset.i18n);
      for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = self.t(el.dataset.i18nTitle);
    },
    // an ApiError in words: the id's words first; the API's own reason beside them (its detail)
    reason(err) {
      if (!(err instanceof ApiError)) return String((err && err.message) || err);
      if (err.local) return self.t(err.local);
      const known = err.id ? one(lang === "en" ? "en" : "zh", "errors." + err.id, []) : "";
      const named = known && known !== "errors." + err.id ? known : "";
      if (lang === "en" && mode !== "both") return err.detail || named || self.t("error_status", err.status);
      if (!named) return err.detail || self.t("error_status", err.status);
      return err.detail ? named + "：" + err.detail : named;
    },
  };
  return self;
}

// --- talking to the platform -------------------------------------------------------------------
// Every request carries the bearer token of this tab's session (sessionStorage: a login lasts as
// long as the tab). A 401 ends the session (the page goes back to its login form); any other
// refusal is an ApiError with the API's id and reason.
export class ApiError extends Error {
  constructor(status, { id = "", detail = "", local = "" } = {}) {
    super(detail || local || id || "error " + status);
    this.status = status;
    this.id = id; // the API's stable id (casebook/api/problems.py)
    this.detail = detail; // the API's reason, in English
    this.local = local; // a reason known here (a key of the words: unreachable, session_ended, ...)
  }
}

// A token lasts 30 minutes unused: while a page is open it is traded for a new one every 10
// minutes (POST /api/v1/auth/refresh), up to the sign-in's own end (12 hours); the open live
// sockets are given the new one. Signing out revokes it on the platform (POST /auth/logout).
const tokenListeners = new Set();
export const session = {
  token: () => window.sessionStorage.getItem("token"),
  keep: (token) => {
    window.sessionStorage.setItem("token", token);
    for (const listener of tokenListeners) listener(token);
  },
  forget: () => window.sessionStorage.removeItem("token"),
};

const REFRESH_MS = 10 * 60 * 1000;
setInterval(async () => {
  if (!session.token()) return;
  try {
    const data = await api("POST", "/api/v1/auth/refresh");
    if (data.access_token) session.keep(data.access_token);
  } catch (err) {
    // a 401 has ended the session already (api); an unreachable platform is tried again next time
  }
}, REFRESH_MS);

export async function signOut() {
  if (session.token()) await api("POST", "/api/v1/auth/logout").catch(() => {});
  endSession("");
}

const endListeners = [];
// `handler(reasonKey)`: the session ended ("session_ended") or the person signed out ("");
// returns what takes the handler off again (a socket stopped no longer listens)
export function onSessionEnd(handler) {
  endListeners.push(handler);
  return () => {
    const at = endListeners.indexOf(handler);
    if (at >= 0) endListeners.splice(at, 1);
  };
}

export function endSession(reasonKey = "") {
  session.forget();
  for (const handler of [...endListeners]) handler(reasonKey);
}

// The sign-in form ("login-form", its error "login-error") and the sign-out button ("btn-signout")
// of a page, the same on every page (a wall screen has no sign-out button): a sign-in that works
// clears the form and calls `start`; one that fails says why, in the page's words (`i18n.reason`).
export function wireSignIn(i18n, start) {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    try {
      await logIn(form.get("username"), form.get("password"));
      ev.target.reset();
      await start();
    } catch (err) {
      $("login-error").textContent = i18n.reason(err);
    }
  });
  $("btn-signout")?.addEventListener("click", () => signOut());
}

function detailOf(data) {
  if (typeof data.detail === "string") return data.detail;
  if (Array.isArray(data.detail)) {
    // each field that is wrong: where (the body's own fields, "lines.4.greeting.zh"), then why;
    // a check of the whole body (duplicate numbers) has no field to name
    return data.detail.map((d) => {
      const where = (d.loc || []).slice(1).join(".");
      const what = String(d.msg || "").replace(/^Value error, /, "");
      return where ? where + ": " + what : what;
    }).join("; ");
  }
  return data.reason || "";
}

// The answer itself (a Response) with { raw: true }, for files; its JSON otherwise.
export async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  const token = session.token();
  if (token) headers.Authorization = "Bearer " + token;
  const form = body instanceof FormData || body instanceof Blob; // a file: sent as it is, with its own type
  if (body instanceof Blob && body.type) headers["Content-Type"] = body.type;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(path, { method, headers, body: body === undefined || form ? body : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { local: "unreachable" });
  }
  if (answer.ok) return raw ? answer : answer.json().catch(() => ({}));
  const data = await answer.json().catch(() => ({}));
  if (answer.status === 401 && path !== "/api/v1/auth/login") {
    endSession("session_ended");
    throw new ApiError(401, { id: "not_logged_in", local: "session_ended" });
  }
  throw new ApiError(answer.status, { id: data.error || "", detail: detailOf(data) });
}

export const getJson = (path) => api("GET", path);

export function query(params) {
  return new URLSearchParams(params).toString();
}

// Log in and keep the token; a wrong password is an ApiError whose `local` is "wrong_password".
export async function logIn(username, password) {
  try {
    const data = await api("POST", "/api/v1/auth/login", { username, password });
    session.keep(data.access_token);
    return data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw new ApiError(401, { id: err.id, local: "wrong_password" });
    throw err;
  }
}

// a live socket's refusal ({"type": "closed", ...}) as an ApiError, to put in words like any other
export function refusal(message) {
  return new ApiError(message.code, { id: message.error || "", detail: message.reason || "" });
}

// --- the live socket ---------------------------------------------------------------------------
// Protocol (hotline/pages/live.py): the page sends {"token"} first; the server sends typed
// messages ({"type": ...}, hotline/pages/messages.py) and, when it refuses, {"type": "closed",
// "code", "reason", "error"}. 4401 ends the session; other refusals go to `onRefused`. A lost
// connection is retried, 0.5 s then doubling up to 10 s, while the session lasts; `onLink` says
// "connecting", "live", "down" (lost) or "refused" (closed after a refusal, asked again too).
export function liveSocket(path, { onMessage, onLink = () => {}, onRefused = () => {} }) {
  let socket = null;
  let retryMs = 500;
  let stopped = false;
  let refused = false;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + path);
    onLink("connecting");
    socket.onopen = () => socket.send(JSON.stringify({ token: session.token() }));
    socket.onmessage = (ev) => {
      const message = JSON.parse(ev.data);
      if (message.type === "closed") {
        if (message.code === 4401) { stop(); endSession("session_ended"); return; }
        refused = true; // the close that follows is this refusal, not a lost link: its reason stays
        onRefused(message);
        return;
      }
      refused = false;
      retryMs = 500;
      onLink("live");
      onMessage(message);
    };
    socket.onclose = () => {
      socket = null;
      if (stopped || !session.token()) return;
      onLink(refused ? "refused" : "down"); // asked again all the same: the refusal may be lifted
      setTimeout(() => { if (!stopped) open(); }, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  };
  const keepAlive = setInterval(() => { if (socket && socket.readyState === 1) socket.send("ping"); }, 20000);
  const newToken = (token) => { if (socket && socket.readyState === 1) socket.send(JSON.stringify({ token })); };
  tokenListeners.add(newToken);
  let unlisten = () => {};
  const stop = () => {
    stopped = true;
    clearInterval(keepAlive);
    tokenListeners.delete(newToken);
    unlisten();
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
  };
  unlisten = onSessionEnd(stop);
  open();
  return { stop };
}
