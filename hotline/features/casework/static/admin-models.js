// The administration page's routing model (in the routing tab): the learnt model's versions, each
// with what it was measured to do on appeals it never learnt from; train a new one now, make one
// active, or go back one step.
import { $, api, getJson } from "/pages/client.js";

export const MODELS_TEXT = {
  zh: {
    models_title: "分拨模型（从语料和受理员的每次登记中学习；每天自动重训）",
    m_version: "版本", m_created: "训练时间", m_examples: "学习样本（其中登记）", m_right: "测试集分拨正确",
    m_auto: "自动转办比例（正确率）", m_threshold: "自动转办门槛", m_state: "状态",
    m_active: "使用中", m_kept: "未启用", m_was_active: "曾使用，已换下",
    m_kept_worse: "未启用：测试集表现不如当时使用中的版本", by_schedule: "每日自动训练", models_none: "还没有训练过模型：现在只按关键词分拨。",
    model_train: "立即训练", model_rollback: "回退到上一版", model_activate: "启用",
    model_training: "正在训练（约半分钟）……",
    model_trained: "已训练第 {0} 版：测试集分拨正确 {1}，{2} 的诉求将自动转办。{3}",
    model_trained_kept: "（测试集表现不如使用中的版本，未启用）",
    model_activated: "已启用第 {0} 版，半分钟内各进程生效。",
  },
  en: {
    models_title: "Routing model (learns from the corpus and every registration by intake agents; retrained daily)",
    m_version: "Version", m_created: "Trained", m_examples: "Learnt from (registrations)", m_right: "Test split routed right",
    m_auto: "Dispatched without a person (right)", m_threshold: "Threshold", m_state: "State",
    m_active: "active", m_kept: "kept", m_was_active: "was active, replaced",
    m_kept_worse: "kept, not made active: it routed the test split worse than the active version",
    by_schedule: "the daily retraining", models_none: "No model trained yet: routing uses the keywords alone.",
    model_train: "Train now", model_rollback: "Back one version", model_activate: "Make active",
    model_training: "Training (about half a minute)...",
    model_trained: "Trained version {0}: test split routed right {1}; {2} of appeals will be dispatched without a person. {3}",
    model_trained_kept: "(it routes the test split worse than the active version: not made active)",
    model_activated: "Version {0} is active; every process takes it within half a minute.",
  },
};

const pct = (x) => (x === undefined || x === null ? "" : (100 * x).toFixed(1) + "%");

// ctx: { t, act, refuse, button, cell, when: (iso) => words }
export function modelsPanel(ctx) {
  const { t } = ctx;

  // in words, not the service's English note: active, once active, or kept because it was worse
  const state = (v) => t(v.active ? "m_active" : v.activated_at ? "m_was_active" : v.note ? "m_kept_worse" : "m_kept");

  async function show() {
    const versions = await getJson("/api/v1/routing/models");
    $("models-none").hidden = versions.length > 0;
    $("model-rows").replaceChildren(...versions.map((v) => {
      const test = (v.evaluation && v.evaluation.test) || {};
      const row = document.createElement("tr");
      row.dataset.version = String(v.id);
      const actions = ctx.cell("");
      actions.className = "actions";
      if (!v.active) actions.append(ctx.button("model_activate", () => activate(v.id)));
      row.append(
        ctx.cell(String(v.id)),
        ctx.cell(ctx.when(v.created_at) + " · " + (v.created_by === "schedule" ? t("by_schedule") : v.created_by)),
        ctx.cell(`${v.examples}（${v.from_registrations}）`), ctx.cell(pct(test.lead_accuracy)),
        ctx.cell(`${pct(test.dispatched_without_a_person)}（${pct(test.right_when_dispatched)}）`),
        ctx.cell(v.threshold.toFixed(3)), ctx.cell(state(v)),
        actions,
      );
      return row;
    }));
  }

  function activate(id) {
    ctx.act(async () => {
      await api("POST", `/api/v1/routing/models/${id}/activate`);
      await show();
      return t("model_activated", id);
    });
  }

  $("model-train").addEventListener("click", () => {
    $("said").textContent = t("model_training");
    $("model-train").disabled = true;
    ctx.act(async () => {
      try {
        const v = await api("POST", "/api/v1/routing/models");
        await show();
        const test = v.evaluation.test;
        return t("model_trained", v.id, pct(test.lead_accuracy), pct(test.dispatched_without_a_person),
          v.active ? "" : t("model_trained_kept"));
      } finally {
        $("model-train").disabled = false;
      }
    });
  });
  $("model-rollback").addEventListener("click", () => ctx.act(async () => {
    const v = await api("POST", "/api/v1/routing/models/rollback");
    await show();
    return t("model_activated", v.id);
  }));
  return { show };
}
