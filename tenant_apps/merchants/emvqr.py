"""EMV® QR Code, Merchant-Presented Mode (EMVCo MPM specification v1.1): generate and parse payloads.

A payload is a flat run of data objects, each ``ID`` (2 digits) ``length`` (2 digits, in characters)
``value``. Some objects are templates whose value is again such a run (merchant account information
26–51, additional data 62, language template 64, unreserved 80–99). The payload starts with the
payload format indicator ``000201`` and ends with the CRC ``63`` ``04`` + four upper-case hex digits:
CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR) over the
UTF-8 bytes of everything before those four digits, ``6304`` included.

This module knows nothing of merchants or tenants: it turns a :class:`MerchantPresentedQr` into text
and back, refusing (``QrError`` with a stable code) anything the specification does not allow, so a
payment never starts from a mistyped, truncated or tampered-in-transit scan. A valid CRC does not
authenticate the payload (anyone can compute one): callers look the merchant up by its code and,
for a dynamic code, check the amount against the payment request they stored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# -- identifiers of the root data objects --------------------------------------------------------
PAYLOAD_FORMAT = "00"
POINT_OF_INITIATION = "01"
MCC = "52"
CURRENCY = "53"
AMOUNT = "54"
TIP_INDICATOR = "55"
FEE_FIXED = "56"
FEE_PERCENTAGE = "57"
COUNTRY = "58"
MERCHANT_NAME = "59"
MERCHANT_CITY = "60"
POSTAL_CODE = "61"
ADDITIONAL_DATA = "62"
CRC = "63"
LANGUAGE_TEMPLATE = "64"

STATIC = "11"  # the same code for many payments; the payer types the amount
DYNAMIC = "12"  # one payment; the amount is in the code

# Additional data field template (62) sub-objects.
BILL_NUMBER = "01"
MOBILE_NUMBER = "02"
STORE_LABEL = "03"
LOYALTY_NUMBER = "04"
REFERENCE_LABEL = "05"
CUSTOMER_LABEL = "06"
TERMINAL_LABEL = "07"
PURPOSE = "08"
CONSUMER_DATA_REQUEST = "09"

# Maximum lengths (characters) the specification gives; fixed-length objects have min == max.
_LENGTHS: dict[str, tuple[int, int]] = {
    PAYLOAD_FORMAT: (2, 2), POINT_OF_INITIATION: (2, 2), MCC: (4, 4), CURRENCY: (3, 3), AMOUNT: (1, 13),
    TIP_INDICATOR: (2, 2), FEE_FIXED: (1, 13), FEE_PERCENTAGE: (1, 5), COUNTRY: (2, 2), MERCHANT_NAME: (1, 25),
    MERCHANT_CITY: (1, 15), POSTAL_CODE: (1, 10), ADDITIONAL_DATA: (1, 99), CRC: (4, 4), LANGUAGE_TEMPLATE: (1, 99),
}
_AMOUNT = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")  # spec: digits and at most one '.'
_DIGITS = re.compile(r"^[0-9]+$")
MAX_PAYLOAD = 512  # a QR code holds far less than this in practice; refuse more without parsing it


class QrError(ValueError):
    """A payload the specification refuses; ``code`` is stable (API error codes), ``detail`` says where."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (check value of ``b"123456789"``: 0x29B1)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def crc_of(text_before_crc_value: str) -> str:
    """The four hex digits for a payload ending in ``6304``."""
    return f"{crc16_ccitt_false(text_before_crc_value.encode('utf-8')):04X}"


def tlv(object_id: str, value: str) -> str:
    if not (len(object_id) == 2 and object_id.isdigit()):
        raise QrError("qr_invalid_field", f"bad object id {object_id!r}")
    if not 1 <= len(value) <= 99:
        raise QrError("qr_invalid_field", f"object {object_id} must hold 1 to 99 characters")
    return f"{object_id}{len(value):02d}{value}"


def split_objects(text: str, *, where: str = "payload") -> list[tuple[str, str]]:
    """``"000201..."`` -> ``[("00", "01"), ...]``; refuses truncation, bad lengths and repeated ids."""
    objects: list[tuple[str, str]] = []
    seen: set[str] = set()
    position = 0
    while position < len(text):
        head = text[position:position + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise QrError("qr_malformed", f"{where}: expected an id and a length at character {position}")
        object_id, length = head[:2], int(head[2:])
        value = text[position + 4:position + 4 + length]
        if length == 0 or len(value) != length:
            raise QrError("qr_malformed", f"{where}: object {object_id} is truncated or empty")
        if object_id in seen:
            raise QrError("qr_malformed", f"{where}: object {object_id} appears twice")
        seen.add(object_id)
        objects.append((object_id, value))
        position += 4 + length
    return objects


@dataclass(frozen=True)
class MerchantAccount:
    """One merchant account information object (02–51). Templates (26–51) carry sub-objects with a
    globally unique identifier in ``00`` (an AID or a reverse domain name); 02–25 are the card
    networks' primitive values (``value``)."""

    object_id: str
    value: str = ""
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def is_template(self) -> bool:
        return 26 <= int(self.object_id) <= 51

    @property
    def gui(self) -> str:
        return self.field("00")

    def field(self, sub_id: str) -> str:
        return next((value for key, value in self.fields if key == sub_id), "")

    def encoded_value(self) -> str:
        if not self.is_template:
            return self.value
        return "".join(tlv(key, value) for key, value in self.fields)


@dataclass(frozen=True)
class MerchantPresentedQr:
    merchant_accounts: tuple[MerchantAccount, ...]
    mcc: str
    currency: str  # ISO 4217 numeric, e.g. "566" for NGN
    country: str  # ISO 3166-1 alpha-2
    merchant_name: str
    merchant_city: str
    point_of_initiation: str = STATIC
    amount: str = ""  # as written in the payload ("23.72"); empty: the payer enters it
    tip_indicator: str = ""
    fee_fixed: str = ""
    fee_percentage: str = ""
    postal_code: str = ""
    additional_data: tuple[tuple[str, str], ...] = ()
    language: tuple[tuple[str, str], ...] = ()  # 64: 00 language, 01 name, 02 city in that language
    unreserved: tuple[tuple[str, str], ...] = field(default=())  # 65–99 as raw (id, value)

    @property
    def is_dynamic(self) -> bool:
        return self.point_of_initiation == DYNAMIC

    def additional(self, sub_id: str) -> str:
        return next((value for key, value in self.additional_data if key == sub_id), "")

    def account_with_gui(self, gui: str) -> MerchantAccount | None:
        """The template whose globally unique identifier is ``gui`` (case-insensitive, as reverse domains are)."""
        return next((account for account in self.merchant_accounts
                     if account.is_template and account.gui.lower() == gui.lower()), None)


def ascii_text(text: str, limit: int) -> str:
    """Name and city for 59/60: the spec's common character set (Latin letters, no accents), trimmed."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = " ".join(plain.split())
    return plain[:limit].strip()


def encode(qr: MerchantPresentedQr) -> str:
    """The payload text of ``qr`` with its CRC; raises ``QrError`` for a value the spec refuses."""
    _validate(qr)
    parts = [tlv(PAYLOAD_FORMAT, "01"), tlv(POINT_OF_INITIATION, qr.point_of_initiation)]
    parts += [tlv(account.object_id, account.encoded_value()) for account in qr.merchant_accounts]
    parts += [tlv(MCC, qr.mcc), tlv(CURRENCY, qr.currency)]
    if qr.amount:
        parts.append(tlv(AMOUNT, qr.amount))
    for object_id, value in ((TIP_INDICATOR, qr.tip_indicator), (FEE_FIXED, qr.fee_fixed),
                             (FEE_PERCENTAGE, qr.fee_percentage)):
        if value:
            parts.append(tlv(object_id, value))
    parts += [tlv(COUNTRY, qr.country), tlv(MERCHANT_NAME, qr.merchant_name), tlv(MERCHANT_CITY, qr.merchant_city)]
    if qr.postal_code:
        parts.append(tlv(POSTAL_CODE, qr.postal_code))
    if qr.additional_data:
        parts.append(tlv(ADDITIONAL_DATA, "".join(tlv(key, value) for key, value in qr.additional_data)))
    if qr.language:
        parts.append(tlv(LANGUAGE_TEMPLATE, "".join(tlv(key, value) for key, value in qr.language)))
    parts += [tlv(object_id, value) for object_id, value in qr.unreserved]
    body = "".join(parts) + CRC + "04"
    return body + crc_of(body)


def decode(text: str) -> MerchantPresentedQr:
    """Parse and validate a scanned payload: format indicator first, CRC last and correct, every
    mandatory object present and well-formed. Raises ``QrError``."""
    if not isinstance(text, str) or not text.strip():
        raise QrError("qr_malformed", "empty payload")
    text = text.strip()
    if len(text) > MAX_PAYLOAD:
        raise QrError("qr_malformed", "payload too long")
    objects = split_objects(text)
    if objects[0] != (PAYLOAD_FORMAT, "01"):
        raise QrError("qr_malformed", "the payload format indicator 000201 must come first")
    if objects[-1][0] != CRC or len(objects[-1][1]) != 4:
        raise QrError("qr_malformed", "the CRC (6304....) must come last")
    expected = crc_of(text[:-4])
    if objects[-1][1].upper() != expected:
        raise QrError("qr_bad_crc", "the CRC does not match: the code was misread or altered")
    values = dict(objects)
    accounts = []
    for object_id, value in objects:
        if "02" <= object_id <= "51":
            if 26 <= int(object_id) <= 51:
                fields = tuple(split_objects(value, where=f"merchant account {object_id}"))
                account = MerchantAccount(object_id=object_id, fields=fields)
                if not 1 <= len(account.gui) <= 32:
                    raise QrError("qr_invalid_field", f"merchant account {object_id} has no globally unique id")
            else:
                account = MerchantAccount(object_id=object_id, value=value)
            accounts.append(account)
    qr = MerchantPresentedQr(
        merchant_accounts=tuple(accounts), mcc=values.get(MCC, ""), currency=values.get(CURRENCY, ""),
        country=values.get(COUNTRY, ""), merchant_name=values.get(MERCHANT_NAME, ""),
        merchant_city=values.get(MERCHANT_CITY, ""), point_of_initiation=values.get(POINT_OF_INITIATION, STATIC),
        amount=values.get(AMOUNT, ""), tip_indicator=values.get(TIP_INDICATOR, ""),
        fee_fixed=values.get(FEE_FIXED, ""), fee_percentage=values.get(FEE_PERCENTAGE, ""),
        postal_code=values.get(POSTAL_CODE, ""),
        additional_data=tuple(split_objects(values[ADDITIONAL_DATA], where="additional data"))
        if ADDITIONAL_DATA in values else (),
        language=tuple(split_objects(values[LANGUAGE_TEMPLATE], where="language template"))
        if LANGUAGE_TEMPLATE in values else (),
        unreserved=tuple((key, value) for key, value in objects if "65" <= key <= "99"),
    )
    _validate(qr)
    return qr


def _validate(qr: MerchantPresentedQr) -> None:
    def check_length(object_id: str, value: str, *, required: bool = True) -> None:
        if not value:
            if required:
                raise QrError("qr_missing_field", f"object {object_id} is required")
            return
        low, high = _LENGTHS[object_id]
        if not low <= len(value) <= high:
            raise QrError("qr_invalid_field", f"object {object_id} must hold {low} to {high} characters")

    if qr.point_of_initiation not in (STATIC, DYNAMIC):
        raise QrError("qr_invalid_field", "point of initiation must be 11 (static) or 12 (dynamic)")
    if not qr.merchant_accounts:
        raise QrError("qr_missing_field", "at least one merchant account information object (02-51) is required")
    for account in qr.merchant_accounts:
        if not ("02" <= account.object_id <= "51"):
            raise QrError("qr_invalid_field", f"{account.object_id} is not a merchant account id")
        if not 1 <= len(account.encoded_value()) <= 99:
            raise QrError("qr_invalid_field", f"merchant account {account.object_id} must hold 1 to 99 characters")
    for object_id, value in ((MCC, qr.mcc), (CURRENCY, qr.currency)):
        check_length(object_id, value)
        if not _DIGITS.match(value):
            raise QrError("qr_invalid_field", f"object {object_id} must be digits")
    check_length(COUNTRY, qr.country)
    check_length(MERCHANT_NAME, qr.merchant_name)
    check_length(MERCHANT_CITY, qr.merchant_city)
    check_length(POSTAL_CODE, qr.postal_code, required=False)
    for object_id, value in ((AMOUNT, qr.amount), (FEE_FIXED, qr.fee_fixed), (FEE_PERCENTAGE, qr.fee_percentage)):
        check_length(object_id, value, required=False)
        if value and not _AMOUNT.match(value):
            raise QrError("qr_invalid_field", f"object {object_id} must be a decimal number such as 23.72")
    if qr.tip_indicator and qr.tip_indicator not in ("01", "02", "03"):
        raise QrError("qr_invalid_field", "tip or convenience indicator must be 01, 02 or 03")
    if (qr.fee_fixed and qr.tip_indicator != "02") or (qr.fee_percentage and qr.tip_indicator != "03"):
        raise QrError("qr_invalid_field", "a convenience fee needs its matching indicator (55)")
    for object_id, pairs in ((ADDITIONAL_DATA, qr.additional_data), (LANGUAGE_TEMPLATE, qr.language)):
        if pairs:
            check_length(object_id, "".join(tlv(key, item) for key, item in pairs))
