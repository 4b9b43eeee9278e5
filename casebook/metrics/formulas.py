"""Every figure the managers see, with its name in Chinese and English and its formula in words.

The pages show the formula beside the figure and the exports carry it in their header, so a
figure can always be checked by hand against the case list or the call log. `T` is the service
level threshold (seconds, a query parameter, 20 by default).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    zh: str
    en: str
    formula_zh: str
    formula_en: str
    unit: str = ""  # "", "s", "%"


FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        # --- calls ---------------------------------------------------------------------------------------
        Figure(
            "calls",
            "来电",
            "Calls",
            "进入平台的来电数（不含满意度回访外呼）",
            "inbound calls that reached the platform (callbacks not counted)",
        ),
        Figure(
            "messages",
            "留言",
            "Messages",
            "以留言结束的来电数（含排队中转留言）",
            "calls that ended with a recorded message (also after the queue)",
        ),
        Figure(
            "no_agent",
            "无空闲坐席",
            "Nobody free",
            "要求转人工时没有空闲坐席、转去留言的来电数",
            "calls that asked for an agent when nobody was free, and were asked to leave a message",
        ),
        Figure(
            "offered",
            "进线",
            "Offered",
            "进入坐席队列的次数（转到第二个队列的来电在两个队列各计一次）",
            "entries into an agent queue (a call transferred into a second queue counts in both)",
        ),
        Figure("answered", "接通", "Answered", "坐席接起的进线数", "offered entries an agent answered"),
        Figure(
            "abandoned",
            "放弃",
            "Abandoned",
            "排队或振铃中来电者挂机的进线数",
            "offered entries whose caller hung up while waiting or ringing",
        ),
        Figure(
            "abandoned_ringing",
            "振铃中放弃",
            "Abandoned while ringing",
            "放弃时坐席电话正在振铃的进线数",
            "abandoned while an agent's phone was ringing",
        ),
        Figure(
            "left_for_message",
            "转留言",
            "Left for a message",
            "排队中按1或等待超时转去留言的进线数",
            "entries that left the queue to leave a message (key 1, or the wait ran out)",
        ),
        Figure("abandon_rate", "放弃率", "Abandon rate", "放弃 ÷ 进线 × 100%", "abandoned / offered x 100%", "%"),
        Figure(
            "asa",
            "平均应答速度",
            "ASA",
            "接通进线的等待时长之和 ÷ 接通数（等待：进入队列到接起）",
            "sum of waits of answered entries / answered (wait: queue entry to answer)",
            "s",
        ),
        Figure(
            "avg_abandon_wait",
            "平均放弃等待",
            "Average wait before abandoning",
            "放弃进线的等待时长之和 ÷ 放弃数",
            "sum of waits of abandoned entries / abandoned",
            "s",
        ),
        Figure(
            "max_wait",
            "最长等待",
            "Longest wait",
            "接通或放弃进线中最长的等待时长",
            "longest wait of an answered or abandoned entry",
            "s",
        ),
        Figure(
            "avg_abandon_position",
            "放弃时平均排位",
            "Average position at abandon",
            "放弃时的排队位置之和 ÷ 放弃数",
            "sum of queue positions at abandon / abandoned",
        ),
        Figure(
            "aht",
            "平均处理时长",
            "AHT",
            "（通话 + 保持 + 话后整理）之和 ÷ 接通数；保持包含在通话桥接时长内",
            "sum of (talk + hold + wrap-up) / answered; hold is inside the bridged talk time",
            "s",
        ),
        Figure("avg_talk", "平均通话", "Average talk", "通话时长之和 ÷ 接通数", "sum of talk / answered", "s"),
        Figure(
            "avg_wrapup",
            "平均话后整理",
            "Average wrap-up",
            "话后整理时长之和 ÷ 接通数",
            "sum of wrap-up / answered",
            "s",
        ),
        Figure(
            "service_level",
            "服务水平",
            "Service level",
            "T秒内接通 ÷ 接通 × 100%",
            "answered within T s / answered x 100%",
            "%",
        ),
        Figure(
            "service_level_abandons",
            "服务水平（含放弃）",
            "Service level (abandons counted)",
            "（T秒内接通 + T秒内放弃）÷（接通 + 放弃）× 100%",
            "(answered within T s + abandoned within T s) / (answered + abandoned) x 100%",
            "%",
        ),
        Figure("transfers", "转接", "Transfers", "坐席转出的通话数", "answered entries the agent transferred on"),
        Figure(
            "missed_rings",
            "未接振铃",
            "Missed rings",
            "坐席电话振铃到超时未接的次数",
            "times an agent's phone rang out unanswered",
        ),
        Figure(
            "logged_in_s",
            "签入时长",
            "Logged in",
            "签入到签出的时长（范围内）",
            "time between login and logout, within the range",
            "s",
        ),
        Figure(
            "paused_s",
            "示忙时长",
            "Paused",
            "示忙时长，不含示忙期间的通话和话后整理",
            "paused time, less any talk or wrap-up during the pause",
            "s",
        ),
        Figure(
            "handling_s",
            "处理时长",
            "Handling",
            "通话 + 话后整理的时长（范围内）",
            "talk + wrap-up time, within the range",
            "s",
        ),
        Figure(
            "occupancy",
            "占用率",
            "Occupancy",
            "处理时长 ÷（签入时长 − 示忙时长）× 100%",
            "handling / (logged in - paused) x 100%",
            "%",
        ),
        # --- cases ---------------------------------------------------------------------------------------
        Figure(
            "appeals",
            "受理诉求",
            "Appeals",
            "范围内受理的诉求数（含重复件）",
            "appeals received in the range (duplicates included)",
        ),
        Figure(
            "duplicates_merged",
            "重复件合并",
            "Duplicates merged",
            "范围内受理且并入另一件的诉求数",
            "appeals received in the range and merged into another case",
        ),
        Figure(
            "register_on_time",
            "登记按时率",
            "Registered on time",
            "范围内登记的工单中在登记时限（受理后1小时）内登记的比例",
            "of cases registered in the range, the share registered by their deadline (1 h after receipt)",
            "%",
        ),
        Figure(
            "dispatch_on_time",
            "派单按时率",
            "Dispatched on time",
            "范围内派单的工单中在派单时限（登记后1小时）内派出的比例",
            "of cases dispatched in the range, the share dispatched by their deadline (1 h after registration)",
            "%",
        ),
        Figure(
            "accept_on_time",
            "签收按时率",
            "Accepted on time",
            "范围内签收的工单中在签收时限（派单后1小时）内签收的比例",
            "of cases accepted in the range, the share accepted by their deadline (1 h after dispatch)",
            "%",
        ),
        Figure(
            "reply_on_time",
            "办结按时率",
            "Handled on time",
            "范围内答复的工单中在办理时限内答复的比例",
            "of cases replied in the range, the share replied by their handling deadline",
            "%",
        ),
        Figure(
            "backlog",
            "在办积压",
            "Backlog",
            "当前仍在办理的工单数：受理至签收办理中，以及不满意重办、约谈、领导坐班中（重复件除外）",
            "cases still being worked on now: received to accepted, and reopened, at interview or with the"
            " leader (duplicates excluded)",
        ),
        Figure(
            "overdue",
            "超期",
            "Overdue",
            "当前在办且正在计时的时限已过的工单数（与工单列表的超期筛选相同）",
            "cases open now whose running clock has run out (as the case list's overdue filter)",
        ),
        Figure(
            "satisfaction_rate",
            "满意率",
            "Satisfaction rate",
            "范围内回访评价为满意 ÷ 全部评价 × 100%",
            "satisfied verdicts given in the range / all verdicts given in the range x 100%",
            "%",
        ),
        Figure(
            "verdicts",
            "回访评价",
            "Verdicts",
            "范围内的满意度评价数（答复回访与领导接访）",
            "satisfaction verdicts given in the range (on replies and after the leader)",
        ),
        Figure(
            "interviews", "约谈", "Interviews", "范围内举行的当面约谈次数", "face-to-face interviews held in the range"
        ),
        Figure(
            "joint_sessions",
            "会商会办",
            "Joint sessions",
            "范围内召开的会商会办次数",
            "joint handling sessions held in the range",
        ),
        # --- public opinion ------------------------------------------------------------------------------
        Figure(
            "this_week",
            "本周",
            "This week",
            "截至当日共7天内受理的诉求数（含重复件）",
            "appeals received in the 7 days ending on the day (duplicates included)",
        ),
        Figure(
            "last_week",
            "上周",
            "Last week",
            "再往前7天受理的诉求数（含重复件）",
            "appeals received in the 7 days before those",
        ),
        Figure("change", "变化", "Change", "本周 − 上周", "this week - last week"),
        Figure(
            "change_pct",
            "变化率",
            "Change rate",
            "（本周 − 上周）÷ 上周 × 100%（上周为0时不计）",
            "(this week - last week) / last week x 100% (none when last week is 0)",
            "%",
        ),
    )
}


def describe(keys: list[str], lang: str = "zh") -> list[dict[str, str]]:
    """The columns of a table as the pages and exports show them."""
    out = []
    for key in keys:
        figure = FIGURES.get(key)
        if figure is None:
            out.append({"key": key, "label": key, "formula": "", "unit": ""})
        else:
            out.append(
                {
                    "key": key,
                    "label": figure.zh if lang == "zh" else figure.en,
                    "formula": figure.formula_zh if lang == "zh" else figure.formula_en,
                    "unit": figure.unit,
                }
            )
    return out
