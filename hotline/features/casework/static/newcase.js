// A new appeal taken by hand at the center (a citizen at the counter, a letter, a call written down):
// for those who may open cases (intake agents, supervisors). Unticked "screen", the case waits in
// the intake queue for the agent to register; ticked, it is classified and dispatched at once.
// Either way the case page opens on it, saying its number.
import { $, api } from "/pages/client.js";

const OPENERS = ["intake_agent", "supervisor"];

export function newCaseForm(me, i18n, names) {
  const button = $("new-case");
  const form = $("new-case-form");
  button.hidden = !OPENERS.includes(me.role);
  if (button.hidden) return;
  const channel = form.elements.channel;
  const lang = i18n.lang;
  channel.replaceChildren(...names.lists.channels.map((c) => new Option((lang === "en" && c.name_en) || c.name_zh || c.code, c.code)));
  if ([...channel.options].some((o) => o.value === "walk-in")) channel.value = "walk-in";
  if (form.dataset.wired) return;
  form.dataset.wired = "1";
  button.addEventListener("click", () => { form.hidden = false; form.elements.description.focus(); });
  $("new-case-cancel").addEventListener("click", () => { form.hidden = true; });
  const send = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (send.disabled) return; // a double click takes one appeal in
    const said = $("new-case-said");
    const value = (name) => form.elements[name].value.trim() || null;
    if (!value("description")) { said.textContent = i18n.t("nc_need_words"); return; }
    const body = {
      channel: form.elements.channel.value,
      description: value("description"),
      caller_number: value("caller_number"),
      caller_name: value("caller_name"),
      address: value("address"),
      screen: form.elements.screen.checked,
    };
    for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    send.disabled = true;
    said.textContent = "";
    try {
      const made = await api("POST", "/api/v1/cases", body);
      sessionStorage.setItem("said:" + made.number, i18n.t("nc_done", made.number));
      location.href = "/cases/" + encodeURIComponent(made.number);
    } catch (err) {
      send.disabled = false;
      if (err.status !== 401) said.textContent = i18n.reason(err);
    }
  });
}
