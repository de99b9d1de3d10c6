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


def test_the_redactor_redacts_as_the_key_first_version_did():
    """``_redact_value`` decides a leaf by its key's kind first and ``text`` looks for each tail in turn (issue 18):
    the same output as the version that checked the value first (kept here as the reference) on random nested
    JSON bodies and header sets with secret, personal and plain keys and values of every JSON type."""
    import random

    from tenant_apps.provider_archive import redaction
    from tenant_apps.provider_archive.redaction import Redactor, _mask_name, mask_number

    def reference_value(key: str, value):
        if isinstance(value, dict):
            return {k: reference_value(str(k), v) for k, v in value.items()}
        if isinstance(value, list):
            return [reference_value(key, item) for item in value]
        if value is None or isinstance(value, bool) or value == "":
            return value
        kind = redaction._key_kind(key)
        if kind == redaction._SECRET:
            return redaction.REDACTED
        if kind == redaction._NUMBER:
            return mask_number(value)
        if kind == redaction._NAME:
            return _mask_name(value)
        return value

    class Reference(Redactor):
        def text(self, text: str) -> str:
            for secret in self.secrets:
                text = text.replace(secret, redaction.REDACTED)
            if self._tails and any(tail in text for tail in self._tails):
                text = redaction._mask_numbers(text, self._tails)
            if self._has_words(text):
                import re

                text = re.compile("|".join(re.escape(w) for w in self._words), re.IGNORECASE).sub("***", text)
            return text

        def headers(self, headers):
            return {str(k): self.text(str(reference_value(str(k), v))) for k, v in (headers or {}).items()}

        def body(self, body: str) -> str:
            parsed = json.loads(body)
            return self.text(json.dumps(reference_value("", parsed), ensure_ascii=False, default=str))

    keys = ["phone", "api-key", "token", "name", "email", "product_name", "amount", "status", "msisdn", "pin", "x",
            "customerName", "content", "Authorization", "items", "2348031234567"]
    rng = random.Random(18)

    def value(depth: int):
        choice = rng.randrange(9 if depth < 3 else 7)
        if choice == 7:
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 4))}
        if choice == 8:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return rng.choice([None, True, False, "", 0, 12.5, "+2348031234567 paid", "Ada Obi", "sk_live_0123456789",
                           "plain text", 8031234567, "ada@example.com"])

    for _ in range(400):
        kwargs = {"secrets": rng.sample(["sk_live_0123456789", "partner-77", "abc"], rng.randint(0, 3)),
                  "personal": rng.sample(["+2348031234567", "Ada Obi", "", "0803 123 4567"], rng.randint(0, 4))}
        body = json.dumps({rng.choice(keys): value(0) for _ in range(rng.randint(0, 6))})
        headers = {rng.choice(keys): rng.choice(["Bearer sk_live_0123456789", "08031234567", "json", "", 5])
                   for _ in range(rng.randint(0, 6))}
        assert Redactor(**kwargs).body(body) == Reference(**kwargs).body(body), (kwargs, body)
        assert Redactor(**kwargs).headers(headers) == Reference(**kwargs).headers(headers), (kwargs, headers)
        text = rng.choice(["sent to 2348031234567 for Ada Obi", "sk_live_0123456789", "", "abcabc 0803 123 4567"])
        assert Redactor(**kwargs).text(text) == Reference(**kwargs).text(text)
