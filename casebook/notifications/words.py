"""The words of an e-mail to a unit: Chinese first, English beside, the case's number and a link
to its page. No caller's number or name ever goes into a mail: the page shows what the unit may
see, after its clerk signs in."""

from __future__ import annotations

from typing import Any

CLOCKS = {
    "register": ("登记", "register"),
    "dispatch": ("转办", "dispatch"),
    "accept": ("签收", "accept"),
    "reply": ("答复", "reply"),
}
SUBJECTS = {
    "dispatched": ("新转办工单 {n}", "New case {n} for your unit"),
    "due_soon": ("工单 {n} 的{clock_zh}时限将到", "Case {n}: the {clock_en} clock runs out soon"),
    "extension_decided": ("工单 {n} 的延期申请已有答复", "Case {n}: your request for more time was answered"),
    "unsatisfied": ("工单 {n} 群众不满意", "Case {n}: the citizen is not satisfied"),
    "leader_duty": ("工单 {n} 待县领导坐班", "Case {n} is on the leader's duty"),
    "extension_asked": ("工单 {n} 申请延期", "Case {n}: more time asked"),
    "back_to_unit": ("工单 {n} 退回重新办理", "Case {n} is back with your unit to handle again"),
    "leader_decision": ("工单 {n} 县领导已作出决定，请按时限办理", "Case {n}: the leader decided; act by the deadline"),
}


def mail_text(
    kind: str, number: str, due: str, unit_zh: str, unit_en: str, public_url: str, detail: dict[str, Any]
) -> tuple[str, str]:
    """The subject and the body; `due` is the clock's end in the center's time, if there is one."""
    clock_zh, clock_en = CLOCKS.get(str(detail.get("clock", "")), ("", ""))
    zh, en = SUBJECTS.get(kind, ("工单 {n} 有新情况", "Case {n} has news"))
    values = {"n": number, "clock_zh": clock_zh, "clock_en": clock_en}
    subject = f"【12345】{zh.format(**values)} / {en.format(**values)}"
    link = f"{public_url}/cases/{number}"
    lines = [
        f"{unit_zh}：",
        f"{zh.format(**values)}。请登录平台查看并办理：{link}",
    ]
    if due:
        lines.append(f"时限 / due: {due}")
    lines += ["", f"{unit_en}:", f"{en.format(**values)}. Sign in to read and handle it: {link}"]
    lines += ["", "此邮件由 12345 诉求办理平台自动发出，请勿回复。 / Sent by the 12345 platform; do not reply."]
    return subject, "\n".join(lines)
