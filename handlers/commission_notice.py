"""委託連絡票(兼認定資料交付依頼書) (豊川, form `toyokawa_commission_notice`): only an office that has filed its
代理受領委任状 takes a delegation.

豊川 001:8-22: the 委託契約 is one contract with 豊川市社会福祉協議会, and its papers include the 代理受領委任状
(予防支援費・ケアマネジメント費), which the office files with 介護高齢課介護保険係. It is a fact of the office, filed
once and recorded on the organisation by the municipal administrator (代理受領委任状の提出日); until it is recorded,
the office's 委託連絡票 is refused, so the 委託 does not go on without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler

NOT_FILED = (
    "「{office}」の代理受領委任状の提出日が登録されていません。委託契約のときに介護高齢課介護保険係へ提出した日を、"
    "市の管理者が事業所の登録画面で記録してから提出してください"
)


class CommissionNotice(Handler):
    form = "toyokawa_commission_notice"
    reads_office = True

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        office = context.office
        if office is None or office.get("proxy_receipt_mandate_filed_on") is not None:
            return {}
        return {"_form": NOT_FILED.format(office=office.get("name") or "この事業所")}
