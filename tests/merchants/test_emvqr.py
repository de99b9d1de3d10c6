"""The EMVCo merchant-presented QR codec against payloads published by others (no database).

* EMVCo MPM specification, the worked example (CRC A13A): templates, a language template in Chinese
  (lengths count characters, the CRC is over UTF-8 bytes), unreserved template 91.
* Banco Central do Brasil, BR Code manual (Pix), the example payload (CRC 1D3D): no point of initiation.
* A PromptPay (Thailand) code as decoded from promptpay.io: its CRC is right but it omits the merchant
  category, name and city the EMVCo spec makes mandatory: refused with a clear code, not a crash.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenant_apps.merchants import emvqr

EMVCO_SAMPLE = ("00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN"
                "5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***"
                "0708A60086670902ME91320016A0112233449988770708123456786304A13A")
PIX_SAMPLE = ("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
              "5913Fulano de Tal6008BRASILIA62070503***63041D3D")
PROMPTPAY_SAMPLE = "00020101021129370016A000000677010111011300669186952145802TH5303764630471E4"


def test_crc16_ccitt_false_check_value():
    assert emvqr.crc16_ccitt_false(b"123456789") == 0x29B1
    assert emvqr.crc_of(EMVCO_SAMPLE[:-4]) == "A13A"
    assert emvqr.crc_of(PIX_SAMPLE[:-4]) == "1D3D"
    assert emvqr.crc_of(PROMPTPAY_SAMPLE[:-4]) == "71E4"


def test_the_emvco_specification_example():
    qr = emvqr.decode(EMVCO_SAMPLE)
    assert qr.is_dynamic and qr.amount == "23.72" and qr.currency == "156" and qr.country == "CN"
    assert (qr.mcc, qr.merchant_name, qr.merchant_city) == ("4111", "BEST TRANSPORT", "BEIJING")
    assert [a.object_id for a in qr.merchant_accounts] == ["29", "31"]
    assert qr.merchant_accounts[0].gui == "D15600000000" and qr.merchant_accounts[0].field("05") == "A93FO3230Q"
    assert qr.merchant_accounts[1].field("03") == "12345678"
    assert qr.tip_indicator == "01"
    assert dict(qr.language) == {"00": "ZH", "01": "最佳运输", "02": "北京"}
    assert qr.additional(emvqr.STORE_LABEL) == "1234" and qr.additional(emvqr.TERMINAL_LABEL) == "A6008667"
    assert qr.additional(emvqr.CONSUMER_DATA_REQUEST) == "ME"
    assert qr.unreserved == (("91", "0016A011223344998877070812345678"),)
    # Our encoder writes the objects in ID order: another payload of the same content, with a valid CRC.
    assert emvqr.decode(emvqr.encode(qr)) == qr


def test_the_pix_br_code_example():
    qr = emvqr.decode(PIX_SAMPLE)
    assert not qr.is_dynamic and qr.amount == ""  # point of initiation absent: static
    account = qr.account_with_gui("BR.GOV.BCB.PIX")  # reverse domains compare case-insensitively
    assert account is not None and account.field("01") == "123e4567-e12b-12d1-a456-426655440000"
    assert (qr.currency, qr.country, qr.merchant_name, qr.merchant_city) == ("986", "BR", "Fulano de Tal", "BRASILIA")
    assert qr.additional(emvqr.REFERENCE_LABEL) == "***"


def test_a_payload_missing_mandatory_objects_is_refused_with_its_code():
    with pytest.raises(emvqr.QrError) as refused:
        emvqr.decode(PROMPTPAY_SAMPLE)
    assert refused.value.code == "qr_missing_field"


@pytest.mark.parametrize(("payload", "code"), [
    (EMVCO_SAMPLE[:-4] + "A13B", "qr_bad_crc"),  # one digit of the CRC
    (EMVCO_SAMPLE.replace("23.72", "93.72"), "qr_bad_crc"),  # the amount changed in transit
    (EMVCO_SAMPLE[:40], "qr_malformed"),  # truncated scan
    ("000201" + "010211" + "6304", "qr_malformed"),  # the CRC object has no value
    ("010211000201", "qr_malformed"),  # format indicator not first
    ("00020101021163041234" + "5204", "qr_malformed"),  # CRC not last
    ("", "qr_malformed"),
    ("x" * 600, "qr_malformed"),
    ("0002010102135204411153039865802BR5905Shop16004City", "qr_malformed"),  # garbage length
])
def test_damaged_payloads_are_refused(payload, code):
    with pytest.raises(emvqr.QrError) as refused:
        emvqr.decode(payload)
    assert refused.value.code == code


def _ours(**overrides: Any) -> emvqr.MerchantPresentedQr:
    fields: dict[str, Any] = dict(
        merchant_accounts=(emvqr.MerchantAccount("26", fields=(("00", "com.nexustop"), ("01", "12345674"),
                                                               ("02", "ng"))),),
        mcc="5411", currency="566", country="NG", merchant_name="Mama Put Kitchen", merchant_city="Lagos")
    fields.update(overrides)
    return emvqr.MerchantPresentedQr(**fields)


def test_invalid_values_are_refused_when_encoding():
    cases: list[tuple[dict[str, Any], str]] = [
        ({"point_of_initiation": "13"}, "qr_invalid_field"), ({"mcc": "54a1"}, "qr_invalid_field"),
        ({"merchant_name": "x" * 26}, "qr_invalid_field"), ({"amount": "1e3"}, "qr_invalid_field"),
        ({"merchant_accounts": ()}, "qr_missing_field"), ({"merchant_city": ""}, "qr_missing_field"),
        ({"fee_fixed": "10.00"}, "qr_invalid_field")]
    for overrides, code in cases:
        with pytest.raises(emvqr.QrError) as refused:
            emvqr.encode(_ours(**overrides))
        assert refused.value.code == code, overrides


def test_our_static_and_dynamic_codes():
    static = emvqr.encode(_ours())
    assert static.startswith("000201010211") and static[-8:-4] == "6304"
    dynamic = emvqr.encode(_ours(point_of_initiation=emvqr.DYNAMIC, amount="1500.50",
                                 additional_data=((emvqr.REFERENCE_LABEL, "R0123456789ABCDEF"),)))
    qr = emvqr.decode(dynamic)
    assert qr.is_dynamic and qr.amount == "1500.50" and qr.additional(emvqr.REFERENCE_LABEL) == "R0123456789ABCDEF"
    ours = qr.account_with_gui("COM.NEXUSTOP")
    assert ours is not None and ours.field("01") == "12345674"
    # Name and city in the spec's Latin character set: accents folded, other symbols dropped, trimmed.
    assert emvqr.ascii_text("Chez Aïssatou & Fils — Dakar Plateau", 25) == "Chez Aissatou & Fils Daka"


_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=15).filter(str.strip)


@settings(max_examples=150, deadline=None)
@given(name=_text, city=_text, amount=st.one_of(st.just(""), st.decimals(min_value=0, max_value=10**9, places=2)
                                                .map(str)), code=st.from_regex(r"[0-9]{8}", fullmatch=True),
       bill=st.one_of(st.just(""), _text))
def test_round_trip_and_crc_property(name, city, amount, code, bill):
    qr = _ours(merchant_name=name.strip(), merchant_city=city.strip(), amount=amount,
               point_of_initiation=emvqr.DYNAMIC if amount else emvqr.STATIC,
               merchant_accounts=(emvqr.MerchantAccount("26", fields=(("00", "com.nexustop"), ("01", code))),),
               additional_data=((emvqr.BILL_NUMBER, bill.strip()),) if bill.strip() else ())
    payload = emvqr.encode(qr)
    assert emvqr.decode(payload) == qr
    # Any single changed character is caught (CRC-16 detects every single-symbol error).
    position = len(payload) // 2
    flipped = payload[:position] + ("0" if payload[position] != "0" else "1") + payload[position + 1:]
    with pytest.raises(emvqr.QrError):
        emvqr.decode(flipped)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_either_a_payload_or_a_qr_error(text):
    try:
        emvqr.decode(text)
    except emvqr.QrError as exc:
        assert exc.code in {"qr_malformed", "qr_bad_crc", "qr_missing_field", "qr_invalid_field"}
