"""Constants of the aggregator's wire protocol shared by connector and simulator."""

AUDIENCE = "https://topups.reloadly.com"
CURRENCIES = {"GH": "GHS", "SN": "XOF", "CI": "XOF"}
DIAL_CODES = {"GH": "233", "SN": "221", "CI": "225"}
