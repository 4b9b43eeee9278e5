// The landing page: the pages the signed-in person may open, each with what it is for.
import { $ } from "/pages/client.js";
import { PAGES, openPage } from "/casework/casework.js";

openPage((me, i18n) => {
  const t = (key, ...values) => i18n.t(key, ...values);
  $("welcome").textContent = t("welcome", me.username, t("role_" + me.role));
  $("pages").replaceChildren(
    ...PAGES.filter((page) => page.roles.includes(me.role)).map((page) => {
      const link = document.createElement("a");
      link.href = page.path;
      const name = document.createElement("strong");
      name.textContent = t(page.key);
      const hint = document.createElement("span");
      hint.textContent = t(page.key + "_hint");
      link.append(name, hint);
      return link;
    }),
  );
});
