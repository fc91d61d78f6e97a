"""The canonical step ids of CONTRACT.md, in the order the contract lists them, with their Japanese names.

Variants are compared step by step through these ids; a step whose id is not here is a local addition.
"""

from __future__ import annotations

STEPS: tuple[tuple[str, str], ...] = (
    # Intake and contract.
    ("intake", "相談受付・利用申込"),
    ("delegation_request", "委託先の調整・依頼"),
    ("delegation_acceptance", "委託受入の回答"),
    ("contract", "契約・重要事項説明・個人情報同意"),
    ("plan_request_notification", "居宅(介護予防)サービス計画作成依頼届出書の提出"),
    ("notification_acceptance", "届出の受理・被保険者証の返却"),
    ("certification_materials", "認定調査票・主治医意見書の提供"),
    ("materials_handover", "認定資料を居宅へ渡す"),
    # The series of duties (一連の業務).
    ("assessment", "アセスメント(居宅訪問・面接)"),
    ("basic_checklist", "基本チェックリスト"),
    ("doctor_instruction", "主治医の指示・意見の確認"),
    ("plan_draft", "ケアプラン原案作成"),
    ("plan_review", "原案の確認・包括意見"),
    ("service_meeting", "サービス担当者会議"),
    ("plan_consent", "説明・同意・署名"),
    ("plan_delivery", "ケアプランの交付"),
    ("plan_originals_submission", "原本等の包括への提出"),
    ("individual_plan", "個別サービス計画の作成(事業所)"),
    ("individual_plan_receipt", "個別サービス計画の受領・整合確認"),
    # Monitoring, evaluation, end.
    ("monitoring", "モニタリング"),
    ("evaluation", "評価(評価表)"),
    ("evaluation_review", "評価表の確認・包括意見"),
    ("service_end", "サービス終了・帳票の返還"),
    # Monthly benefit management.
    ("service_results_report", "実績の報告(事業所)"),
    ("results_submission", "利用票・実績・請求明細の提出"),
    ("results_check", "実績の確認"),
    ("claim_transmission", "給付管理票作成・国保連への伝送"),
    ("commission_payment", "委託料の支払"),
    # Certification.
    ("renewal_application", "更新申請(代行)"),
    ("level_change_application", "区分変更申請"),
    ("certification_result_entry", "認定結果の登録(保険者)"),
    ("certification_result_check", "認定結果・資料の確認"),
    # Provisional plan.
    ("expected_level_judgement", "認定結果の見込み判断"),
    ("provisional_explanation", "暫定プランとその後の取扱いの説明"),
    ("special_handling_request", "暫定ケアプラン特例取扱い申出書の提出"),
    ("special_handling_receipt", "申出の受理"),
    ("minor_change_record", "軽微な変更の記録"),
    ("handover", "引継ぎ(包括⇔居宅)"),
    ("self_plan_consultation", "自己作成(セルフケアプラン)扱いの相談"),
    # Equipment exception.
    ("equipment_assessment", "状態像の確認(認定調査票・主治医意見書)"),
    ("doctor_finding_hearing", "医師の医学的所見の聴取(別紙2)"),
    ("consultation_submission", "協議書類の提出"),
    ("insurer_consultation", "協議・確認書の発行"),
    ("rental_start", "貸与開始"),
    ("continuation_review", "継続の必要性の検討"),
)

STEP_NAMES: dict[str, str] = dict(STEPS)
STEP_IDS: tuple[str, ...] = tuple(step for step, _ in STEPS)


def is_canonical(step_id: str) -> bool:
    return step_id in STEP_NAMES


ROLE_NAMES: dict[str, str] = {
    "center": "地域包括支援センター",
    "office": "居宅介護支援事業所",
    "insurer": "保険者",
    "provider": "サービス事業所",
    "client": "利用者・家族",
    "planner": "計画作成担当",
}
"""Role keys (CONTRACT.md) in Japanese, for reports the engine writes itself (CSV, command output)."""

FLOW_NAMES: dict[str, str] = {
    "new_case": "新規",
    "renewal": "更新",
    "level_change": "区分変更",
    "provisional_plan": "暫定ケアプラン",
    "equipment_exception": "福祉用具例外給付",
    "plan_cycle": "一連の業務",
    "plan_period": "計画期間",
    "monthly_monitoring": "月次モニタリング",
    "plan_change": "計画期間中のケアプラン変更",
    "service_termination": "サービスの終了",
    "handling_change": "担当方式の変更(委託の終了・直営⇔委託)",
    "video_monitoring": "テレビ電話装置等によるモニタリングの要件",
}


def role_name(role: str | None) -> str:
    return ROLE_NAMES.get(role or "", role or "")


def flow_name(key: str) -> str:
    return FLOW_NAMES.get(key, key)
