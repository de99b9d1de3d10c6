"""The redactor on the shapes gateways use: bearer/basic headers, form bodies, MSISDNs in paths, nested JSON."""

from __future__ import annotations

import json

from tenant_apps.provider_archive.redaction import Redactor


def test_secrets_are_removed_by_key_and_by_value():
    redactor = Redactor(secrets=["sk_live_0123456789", "partner-77"], personal=["+233241234567"])
    headers = redactor.headers({"Authorization": "Bearer eyJ.token.sig", "X-Signature": "abc", "Accept": "json",
                                "Ocp-Apim-Subscription-Key": "sub-key-1"})
    assert headers["Authorization"] == headers["X-Signature"] == "[REDACTED]"
    assert headers["Accept"] == "json"
    form = redactor.body("apikey=sk_live_0123456789&password=hunter22&amount=500&site_id=partner-77")
    assert "sk_live" not in form and "hunter22" not in form and "partner-77" not in form and "amount=500" in form
    url = redactor.url("https://user:pw@momo.example/collection/v1_0/accountholder/msisdn/233241234567/active"
                       "?access_token=xyz&ref=R1")
    assert "233241234567" not in url and "pw@" not in url and "xyz" not in url and "4567" in url and "ref=R1" in url


def test_personal_numbers_are_masked_in_nested_json_and_free_text():
    redactor = Redactor(personal=["+2348031234567", "Ada Obi"])
    body = json.loads(redactor.body(json.dumps({
        "data": {"customer": {"phone_number": "08031234567", "email": "ada@example.com", "name": "Ada Obi"},
                 "card": {"pan": "5399831234567890"}, "account_number": "0123456789", "amount": 5000,
                 "product_name": "MTN 1GB", "pin": "1234"},
        "message": "sent to 2348031234567 for Ada Obi"})))
    data = body["data"]
    assert data["customer"]["phone_number"] == "*******4567"
    assert data["customer"]["email"] == "a***@example.com" and "Obi" not in json.dumps(body)
    assert data["card"]["pan"].endswith("7890") and "53998312" not in data["card"]["pan"]
    assert data["account_number"] == "******6789" and data["amount"] == 5000 and data["product_name"] == "MTN 1GB"
    assert data["pin"] == "[REDACTED]"
    assert body["message"] == "sent to *********4567 for ***"


def test_a_header_sent_as_bytes_is_archived_as_text():
    import responses

    from provider_plugins.interfaces.observe import observe_exchanges, observed_session

    with responses.RequestsMock() as mocked, observe_exchanges() as exchanges:
        mocked.add(responses.POST, "https://gateway.example/charge", json={"ok": True})
        observed_session().post("https://gateway.example/charge", headers={"X-Signature": b"c2lnbmVk"}, json={})
    headers = exchanges[0].request_headers
    assert headers["X-Signature"] == "c2lnbmVk"
    assert json.loads(json.dumps(headers))["X-Signature"] == "c2lnbmVk"  # what the archive's JSON column stores


def test_personal_numbers_are_masked_exactly_as_the_pattern_masks_them():
    """``_mask_numbers`` (no pattern compiled per call) against the pattern it stands for, on the tricky shapes
    (plus signs, several matches in one run, overlapping tails, non-ASCII digits) and on random texts."""
    import random
    import re

    from tenant_apps.provider_archive.redaction import _mask_numbers, mask_number

    def reference(text: str, tails: list[str]) -> str:
        pattern = re.compile("|".join(r"\+?\d*" + re.escape(tail) for tail in tails))
        return pattern.sub(lambda m: mask_number(m.group(0)), text)

    cases = [("+2348031234567 or 08031234567, not 0803123456", ["031234567"]),
             ("+031234567+031234567031234567x031234567", ["031234567"]),
             ("++123456 1234561234567", ["123456", "34567"]),
             ("٠٣١٢٣٤٥٦٧ and 12٠٣١٢٣٤٥٦٧", ["٠٣١٢٣٤٥٦٧"]), ("no digits here", ["123456"]), ("", ["123456"]),
             ("55512345 12345 512345", ["12345", "512345"])]
    rng = random.Random(18)
    for _ in range(300):
        tails = ["".join(rng.choice("0123٣") for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 3))]
        cases.append(("".join(rng.choice(["+", "x", " ", *tails, *"0123٣"]) for _ in range(rng.randint(0, 20))), tails))
    for text, tails in cases:
        assert _mask_numbers(text, tails) == reference(text, tails), (text, tails)
