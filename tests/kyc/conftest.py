from tests.accounts.conftest import clean_rate_limits, kyc_simulator, providers_on_simulators, sms_simulator

__all__ = ["clean_rate_limits", "kyc_simulator", "providers_on_simulators", "sms_simulator"]
