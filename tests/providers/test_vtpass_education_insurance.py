"""VTPass's own exam-PIN and motor-insurance services against the simulator: catalogue, verification,
PINs and the certificate on the result."""

from __future__ import annotations

import pytest

from provider_plugins.interfaces import (
    BillPaymentRequest,
    CustomerVerificationRequest,
    InvalidCustomer,
    OutcomeStatus,
    ProductType,
    UserFixableError,
)
from provider_plugins.vtpass import protocol as p

from .helpers import vtpass_request_id

VEHICLE = {"Insured_Name": "Chioma Adebayo", "engine_capacity": "1.8", "Chasis_Number": "JTDBR32E720123456",
           "vehicle_make": "Toyota", "vehicle_color": "Silver", "vehicle_model": "Corolla", "YearofMake": "2016",
           "state": "Lagos", "lga": "Ikeja", "email": "chioma@example.test"}


def test_catalogue_lists_exam_pins_and_motor_insurance(vtpass):
    products = vtpass.list_products()
    education = {x.provider_product_code: x for x in products if x.product_type == ProductType.EDUCATION}
    assert set(education) == {"waecdirect", "waec-registraion", "utme-mock", "utme-no-mock"}
    assert education["waecdirect"].biller_code == "waec" and education["waecdirect"].customer_number_label == ""
    jamb = education["utme-mock"]
    assert (jamb.biller_code, jamb.requires_verification, jamb.customer_number_label) == ("jamb", True,
                                                                                         "JAMB profile ID")
    insurance = [x for x in products if x.product_type == ProductType.INSURANCE]
    assert {x.name for x in insurance} == {"Private", "Commercial", "Tricycles", "Motorcycle"}
    assert all(x.biller_code == "ui-insure" and x.customer_number_label == "Vehicle plate number" for x in insurance)


def test_waec_result_checker_pin_and_serial(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    result = vtpass.pay(BillPaymentRequest(rid, "waec", p.SANDBOX_SUCCESS_PHONE, 390_000, "NGN",
                                           variation="waecdirect", phone="+2348031234567"))
    assert result.status == OutcomeStatus.SUCCESS
    [card] = result.receipt["pins"]
    assert card["serial"].startswith("WRN") and len(card["pin"]) == 12 and result.token == card["pin"]
    assert vtpass_sim.delivery_count(rid) == 1
    registration = vtpass.pay(BillPaymentRequest(vtpass_request_id(), "waec-registration", p.SANDBOX_SUCCESS_PHONE,
                                                 1_800_000, "NGN", variation="waec-registraion",
                                                 phone=p.SANDBOX_SUCCESS_PHONE))
    assert registration.receipt["pins"][0]["serial"] == "" and registration.token


def test_jamb_profile_is_verified_then_the_pin_delivered(vtpass):
    details = vtpass.verify_customer(CustomerVerificationRequest("jamb", p.SANDBOX_JAMB_PROFILE, "utme-mock"))
    assert details.name == "ADEBAYO CHIOMA TEST"
    with pytest.raises(InvalidCustomer):
        vtpass.verify_customer(CustomerVerificationRequest("jamb", "9999990000", "utme-mock"))
    result = vtpass.pay(BillPaymentRequest(vtpass_request_id(), "jamb", p.SANDBOX_JAMB_PROFILE, 870_000, "NGN",
                                           variation="utme-mock", phone="+2348031234567"))
    assert result.status == OutcomeStatus.SUCCESS and len(result.token) == 15


def test_third_party_motor_insurance_needs_the_vehicle_and_returns_a_certificate(vtpass, vtpass_sim):
    with pytest.raises(UserFixableError):
        vtpass.pay(BillPaymentRequest(vtpass_request_id(), "ui-insure", "LAG123XY", 300_000, "NGN", variation="1",
                                      phone="+2348031234567"))
    rid = vtpass_request_id()
    result = vtpass.pay(BillPaymentRequest(rid, "ui-insure", "LAG123XY", 300_000, "NGN", variation="1",
                                           phone="+2348031234567", details=VEHICLE))
    assert result.status == OutcomeStatus.SUCCESS
    certificate = result.receipt["certificate"]
    assert certificate["number"].startswith("UI/") and certificate["url"].endswith(".pdf")
    assert result.token == certificate["number"]
    assert vtpass_sim.transactions[rid].customer == "LAG123XY"
